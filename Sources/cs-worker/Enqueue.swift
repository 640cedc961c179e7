// `cs-worker enqueue`: put one job on the queue.
import ArgumentParser
import Foundation
import PG
import Queue

struct Enqueue: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Enqueue one job (the same as INSERT INTO cs.jobs).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Job kind, e.g. score_accounts.") var kind: String
    @Option(help: "Arguments as a JSON object.") var args: String = "{}"
    @Option(help: "Queue name.") var queue: String = "default"
    @Option(help: "Priority: lower runs first.") var priority: Int = 100
    @Option(help: "Run at (ISO 8601, e.g. 2026-12-01T09:00:00Z) or in N seconds (+30).") var runAt: String?
    @Option(help: "Attempts before the job is discarded.") var maxAttempts: Int = 20
    @Option(help: "At most one live job per key.") var uniqueKey: String?

    func validate() throws {
        guard let obj = try? JSONSerialization.jsonObject(with: Data(args.utf8)), obj is [String: Any] else {
            throw ValidationError("--args must be a JSON object, e.g. '{\"account_ids\": [1, 2]}'")
        }
        if let runAt { _ = try parseRunAt(runAt) }
        guard maxAttempts > 0 else { throw ValidationError("--max-attempts must be positive") }
    }

    /// `+SECONDS` (finite, at most ten years ahead) or an ISO 8601 instant in years 1970…9999.
    func parseRunAt(_ text: String) throws -> Date {
        if text.hasPrefix("+") {
            guard let secs = Double(text.dropFirst()), secs.isFinite, secs >= 0, secs <= 10 * 366 * 86_400 else {
                throw ValidationError("--run-at +SECONDS must be a number of seconds from 0 to ten years, not '\(text)'")
            }
            return Date().addingTimeInterval(secs)
        }
        guard let d = ISO8601DateFormatter().date(from: text) else {
            throw ValidationError("--run-at must be ISO 8601 (2026-12-01T09:00:00Z) or +SECONDS")
        }
        guard d.timeIntervalSince1970 >= 0, d < Date(timeIntervalSince1970: 253_402_300_799) else {
            throw ValidationError("--run-at must lie between 1970 and 9999, not '\(text)'")
        }
        return d
    }

    func run() async throws {
        let options = JobOptions(queue: queue, priority: priority, runAt: try runAt.map(parseRunAt),
                                 maxAttempts: maxAttempts, uniqueKey: uniqueKey)
        let id = try await global.withDatabase { db in
            try await Enqueuer(database: db).enqueue(kind: kind, argsJSON: args, options: options)
        }
        print(id)
    }
}
