// Migrator: applies the numbered plain-SQL files in `sql/`, once each, in order.
import Basics
import Foundation
import Logging

/// One migration file, `NNNN_name.sql`.
public struct Migration: Sendable, Equatable {
    public let version: Int
    public let name: String
    public let sql: String
    /// FNV-1a of the file, so an edited, already-applied file is noticed.
    public var checksum: String {
        String(FNV1a.hash64(sql), radix: 16)
    }
}

/// Applies migrations under a PostgreSQL advisory lock, so two processes migrating at
/// once take turns and each file runs exactly once. Each file runs in its own
/// transaction together with the row that records it and the lock.
public struct Migrator: Sendable {
    public let migrations: [Migration]
    let logger: Logger
    static let lockKey: Int64 = 7_310_420_117_001

    public init(migrations: [Migration], logger: Logger) {
        self.migrations = migrations.sorted { $0.version < $1.version }
        self.logger = logger
    }

    /// Reads `NNNN_name.sql` files from `directory`.
    public init(directory: URL, logger: Logger) throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".sql") }.sorted()
        var list: [Migration] = []
        for file in files {
            let stem = file.dropLast(4)
            guard let underscore = stem.firstIndex(of: "_"), let version = Int(stem[..<underscore]) else {
                throw PGError(.usage, "migration file \(file) is not named NNNN_name.sql")
            }
            let sql = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            list.append(Migration(version: version, name: String(stem[stem.index(after: underscore)...]), sql: sql))
        }
        if Set(list.map(\.version)).count != list.count { throw PGError(.usage, "two migration files share a version number") }
        self.init(migrations: list, logger: logger)
    }

    /// The `sql/` folder: `$CS_SQL_DIR`, else `./sql`, else next to the executable's
    /// build folder, else the source tree this binary was built from.
    public static func locateDirectory(filePath: String = #filePath) -> URL? {
        let fm = FileManager.default
        var candidates: [URL] = []
        if let env = ProcessInfo.processInfo.environment["CS_SQL_DIR"] { candidates.append(URL(fileURLWithPath: env)) }
        candidates.append(URL(fileURLWithPath: fm.currentDirectoryPath).appendingPathComponent("sql"))
        let exe = URL(fileURLWithPath: CommandLine.arguments.first ?? "").resolvingSymlinksInPath().deletingLastPathComponent()
        candidates.append(exe.appendingPathComponent("sql"))
        candidates.append(exe.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("sql"))
        candidates.append(exe.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("sql"))
        // Sources/PG/Migrator.swift -> repo root
        candidates.append(URL(fileURLWithPath: filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("sql"))
        return candidates.first { fm.fileExists(atPath: $0.appendingPathComponent("0001_queue.sql").path) }
    }

    /// Applies what is missing; returns the versions applied by this call.
    ///
    /// Each step is one transaction that first takes a transaction-scoped advisory lock,
    /// so migrators take turns without any session state: this works on a direct
    /// connection and through a transaction pooler alike. A file another migrator applied
    /// while we waited for the lock is seen and skipped.
    @discardableResult
    public func migrate(_ conn: Connection) async throws -> [Int] {
        try await conn.transaction { tx in
            try await tx.execute(Statements.Lock())
            try await tx.executeScript(Statements.createLedger)
        }
        var done: [Int: String] = [:]
        for (version, checksum) in try await conn.rows(Statements.Applied()) { done[version] = checksum }
        var applied: [Int] = []
        for m in migrations {
            if let sum = done[m.version] {
                if sum != m.checksum {
                    logger.warning("applied migration was edited since", metadata: ["version": "\(m.version)", "name": "\(m.name)"])
                }
                continue
            }
            let ran: Bool
            do {
                ran = try await conn.transaction { tx in
                    try await tx.execute(Statements.Lock())
                    if try await tx.first(Statements.IsApplied(version: m.version)) != nil { return false }
                    try await tx.executeScript(m.sql)
                    try await tx.execute(Statements.Record(migration: m))
                    return true
                }
            } catch {
                throw MigrationError(version: m.version, name: m.name, underlying: error)
            }
            guard ran else { continue }
            logger.notice("applied migration", metadata: ["version": "\(m.version)", "name": "\(m.name)"])
            applied.append(m.version)
        }
        return applied
    }
}

extension Migrator {
    /// The migrator's own SQL: its lock and its ledger, `cs.schema_migrations`.
    enum Statements {
        /// The transaction-scoped advisory lock that serialises migrators (released at
        /// COMMIT or ROLLBACK, so nothing is left held if a migrator dies).
        struct Lock: Statement {
            var sql: String { "SELECT pg_advisory_xact_lock($1)" }
            var bindings: [any SQLParameter] { [Migrator.lockKey] }
        }

        struct IsApplied: Statement {
            var version: Int
            var sql: String { "SELECT 1 FROM cs.schema_migrations WHERE version = $1" }
            var bindings: [any SQLParameter] { [version] }
            func decode(_ row: Row) throws -> Int { try row.decode(Int.self, 0) }
        }

        /// The ledger, created before anything else (a script: DDL, no parameters).
        static let createLedger = """
            CREATE SCHEMA IF NOT EXISTS cs;
            CREATE TABLE IF NOT EXISTS cs.schema_migrations (
                version    integer PRIMARY KEY,
                name       text NOT NULL,
                checksum   text NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            );
            """

        struct Applied: Statement {
            var sql: String { "SELECT version, checksum FROM cs.schema_migrations" }
            func decode(_ row: Row) throws -> (version: Int, checksum: String) { (try row.decode(Int.self, 0), try row.decode(String.self, 1)) }
        }

        struct Record: Statement {
            var migration: Migration
            var sql: String { "INSERT INTO cs.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)" }
            var bindings: [any SQLParameter] { [migration.version, migration.name, migration.checksum] }
        }
    }
}

/// A migration file failed; the database is as it was before that file.
public struct MigrationError: CodedError {
    public let code: ErrorCode<MigrationError> = .fileFailed
    public let version: Int
    public let name: String
    /// What the server said, with its SQLSTATE, when the failure came from it.
    public let serverError: PGError?
    public let reason: String
    init(version: Int, name: String, underlying: any Error) {
        self.version = version; self.name = name
        serverError = underlying as? PGError
        reason = "\(underlying)"
    }
    public var message: String { "migration \(version)_\(name) failed: \(reason)" }
    public var description: String { message }
}

extension ErrorCode where Domain == MigrationError {
    /// A migration file did not apply; its transaction was rolled back.
    public static let fileFailed = Self("fileFailed")
}
