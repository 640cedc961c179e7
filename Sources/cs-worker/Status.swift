// `cs-worker status` and `cs-worker jobs …`: what operators see and do.
import ArgumentParser
import Basics
import Foundation
import PG
import Privacy
import Queue

struct Status: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show queues, workers, failing and stuck jobs (the cs.queue_overview view).")
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print JSON instead of a table.") var json = false

    func run() async throws {
        let status = try await global.withDatabase { try await QueueAdmin(database: $0).status() }
        if json {
            print(String(decoding: try JSONCoding.encoder(pretty: true).encode(status), as: UTF8.self))
            return
        }
        print(TextTable(header: ["queue", "kind", "avail", "sched", "running", "retry", "done", "discard", "cancel", "oldest_s"],
                        rows: status.overview.map { o in
            [o.queue, o.kind, "\(o.available)", "\(o.scheduled)", "\(o.running)", "\(o.retryable)", "\(o.completed)",
             "\(o.discarded)", "\(o.cancelled)", o.oldestAvailableAgeSeconds.map { String(format: "%.1f", $0) } ?? "-"]
        }).render())
        print("")
        print(TextTable(header: ["worker", "host", "pid", "queues", "conc", "running", "heartbeat_s", "leader"],
                        rows: status.workers.map { w in
            [w.id, w.host, "\(w.pid)", w.queues.joined(separator: ","), "\(w.concurrency)", "\(w.running)",
             String(format: "%.1f", w.heartbeatAgeSeconds), w.isLeader ? "yes" : ""]
        }).render())
        print("")
        if !status.paused.isEmpty {
            print("PAUSED queues: \(status.paused.joined(separator: ", "))   (cs-worker queue resume QUEUE)")
        }
        print("failing jobs: \(status.failing)   stuck jobs: \(status.stuck)   (SELECT * FROM cs.failing_jobs / cs.stuck_jobs)")
    }
}

struct Jobs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Act on one job.", subcommands: [Retry.self, Cancel.self, Discard.self])

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run a failed, discarded or cancelled job again now.")
        @OptionGroup var global: GlobalOptions
        @Argument var id: Int64
        func run() async throws { try await act(global, "retry", id) { try await $0.retry(id: id) } }
    }
    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a job; a running one is asked to stop.")
        @OptionGroup var global: GlobalOptions
        @Argument var id: Int64
        func run() async throws { try await act(global, "cancel", id) { try await $0.cancel(id: id) } }
    }
    struct Discard: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Give up on a job that has not finished.")
        @OptionGroup var global: GlobalOptions
        @Argument var id: Int64
        func run() async throws { try await act(global, "discard", id) { try await $0.discard(id: id) } }
    }

    static func act(_ global: GlobalOptions, _ action: String, _ id: Int64, _ body: (QueueAdmin) async throws -> JobActionResult) async throws {
        let result = try await global.withDatabase { db in
            let r = try await body(QueueAdmin(database: db))
            if case .done = r { try await db.execute(AuditEntry(action: "operator_job_\(action)", subjectKind: "job", subjectID: "\(id)", actor: CLIActor.name)) }
            return r
        }
        print(result)
        if case .notFound = result { throw ExitCode(2) }
        if case .unchanged = result { throw ExitCode(1) }
    }
}

/// A plain left-aligned text table for terminals.
struct TextTable {
    let header: [String]
    let rows: [[String]]
    func render() -> String {
        var widths = header.map(\.count)
        for r in rows { for (i, c) in r.enumerated() where i < widths.count { widths[i] = max(widths[i], c.count) } }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { i, c in c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }.joined(separator: "  ")
        }
        var out = [line(header), line(widths.map { String(repeating: "-", count: $0) })]
        out += rows.map(line)
        if rows.isEmpty { out.append("(none)") }
        return out.joined(separator: "\n")
    }
}

/// Who a command line's actions are recorded as: `cli:` and the login name.
enum CLIActor {
    static var name: String {
        let env = ProcessInfo.processInfo.environment
        return "cli:" + (env["CS_OPERATOR"] ?? env["USER"] ?? "unknown")
    }
}
