// ConsoleBenchmark: the web console's pages on a 100,000-account demo database, driven over
// loopback by wrk (Debian's): p50/p95 and requests per second per page.
import Basics
import Console
import Demo
import Foundation
import Health
import Interventions
import Logging
import PG
import Web

public struct ConsolePageFigure: Sendable {
    public let name: String
    public let path: String
    public let targetMs: Double
    public let p50Ms: Double
    public let p95Ms: Double
    public let rps: Double
    public let errors: Int
}

public struct ConsoleBenchmarkResult: Sendable {
    public var accounts: Int
    public var pages: [ConsolePageFigure]
    public var p95MaxMs: Double { pages.map(\.p95Ms).max() ?? 0 }
    /// Requests per second over every page's run together.
    public var rps: Double { pages.isEmpty ? 0 : pages.map(\.rps).reduce(0, +) / Double(pages.count) }
    public var withinTargets: Bool { pages.allSatisfy { $0.p95Ms <= $0.targetMs && $0.errors == 0 } }
    /// `console: p95_ms_max=<x> rps=<r>`.
    public var line: String { String(format: "console: p95_ms_max=%.1f rps=%.0f", p95MaxMs, rps) }
}

public enum ConsoleBenchmark {
    /// wrk's Lua hook: prints the figures wrk keeps (microseconds) in lines we parse.
    static let script = """
        done = function(summary, latency, requests)
          local e = summary.errors
          io.write(string.format("FIGURES %d %d %d %d %d\\n", latency:percentile(50), latency:percentile(95),
            summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout + e.status))
        end
        """

    public static func run(url: String, accounts: Int, seconds: Int, connections: Int, logger: Logger,
                           progress: (String) -> Void) async throws -> ConsoleBenchmarkResult {
        guard let wrk = ["/usr/bin/wrk", "/usr/local/bin/wrk"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw BenchError("wrk is not installed: apt-get install wrk (or ops/install-deps.sh --tests)")
        }
        let database = Database(url: url, maxConnections: 8, logger: logger)
        let seeded = try await DemoSeeder(database: database, logger: logger).seed(accounts: accounts, seed: 1)
        let scorer = HealthScorer(database: database, logger: logger)
        let now = Date()
        _ = try await scorer.score(ScoringOptions(asOf: now.addingTimeInterval(-7 * 86_400)))
        _ = try await scorer.score(ScoringOptions(asOf: now))
        _ = try await InterventionEngine(database: database, logger: logger).evaluate()
        // Jobs in every state, as a queue that has been running a while has them.
        try await database.execute(BenchStatements.ConsoleJobs())
        try await database.withConnection { try await $0.executeScript("VACUUM ANALYZE") }
        progress(String(format: "seeded %d accounts (%d activity rows) in %.1f s, scored twice, 200,000 jobs", seeded.accounts,
                        seeded.rows["activity", default: 0], seeded.seconds))

        let issued = ConsoleTokens.issue(role: .viewer, name: "bench")
        let console = Console(database: database, tokens: try ConsoleTokens(parsing: issued.line), logger: logger)
        let session = console.sessions.start(ConsoleUser(name: "bench", role: .viewer))
        let listener = HTTPListener(address: HTTPAddress(host: "127.0.0.1", port: 0), metrics: PrometheusMetrics.shared,
                                    readiness: Readiness(database: database, expectedVersion: nil), logger: logger,
                                    addRoutes: { console.addRoutes(to: $0) })
        let bound = Locked(0)
        let serving = Task { try await listener.run(onBound: { p in bound.withLock { $0 = p } }) }
        defer { serving.cancel() }
        while bound.withLock({ $0 }) == 0 { try await Task.sleep(for: .milliseconds(20)) }
        let base = "http://127.0.0.1:\(bound.withLock { $0 })"

        let jobID = try await database.one(BenchStatements.SomeFailedJob())
        let accountID = try await database.one(BenchStatements.SomeRedAccount())
        let pages: [(String, String, Double)] = [
            ("queues", "/queues", 50), ("jobs", "/jobs", 50), ("jobs_failed", "/jobs?state=discarded", 50),
            ("job", "/jobs/\(jobID)", 50), ("account", "/accounts/\(accountID)", 50),
            ("accounts_at_risk", "/accounts", 200), ("accounts_by_mrr", "/accounts?sort=mrr", 200),
        ]
        let lua = FileManager.default.temporaryDirectory.appendingPathComponent("cs-console-\(getpid()).lua")
        try Data(script.utf8).write(to: lua)
        defer { try? FileManager.default.removeItem(at: lua) }
        var figures: [ConsolePageFigure] = []
        for (name, path, target) in pages {
            // Warm the caches once, then measure.
            _ = try BenchSupport.run(wrk, ["-t1", "-c1", "-d1s", "-H", "Cookie: cs_session=\(session.id)", base + path])
            let out = try await Task.detached {
                try BenchSupport.run(wrk, ["-t1", "-c\(connections)", "-d\(seconds)s", "-s", lua.path, "-H", "Cookie: cs_session=\(session.id)", base + path])
            }.value
            guard let line = out.split(separator: "\n").first(where: { $0.hasPrefix("FIGURES") }) else { throw BenchError("wrk printed no figures: \(out)") }
            let f = line.split(separator: " ").dropFirst().compactMap { Double($0) }
            guard f.count == 5 else { throw BenchError("unexpected wrk line: \(line)") }
            let figure = ConsolePageFigure(name: name, path: path, targetMs: target, p50Ms: f[0] / 1000, p95Ms: f[1] / 1000,
                                           rps: f[2] / (f[3] / 1e6), errors: Int(f[4]))
            figures.append(figure)
            progress(String(format: "%@ p50 %6.1f ms  p95 %6.1f ms (target %3.0f)  %6.0f req/s  errors %d", name.padding(toLength: 17, withPad: " ", startingAt: 0), figure.p50Ms, figure.p95Ms,
                            target, figure.rps, figure.errors))
        }
        await database.close()
        return ConsoleBenchmarkResult(accounts: seeded.accounts, pages: figures)
    }
}
