// cs-worker: the executable. Argument parsing and wiring only; the work is in the modules.
import ArgumentParser
import Foundation
import Logging
import PG

@main
struct CSWorker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cs-worker",
        abstract: "PostgreSQL-backed job worker for customer success.",
        discussion: "Every command reads DATABASE_URL (a libpq URL) unless --database-url is given.",
        subcommands: [
            Migrate.self, Work.self, Enqueue.self, Status.self, Jobs.self, QueueCommand.self, ScheduleCommand.self,
            AlertsCommand.self, HealthCheckCommand.self, Serve.self, ConsoleToken.self, PrivacyCommand.self,
            Deliver.self, Deliveries.self, Explain.self, DemoCommand.self, ModelCommand.self, ReportCommand.self, Bench.self,
        ]
    )
}

/// Options every command shares.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "libpq connection URL (default: $DATABASE_URL).")
    var databaseURL: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = ProcessInfo.processInfo.environment["CS_LOG_LEVEL"] ?? "notice"

    @Option(name: .long, help: "How the server sessions behind the URL are shared: session (a direct server or a session pooler) or transaction (PgBouncer pool_mode=transaction). Default: $CS_POOLING, else session.")
    var pooling: String = ProcessInfo.processInfo.environment["CS_POOLING"] ?? "session"

    func validate() throws {
        guard Logger.Level(rawValue: logLevel.lowercased()) != nil else {
            throw ValidationError("--log-level (or CS_LOG_LEVEL) must be one of trace, debug, info, notice, warning, error, critical, not '\(logLevel)'")
        }
        guard PoolingMode(setting: pooling) != nil else {
            throw ValidationError("--pooling (or CS_POOLING) must be session or transaction, not '\(pooling)'")
        }
    }

    /// The pooling mode asked for (validated by `validate()`).
    var poolingMode: PoolingMode { PoolingMode(setting: pooling) ?? .session }

    func url() throws -> String {
        let url: String
        if let databaseURL, !databaseURL.isEmpty { url = databaseURL }
        else if let env = ProcessInfo.processInfo.environment["DATABASE_URL"], !env.isEmpty { url = env }
        else { throw ValidationError("no database: set DATABASE_URL or pass --database-url") }
        do { try DatabaseURL.validate(url) } catch let e as PGError { throw ValidationError(e.message) }
        return url
    }

    /// Opens a pool of `maxConnections`, runs `body` with it and closes it, also when
    /// `body` throws: the one way a command opens the database.
    func withDatabase<T: Sendable>(maxConnections: Int = 1, _ body: (Database) async throws -> T) async throws -> T {
        let db = Database(url: try url(), maxConnections: maxConnections, pooling: poolingMode, logger: logger())
        do {
            let value = try await body(db)
            await db.close()
            return value
        } catch {
            await db.close()
            throw error
        }
    }

    func logger(_ label: String = "cs-worker") -> Logger {
        LogSetup.bootstrapOnce()
        var l = Logger(label: label)
        l.logLevel = Logger.Level(rawValue: logLevel.lowercased()) ?? .notice
        return l
    }
}

enum LogSetup {
    private static let once: Void = {
        LoggingSystem.bootstrap { OneLineLogHandler(label: $0) }
    }()
    static func bootstrapOnce() { _ = once }
}

/// Turns an error into one readable line for the terminal and a non-zero exit.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
}
