// DiagnosticJobs: built-in kinds for checking a deployment — `noop` and `probe`.
import Foundation
import PG

/// Arguments of `probe`: optionally take some time, optionally fail, and record the run.
public struct ProbeArgs: JobArgs {
    public static let kind = "probe"
    /// Milliseconds to spend (cancellable).
    public var sleepMs: Int?
    /// Throw this message instead of succeeding.
    public var fail: String?
    /// With `fail`: throw a permanent error (discard at once).
    public var permanent: Bool?
    /// Record the run in cs.probe_runs (default true).
    public var record: Bool?
    public init(sleepMs: Int? = nil, fail: String? = nil, permanent: Bool? = nil, record: Bool? = nil) {
        self.sleepMs = sleepMs; self.fail = fail; self.permanent = permanent; self.record = record
    }
}

/// `noop`: does nothing (the benchmark's job).
public struct Noop: JobArgs {
    public static let kind = "noop"
    public init() {}
}

public enum DiagnosticJobs {
    /// Registers `noop` (does nothing: the benchmark's job) and `probe`.
    public static func register(in registry: JobRegistry, workerID: String) {
        registry.register(Noop.self, timeout: .seconds(10)) { _, _ in }
        registry.register(ProbeArgs.self, timeout: .seconds(600)) { args, ctx in
            if args.record ?? true {
                try await ctx.database.execute(QueueStatements.RecordProbeRun(jobID: ctx.job.id, attempt: ctx.job.attempt, workerID: workerID))
            }
            if let ms = args.sleepMs, ms > 0 { try await Task.sleep(for: .milliseconds(ms)) }
            if let message = args.fail {
                if args.permanent ?? false { throw PermanentJobError(message) }
                throw ProbeFailure(message: message)
            }
        }
    }
}

struct ProbeFailure: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
