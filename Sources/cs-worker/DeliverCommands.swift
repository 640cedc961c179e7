// `cs-worker deliver test CHANNEL` and `cs-worker deliveries`: the outbox from a terminal.
import ArgumentParser
import Delivery
import Foundation
import PG

struct Deliver: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Send through channels.", subcommands: [Test.self])

    struct Test: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Send a test message through CHANNEL now and print what the far end said.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Channel name (a row of cs.channels).") var channel: String
        @Option(help: "Recipient for email or SMS channels (else the channel's test_recipient option).") var to: String?

        func run() async throws {
            let logger = global.logger()
            let result = try await global.withDatabase(maxConnections: 2) { db in
                try await DeliveryTest.send(channel: channel, recipient: to, database: db, logger: logger)
            }
            var line = "delivery \(result.deliveryID): \(result.status.rawValue)"
            if let o = result.outcome {
                if let s = o.httpStatus { line += " http=\(s)" }
                if let s = o.smtpCode { line += " smtp=\(s)" }
                if let c = o.curlCode { line += " curl=\(c)" }
                if let r = o.reason { line += " reason=\(r)" }
            }
            print(line)
            if result.status != .sent { throw ExitCode(1) }
        }
    }
}

struct Deliveries: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List recent deliveries, or only failures (no bodies, no recipients).")
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Only failed and retrying deliveries.") var failures = false
    @Option(help: "Only this channel.") var channel: String?
    @Option(help: "How many.") var limit: Int = 30
    @Option(help: "Show one delivery with its attempts.") var id: Int64?

    func run() async throws {
        let f = ISO8601DateFormatter()
        if let id {
            let detail = try await global.withDatabase { db in try await Outbox.detail(id: id, database: db) }
            guard let (s, attempts) = detail else {
                print("no delivery \(id)")
                throw ExitCode(2)
            }
            print("delivery \(s.id) via \(s.channel) (\(s.channelType)): \(s.status.rawValue), \(s.attempts) attempt(s), provider id \(s.providerID ?? "-")")
            let cells: [[String]] = attempts.map { a in
                let codes: [String] = [a.httpStatus.map(String.init) ?? "", a.smtpCode.map(String.init) ?? "",
                                       a.curlCode.map(String.init) ?? "", a.ms.map(String.init) ?? ""]
                return [a.attempt.map(String.init) ?? "-", a.at ?? "-", a.outcome] + codes + [a.reason ?? ""]
            }
            print(TextTable(header: ["attempt", "at", "outcome", "http", "smtp", "curl", "ms", "reason"], rows: cells).render())
            return
        }
        let rows = try await global.withDatabase { db in
            failures ? try await Outbox.failures(database: db, limit: limit)
                     : try await Outbox.recent(database: db, limit: limit, channel: channel)
        }
        print(TextTable(header: ["id", "channel", "type", "status", "attempts", "created", "sent", "provider_id", "last_error"], rows: rows.map { d in
            ["\(d.id)", d.channel, d.channelType, d.status.rawValue, "\(d.attempts)", f.string(from: d.createdAt), d.sentAt.map(f.string) ?? "-",
             d.providerID ?? "", String((d.lastError ?? "").prefix(80))]
        }).render())
    }
}
