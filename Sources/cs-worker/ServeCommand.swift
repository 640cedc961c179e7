// `cs-worker serve`: the web console (and /metrics, /healthz, /readyz) on one listener;
// `cs-worker console-token`: a new sign-in token and the line that accepts it.
import ArgumentParser
import Console
import Foundation
import Logging
import PG
import Web

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the web console for operators and CS leads (queues, jobs, workers, schedules, deliveries, alerts, accounts at risk, reports).",
        discussion: """
            Sign-in tokens come from CS_CONSOLE_TOKENS, a reference (env:NAME or file:/path) to lines
            'viewer|operator NAME SHA256-HEX' made by `cs-worker console-token`. Binds loopback unless told otherwise.
            """)
    @OptionGroup var global: GlobalOptions
    @Option(help: "HOST:PORT to listen on.") var http: String = "127.0.0.1:8080"
    @Option(help: "Where the sign-in tokens are (default: $CS_CONSOLE_TOKENS).") var tokens: String?
    @Option(help: "Minutes of inactivity after which a session ends.") var sessionMinutes: Double = 480
    @Option(help: "Database connections for the pages.") var poolSize: Int = 8

    func validate() throws {
        do { _ = try HTTPAddress(parsing: http) } catch let e as PGError { throw ValidationError(e.message) }
        guard sessionMinutes > 0 else { throw ValidationError("--session-minutes must be positive") }
        guard (1...64).contains(poolSize) else { throw ValidationError("--pool-size must be 1…64") }
    }

    func run() async throws {
        let logger = global.logger()
        guard let reference = tokens ?? ProcessInfo.processInfo.environment["CS_CONSOLE_TOKENS"], !reference.isEmpty else {
            throw ValidationError("no console tokens: set CS_CONSOLE_TOKENS (env:NAME or file:/path) or --tokens; make one with `cs-worker console-token`")
        }
        let accepted: ConsoleTokens
        do { accepted = try ConsoleTokens.load(reference: reference) } catch let e as ConsoleAuthError { throw ValidationError(e.description) }
        let url = try global.url()
        let pages = Database(url: url, maxConnections: poolSize, applicationName: "cs-worker-console", pooling: global.poolingMode, logger: logger)
        let console = Console(database: pages, tokens: accepted, sessions: ConsoleSessions(idle: sessionMinutes * 60), logger: logger)
        let (address, pooling) = (http, global.poolingMode)
        let serving = Task {
            try await HTTPSide.serve(address: address, url: url, pooling: pooling, metrics: PrometheusMetrics.shared,
                                     isLeader: { true }, console: console, logger: logger)
        }
        let signals = SignalWatcher { _ in serving.cancel() }
        defer { signals.cancel() }
        do { try await serving.value } catch {
            await pages.close()
            throw CommandFailure(description: "cannot serve on \(http): \(error)")
        }
        await pages.close()
    }
}

struct ConsoleToken: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "console-token",
        abstract: "Make a console sign-in token: prints the token (give it to the person) and the line for the CS_CONSOLE_TOKENS file.")
    @Option(help: "viewer (reads every page) or operator (may also press the buttons).") var role: String = "viewer"
    @Option(help: "Who it is for (shown in the console and the operator log).") var name: String

    func validate() throws {
        guard ConsoleRole(rawValue: role) != nil else { throw ValidationError("--role must be viewer or operator") }
        guard !name.isEmpty, !name.contains(where: { $0.isWhitespace }) else { throw ValidationError("--name must be one word") }
    }

    func run() async throws {
        let issued = ConsoleTokens.issue(role: ConsoleRole(rawValue: role) ?? .viewer, name: name)
        print("token: \(issued.token)")
        print("line:  \(issued.line)")
    }
}
