// `cs-worker privacy …`: retention purges and the audit log from a terminal.
import ArgumentParser
import Basics
import Foundation
import PG
import Privacy

struct PrivacyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "privacy", abstract: "Retention purges (cs.retention_policies) and the audit log.",
        subcommands: [Purge.self, Audit.self])

    struct Purge: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Delete or anonymise what the retention policies say is due, in short batches (what the daily retention_purge job does).")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Only count what is due; change nothing.") var dryRun = false
        @Option(help: "Only this category (repeatable).") var policy: [String] = []
        @Flag(help: "Print JSON instead of a table.") var json = false
        func run() async throws {
            let logger = global.logger()
            let actor = "cli:" + (ProcessInfo.processInfo.environment["USER"] ?? "unknown")
            let results = try await global.withDatabase {
                try await RetentionPurger(database: $0, actor: actor, logger: logger).purge(dryRun: dryRun, only: policy.isEmpty ? nil : policy)
            }
            if json {
                print(String(decoding: try JSONCoding.encoder(pretty: true).encode(results), as: UTF8.self))
            } else {
                print(TextTable(header: ["policy", "table", "action", "keep_days", dryRun ? "due" : "rows", "batches", "seconds", "error"],
                                rows: results.map { r in
                    [r.category, r.table, r.action, String(format: "%.0f", r.keepDays), "\(r.rows)", "\(r.batches)",
                     String(format: "%.2f", r.seconds), r.error ?? ""]
                }).render())
            }
            if results.contains(where: { $0.error != nil }) { throw ExitCode(1) }
        }
    }

    struct Audit: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The newest audit-log entries.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Entries to show.") var limit = 50
        func run() async throws {
            let rows = try await global.withDatabase { try await $0.rows(AuditLogList(limit: limit)) }
            print(TextTable(header: ["id", "at", "actor", "action", "subject", "counts"], rows: rows).render())
        }
    }
}

/// The newest audit entries as text cells.
struct AuditLogList: Statement {
    var limit: Int
    var sql: String {
        """
        SELECT id::text, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'), actor, action,
               coalesce(subject_kind || ' ' || subject_id, ''), counts::text
        FROM cs.audit_log ORDER BY id DESC LIMIT $1
        """
    }
    var bindings: [any SQLParameter] { [limit] }
    func decode(_ r: Row) throws -> [String] { try (0..<6).map { try r.decode(String.self, $0) } }
}
