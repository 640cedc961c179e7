// `cs-worker privacy …`: retention purges and the audit log from a terminal.
import ArgumentParser
import Basics
import Foundation
import PG
import Privacy

struct PrivacyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "privacy", abstract: "Retention purges (cs.retention_policies) and the audit log.",
        subcommands: [Purge.self, Erase.self, Export.self, Requests.self, RotateKey.self, Audit.self])

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

    /// `--contact ID` or `--account ID`.
    struct Subject: ParsableArguments {
        @Option(help: "A contact's id.") var contact: Int64?
        @Option(help: "An account's id (the account and everything under it).") var account: Int64?
        @Option(help: "The legal basis or reference of the request.") var basis = "data subject request"
        func validate() throws {
            guard (contact == nil) != (account == nil) else { throw ValidationError("give exactly one of --contact or --account") }
        }
        var subject: PrivacySubject { contact.map(PrivacySubject.contact) ?? .account(account ?? 0) }
    }

    struct Erase: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Erase a contact or an account everywhere the system keeps a copy (Art. 17), now; recorded in cs.privacy_requests and the audit log.")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var subject: Subject
        func run() async throws {
            let logger = global.logger()
            let counts = try await global.withDatabase { db in
                let requests = PrivacyRequests(database: db, logger: logger)
                let id = try await requests.file("erase", subject.subject, basis: subject.basis)
                do { return "request \(id): " + (try await requests.erase(request: id, actor: CLIActor.name, key: try JobKinds.piiKey())) } catch let e as PrivacyRequestError {
                    throw CommandFailure(description: e.description)
                }
            }
            print(counts)
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write everything about a contact or an account as one JSON document (Art. 15/20; docs/PRIVACY.md).")
        @OptionGroup var global: GlobalOptions
        @OptionGroup var subject: Subject
        @Option(help: "The file to write.") var out: String
        func run() async throws {
            let logger = global.logger()
            let started = ContinuousClock.now
            let (id, bytes) = try await global.withDatabase { db in
                let requests = PrivacyRequests(database: db, logger: logger)
                let id = try await requests.file("export", subject.subject, basis: subject.basis)
                do { return (id, try await requests.export(request: id, to: out, actor: CLIActor.name, key: try JobKinds.piiKey())) } catch let e as PrivacyRequestError {
                    throw CommandFailure(description: e.description)
                }
            }
            print(String(format: "request %lld: %d bytes written to %@ in %.3f s", id, bytes, out, (ContinuousClock.now - started).seconds))
        }
    }

    struct Requests: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Erasure and export requests, overdue ones (past one month) flagged.")
        @OptionGroup var global: GlobalOptions
        func run() async throws {
            let rows = try await global.withDatabase { try await PrivacyRequests(database: $0, logger: global.logger()).list() }
            let f = ISO8601DateFormatter()
            print(TextTable(header: ["id", "kind", "subject", "status", "received", "due by", "done", "counts", "kept", "error"], rows: rows.map { r in
                ["\(r.id)", r.kind, "\(r.subjectKind) \(r.subjectID)", r.overdue ? "OVERDUE" : r.status, f.string(from: r.receivedAt),
                 f.string(from: r.dueBy), r.completedAt.map(f.string) ?? "", r.counts, r.kept, r.error ?? ""]
            }).render())
        }
    }

    struct RotateKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-key",
            abstract: "Install a PII public key (the first, or a new one) and re-encrypt every contact with it; CS_PII_PRIVATE_KEY must hold the previous private key when there was one.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "The new ASCII-armored OpenPGP public key file.") var `public`: String
        func run() async throws {
            let key = try String(contentsOfFile: `public`, encoding: .utf8)
            guard key.contains("BEGIN PGP PUBLIC KEY BLOCK") else { throw ValidationError("\(`public`) is not an ASCII-armored OpenPGP public key") }
            let logger = global.logger()
            let n = try await global.withDatabase {
                try await PrivacyRequests(database: $0, logger: logger).rotateKey(publicKey: key, previous: try JobKinds.piiKey(), actor: CLIActor.name)
            }
            print("PII key installed; \(n) contacts encrypted with it. Keep the private key out of the database (CS_PII_PRIVATE_KEY=file:…).")
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
