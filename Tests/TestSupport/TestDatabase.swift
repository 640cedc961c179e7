// TestDatabase: a private, migrated database per test case, on the real server named by
// DATABASE_URL, so test cases run in parallel without seeing each other's rows.
import Foundation
import Logging
import PG

public enum TestEnvironment {
    /// The server the tests use (`ops/test.sh` starts one and sets it).
    public static var adminURL: String {
        get throws {
            guard let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty else {
                throw TestSetupError("DATABASE_URL is not set: run the tests through ops/test.sh, which starts a private PostgreSQL")
            }
            return url
        }
    }

    /// The repository root (for `sql/`, `.venv/`, the built binary).
    public static let repoRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static var logger: Logger {
        var l = Logger(label: "test")
        l.logLevel = ProcessInfo.processInfo.environment["TEST_LOG"] == "1" ? .debug : .critical
        return l
    }

    /// The `cs-worker` executable built next to the test bundle (`swift build` builds it).
    public static func workerBinary() throws -> URL {
        let candidates = [
            Bundle.main.bundleURL.appendingPathComponent("cs-worker"),
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("cs-worker"),
            repoRoot.appendingPathComponent(".build/debug/cs-worker"),
        ]
        if let found = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0.path) }) { return found }
        throw TestSetupError("cs-worker binary not found next to the tests: run `swift build` first (ops/test.sh does)")
    }
}

public struct TestSetupError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}

/// A fresh database holding every migration, dropped by `drop()`.
public final class TestDatabase: Sendable {
    public let name: String
    public let url: String
    public let database: Database

    private static let template = TemplateHolder()

    /// Creates `t_<random>` from a migrated template (made once per migration set).
    public static func create(maxConnections: Int = 8) async throws -> TestDatabase {
        let admin = try TestEnvironment.adminURL
        let templateName = try await template.ensure(adminURL: admin)
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
        let conn = try await Connection.connect(url: admin, logger: TestEnvironment.logger)
        var lastError: Error?
        for attempt in 0..<20 {
            do {
                try await conn.executeScript("CREATE DATABASE \(name) TEMPLATE \(templateName)")
                lastError = nil
                break
            } catch let e as PGError where e.sqlState == "55006" { // template busy
                lastError = e
                try await Task.sleep(for: .milliseconds(50 + attempt * 25))
            }
        }
        await conn.close()
        if let lastError { throw lastError }
        let url = DatabaseURL.replacingDatabase(in: admin, with: name)
        return TestDatabase(name: name, url: url,
                            database: Database(url: url, maxConnections: maxConnections, logger: TestEnvironment.logger))
    }

    init(name: String, url: String, database: Database) {
        self.name = name
        self.url = url
        self.database = database
    }

    /// Drops the database (closing anything still connected).
    public func drop() async {
        await database.close()
        guard let admin = try? TestEnvironment.adminURL,
              let conn = try? await Connection.connect(url: admin, logger: TestEnvironment.logger) else { return }
        _ = try? await conn.executeScript("DROP DATABASE IF EXISTS \(name) WITH (FORCE)")
        await conn.close()
    }

    /// Runs `body` with a fresh database and drops it afterwards, whatever happens.
    public static func with<T: Sendable>(maxConnections: Int = 8, _ body: (TestDatabase) async throws -> T) async throws -> T {
        let db = try await create(maxConnections: maxConnections)
        do {
            let v = try await body(db)
            await db.drop()
            return v
        } catch {
            await db.drop()
            throw error
        }
    }
}

/// Makes the migrated template database once per test process and migration set.
actor TemplateHolder {
    private var name: String?

    func ensure(adminURL: String) async throws -> String {
        if let name { return name }
        guard let dir = Migrator.locateDirectory() ?? Optional(TestEnvironment.repoRoot.appendingPathComponent("sql")) else {
            throw TestSetupError("sql/ not found")
        }
        let migrator = try Migrator(directory: dir, logger: TestEnvironment.logger)
        var h: UInt64 = 0xcbf29ce484222325
        for m in migrator.migrations { for b in m.checksum.utf8 { h ^= UInt64(b); h = h &* 0x100000001b3 } }
        let templateName = "cs_tmpl_" + String(h, radix: 16)
        let admin = try await Connection.connect(url: adminURL, logger: TestEnvironment.logger)
        // Serialise template creation across test processes too.
        try await admin.execute("SELECT pg_advisory_lock(4242)")
        let exists = try await admin.query("SELECT 1 FROM pg_database WHERE datname = $1", [templateName]).count > 0
        if !exists {
            let building = templateName + "_build"
            try await admin.executeScript("DROP DATABASE IF EXISTS \(building) WITH (FORCE)")
            try await admin.executeScript("CREATE DATABASE \(building)")
            let conn = try await Connection.connect(url: DatabaseURL.replacingDatabase(in: adminURL, with: building),
                                                    logger: TestEnvironment.logger)
            try await migrator.migrate(conn)
            await conn.close()
            try await admin.executeScript("ALTER DATABASE \(building) RENAME TO \(templateName)")
        }
        try await admin.execute("SELECT pg_advisory_unlock(4242)")
        await admin.close()
        name = templateName
        return templateName
    }
}
