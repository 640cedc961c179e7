// `cs-worker queue …`, `cs-worker alerts …` and `cs-worker health-check`: the operator's
// controls and the self-monitor from a terminal.
import ArgumentParser
import Basics
import Foundation
import Monitoring
import PG
import Privacy
import Queue


struct QueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue", abstract: "Pause and resume queues; limit how many jobs of a kind run at once.",
        subcommands: [List.self, Pause.self, Resume.self, Limit.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Queues, paused or not, and the kind limits.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Print JSON instead of a table.") var json = false
        func run() async throws {
            let (queues, limits) = try await global.withDatabase { db in
                let c = QueueControls(database: db)
                return (try await c.list(), try await c.limits())
            }
            if json {
                struct Out: Encodable { let queues: [QueueControlRow]; let kindLimits: [KindLimitRow] }
                print(String(decoding: try JSONCoding.encoder(pretty: true).encode(Out(queues: queues, kindLimits: limits)), as: UTF8.self))
                return
            }
            print(TextTable(header: ["queue", "state", "since", "by", "ready", "running"], rows: queues.map { q in
                [q.queue, q.paused ? "PAUSED" : "running", q.pausedAt.map(ISO8601DateFormatter().string) ?? "", q.pausedBy ?? "",
                 "\(q.available)", "\(q.running)"]
            }).render())
            print("")
            print(TextTable(header: ["kind", "max_running", "running"], rows: limits.map { ["\($0.kind)", "\($0.maxRunning)", "\($0.running)"] }).render())
        }
    }

    struct Pause: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop every worker claiming from a queue; running jobs finish.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The queue.") var queue: String
        func run() async throws {
            try await global.withDatabase { db in
                try await QueueControls(database: db).pause(queue, by: CLIActor.name)
                try await db.execute(AuditEntry(action: "operator_queue_pause", subjectKind: "queue", subjectID: queue, actor: CLIActor.name))
            }
            print("queue \(queue) paused")
        }
    }

    struct Resume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Let workers claim from a paused queue again.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The queue.") var queue: String
        func run() async throws {
            let was = try await global.withDatabase { db in
                let was = try await QueueControls(database: db).resume(queue, by: CLIActor.name)
                try await db.execute(AuditEntry(action: "operator_queue_resume", subjectKind: "queue", subjectID: queue, actor: CLIActor.name))
                return was
            }
            print(was ? "queue \(queue) resumed" : "queue \(queue) was not paused")
        }
    }

    struct Limit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "At most N jobs of a kind running across all workers (cs.kind_limits).",
            discussion: "cs-worker queue limit generate_report 4   |   cs-worker queue limit generate_report --remove")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The job kind.") var kind: String
        @Argument(help: "The most running at once (0 holds the kind back).") var maxRunning: Int?
        @Flag(help: "Remove the kind's limit.") var remove = false
        func validate() throws {
            guard remove != (maxRunning != nil) else { throw ValidationError("give either a number or --remove") }
            if let m = maxRunning, m < 0 { throw ValidationError("the limit is 0 or more, not \(m)") }
        }
        func run() async throws {
            try await global.withDatabase { try await QueueControls(database: $0).setLimit(kind: kind, maxRunning: remove ? nil : maxRunning) }
            print(remove ? "\(kind): no limit" : "\(kind): at most \(maxRunning ?? 0) running")
        }
    }
}

struct AlertsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "alerts", abstract: "The self-monitor's alerts: list, acknowledge (stops escalation), resolve.",
        subcommands: [List.self, Ack.self, Resolve.self], defaultSubcommand: List.self)

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Live alerts, then the latest resolved ones.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Resolved alerts to show.") var resolved = 10
        @Flag(help: "Print JSON instead of a table.") var json = false
        func run() async throws {
            let alerts = try await global.withDatabase { try await AlertBook(database: $0).list(resolved: resolved) }
            if json {
                print(String(decoding: try JSONCoding.encoder(pretty: true).encode(alerts), as: UTF8.self))
                return
            }
            let f = ISO8601DateFormatter()
            print(TextTable(header: ["id", "severity", "state", "check", "subject", "tier", "opened", "message"], rows: alerts.map { a in
                ["\(a.id)", a.severity, a.state, a.check, a.subject, "\(a.tier)", f.string(from: a.openedAt), a.message]
            }).render())
        }
    }

    struct Ack: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Acknowledge an alert: no further tiers are notified.")
        @OptionGroup var global: GlobalOptions
        @Argument var id: Int64
        func run() async throws {
            let r = try await global.withDatabase { db in
                let r = try await AlertBook(database: db).acknowledge(id, by: CLIActor.name)
                try await db.execute(AuditEntry(action: "operator_alert_ack", subjectKind: "alert", subjectID: "\(id)", actor: CLIActor.name))
                return r
            }
            print(r)
            if case .notFound = r { throw ExitCode(2) }
        }
    }

    struct Resolve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Resolve an alert by hand (resolutions go out on the monitor's next run).")
        @OptionGroup var global: GlobalOptions
        @Argument var id: Int64
        func run() async throws {
            let r = try await global.withDatabase { try await AlertBook(database: $0).resolve(id, by: CLIActor.name) }
            print(r)
            if case .notFound = r { throw ExitCode(2) }
        }
    }
}

struct HealthCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "health-check",
        abstract: "Run the self-monitor once now (what the health_check job does every minute) and print what it saw.")
    @OptionGroup var global: GlobalOptions
    @Flag(help: "Print JSON instead of a table.") var json = false
    func run() async throws {
        let logger = global.logger()
        let run = try await global.withDatabase(maxConnections: 2) { try await HealthMonitor(database: $0, logger: logger).run(at: Date()) }
        if json {
            print(String(decoding: try JSONCoding.encoder(pretty: true).encode(run), as: UTF8.self))
            return
        }
        print(TextTable(header: ["check", "subject", "value", "severity", "message"], rows: run.observations.map { o in
            [o.check, o.subject, o.value.map { String(format: "%.3f", $0) } ?? "-", o.severity.rawValue, o.message]
        }).render())
        print("")
        print("worst: \(run.worst.rawValue)   live alerts: \(run.liveAlerts)   messages queued: \(run.messagesQueued)   (\(String(format: "%.1f", run.tookMs)) ms)")
        if run.worst == .critical { throw ExitCode(2) }
        if run.worst == .warning { throw ExitCode(1) }
    }
}
