// JobRegistry: which handler runs which job kind, with typed, decoded arguments.
import Basics
import Foundation
import Logging
import PG

/// The arguments of one job kind. The type carries its kind's name, so registering and
/// enqueueing cannot pair a kind with the wrong arguments (swift-jobs' `JobParameters`,
/// River's `JobArgs.Kind()`). Plain SQL enqueues by the same name: `INSERT INTO cs.jobs
/// (kind, args) VALUES ('score_accounts', '{}')`. JSON keys are snake_case.
public protocol JobArgs: Codable, Sendable {
    /// The `cs.jobs.kind` of jobs with these arguments.
    static var kind: String { get }
    /// Checks ranges and relations the types cannot say (a negative number of days):
    /// throw `JobArgumentError` naming the field; the job is then discarded with that
    /// reason before its handler runs. The default accepts everything.
    func validate() throws
}

extension JobArgs {
    public func validate() throws {}
}

/// One argument of a job is out of its range: which field, and why.
public struct JobArgumentError: Error, CustomStringConvertible, Sendable {
    public let field: String
    public let reason: String
    public init(field: String, _ reason: String) { self.field = field; self.reason = reason }
    public var description: String { "\(field): \(reason)" }
}

/// What a handler gets besides its arguments.
public struct JobContext: Sendable {
    public let job: Job
    /// A pool for the handler's own queries.
    public let database: Database
    /// For follow-up jobs (in the handler's own transaction, use `Enqueuer.enqueue(on:)`).
    public let enqueuer: Enqueuer
    /// Carries `job_id`, `job_kind`, `attempt`.
    public let logger: Logger

    /// Stores what the job did (counts, a verdict; never personal data) in its row's
    /// `result`, for `cs.jobs` readers and the console. The last call wins.
    public func recordResult<T: Encodable>(_ value: T) async throws {
        try await database.execute(QueueStatements.RecordResult(id: job.id, attempt: job.attempt, result: try JSONText(encoding: value)))
    }

    /// Debounce: from now on an enqueue with this job's unique key makes a new job instead
    /// of being absorbed by this one. With an enqueuer that locks the live job's row on
    /// conflict (`cs.enqueue_rescore`), a handler reading its inputs after this call sees
    /// everything a deduplicated enqueue's transaction wrote; anything later gets its own run.
    public func releaseUniqueKey() async throws {
        try await database.execute(QueueStatements.ReleaseUniqueKey(id: job.id, attempt: job.attempt))
    }
}

/// A registered handler: kind, timeout and the type-erased body.
public struct JobHandler: Sendable {
    public let kind: String
    public let timeout: Duration
    let run: @Sendable (Job, JobContext) async throws -> Void
}

/// The kinds a worker can run. Register everything before the worker starts.
///
/// `@unchecked Sendable`: `handlers` is only touched under `lock`.
public final class JobRegistry: @unchecked Sendable {
    private let lock = NSLock()
    private var handlers: [String: JobHandler] = [:]

    public init() {}

    /// Registers `handler` for `Args.kind`. `Args` is decoded from the job's JSON
    /// arguments (snake_case keys map to camelCase properties); a job whose arguments do
    /// not decode is discarded with the decoder's reason. `timeout` cancels the handler's
    /// task and counts as a failed attempt.
    public func register<Args: JobArgs>(
        _ args: Args.Type, timeout: Duration = .seconds(300),
        _ handler: @escaping @Sendable (Args, JobContext) async throws -> Void
    ) {
        let kind = Args.kind
        // One decoder per kind, not per job: making one costs more than decoding small args.
        let decoder = JSONCoding.decoder()
        let run: @Sendable (Job, JobContext) async throws -> Void = { job, ctx in
            let args: Args
            do {
                args = try decoder.decode(Args.self, from: Data(job.args))
            } catch {
                throw JobArgumentsError(kind: job.kind, message: JobRegistry.describe(decodingError: error, json: job.args))
            }
            do { try args.validate() } catch let e as JobArgumentError {
                throw JobArgumentsError(kind: job.kind, message: e.description)
            }
            try await handler(args, ctx)
        }
        lock.withLock { handlers[kind] = JobHandler(kind: kind, timeout: timeout, run: run) }
    }

    /// The handler for `kind`, if one is registered.
    public func handler(for kind: String) -> JobHandler? { lock.withLock { handlers[kind] } }

    /// Every registered kind, sorted.
    public var kinds: [String] { lock.withLock { handlers.keys.sorted() } }

    static func describe(decodingError error: Error, json: [UInt8] = []) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let ctx):
            return "missing key '\(path(ctx.codingPath + [key]))'"
        case DecodingError.typeMismatch(let type, let ctx):
            return "'\(path(ctx.codingPath))' is not \(type)"
        case DecodingError.valueNotFound(let type, let ctx):
            return "'\(path(ctx.codingPath))' is null, expected \(type)"
        case DecodingError.dataCorrupted(let ctx):
            // jsonb is always valid JSON: at the root this means too deep, or a number no
            // Swift type can hold. Say which, from the parser's own words.
            let why = JSONValue.readabilityProblem(json) ?? ctx.underlyingError.map { Self.parserReason($0) } ?? ctx.debugDescription
            return ctx.codingPath.isEmpty ? "JSON that cannot be read here: \(why)" : "'\(path(ctx.codingPath))': \(why)"
        default:
            return "\(error)"
        }
    }

    /// The parser's reason (nesting depth, an unrepresentable number), one short line.
    private static func parserReason(_ error: Error) -> String {
        let ns = error as NSError
        let text = (ns.userInfo[NSDebugDescriptionErrorKey] as? String) ?? "\(error)"
        return String(text.prefix(300))
    }

    private static func path(_ keys: [CodingKey]) -> String {
        keys.map { $0.intValue.map { "[\($0)]" } ?? snakeCase($0.stringValue) }.joined(separator: ".")
    }

    /// The JSON spelling of a property name (`sleepMs` → `sleep_ms`), as the job's author wrote it.
    private static func snakeCase(_ name: String) -> String {
        var out = ""
        for ch in name {
            if ch.isUppercase { out += "_" + ch.lowercased() } else { out.append(ch) }
        }
        return out
    }
}

