// Schedules: cron rows in cs.schedules, as operators add, list and remove them.
import Basics
import Foundation
import PG

/// One cron schedule: enqueue `kind` with `argsJSON` at every slot of `cron` in `timeZone`.
public struct Schedule: Sendable, Equatable {
    public var name: String
    public var cron: String
    public var timeZone: String
    public var kind: String
    public var argsJSON: String
    public var queue: String
    public var priority: Int
    public var maxAttempts: Int
    public var enabled: Bool
    public var lastSlot: Date?
    public var nextSlot: Date?

    public init(name: String, cron: String, timeZone: String = "UTC", kind: String, argsJSON: String = "{}",
                queue: String = "default", priority: Int = 100, maxAttempts: Int = 20, enabled: Bool = true,
                lastSlot: Date? = nil, nextSlot: Date? = nil) {
        self.name = name; self.cron = cron; self.timeZone = timeZone; self.kind = kind; self.argsJSON = argsJSON
        self.queue = queue; self.priority = priority; self.maxAttempts = maxAttempts; self.enabled = enabled
        self.lastSlot = lastSlot; self.nextSlot = nextSlot
    }
}

/// A schedule that cannot be stored (bad cron, unknown time zone, args not an object).
public struct ScheduleError: CodedError {
    public let code: ErrorCode<ScheduleError>
    public let message: String
    public var description: String { message }
}

extension ErrorCode where Domain == ScheduleError {
    public static let unknownTimeZone = Self("unknownTimeZone")
    public static let argsNotAnObject = Self("argsNotAnObject")
    /// The expression parses but matches no time in the next years (`0 0 31 2 *`).
    public static let neverFires = Self("neverFires")
    /// An empty kind or queue, or max_attempts outside 1…1000.
    public static let invalidField = Self("invalidField")
}

/// Reads and writes cs.schedules. Validates before writing, so the leader never meets a
/// schedule it cannot evaluate (unless one is inserted by hand; then it logs and skips it).
public struct ScheduleStore: Sendable {
    public let database: Database
    public init(database: Database) { self.database = database }

    /// Adds or replaces a schedule; its first slot is the next one after now.
    public func upsert(_ s: Schedule) async throws {
        let cron = try CronExpression(s.cron)
        guard let tz = TimeZone(identifier: s.timeZone) else { throw ScheduleError(code: .unknownTimeZone, message: "unknown time zone '\(s.timeZone)'") }
        guard let obj = try? JSONSerialization.jsonObject(with: Data(s.argsJSON.utf8)), obj is [String: Any] else {
            throw ScheduleError(code: .argsNotAnObject, message: "args must be a JSON object")
        }
        try Self.validateFields(s)
        guard let next = cron.next(after: Date(), in: tz) else {
            throw ScheduleError(code: .neverFires, message: "cron expression '\(s.cron)' never fires (no matching time in the coming years)")
        }
        try await database.execute(QueueStatements.UpsertSchedule(schedule: s, nextSlot: next))
    }

    static func validateFields(_ s: Schedule) throws {
        if s.kind.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ScheduleError(code: .invalidField, message: "a schedule needs a job kind")
        }
        if s.queue.trimmingCharacters(in: .whitespaces).isEmpty {
            throw ScheduleError(code: .invalidField, message: "a schedule needs a queue")
        }
        if !(1...1000).contains(s.maxAttempts) {
            throw ScheduleError(code: .invalidField, message: "max_attempts must be 1…1000, not \(s.maxAttempts)")
        }
    }

    /// Adds a schedule only if none has that name (default schedules at start-up).
    public func addIfMissing(_ s: Schedule) async throws {
        let exists = try await database.first(QueueStatements.ScheduleExists(name: s.name)) != nil
        if !exists { try await upsert(s) }
    }

    public func list() async throws -> [Schedule] {
        try await database.rows(QueueStatements.ListSchedules())
    }

    /// Removes a schedule; returns false when there was none by that name.
    @discardableResult
    public func remove(name: String) async throws -> Bool {
        try await database.execute(QueueStatements.RemoveSchedule(name: name)) > 0
    }
}
