// Enqueuer: putting jobs on the queue from Swift (the CLI and handlers use it too).
import Basics
import Foundation
import PG

/// Options for one enqueue; every field has the same default as the table's column.
public struct JobOptions: Sendable {
    public var queue: String
    /// Lower runs first; 100 by default.
    public var priority: Int
    /// Run no earlier than this; `nil` means now.
    public var runAt: Date?
    public var maxAttempts: Int
    /// While a live job (available, scheduled, running, retryable) holds this key, a
    /// second enqueue with it returns the existing job's id instead.
    public var uniqueKey: String?

    public init(queue: String = "default", priority: Int = 100, runAt: Date? = nil, maxAttempts: Int = 20,
                uniqueKey: String? = nil) {
        self.queue = queue; self.priority = priority; self.runAt = runAt
        self.maxAttempts = maxAttempts; self.uniqueKey = uniqueKey
    }
}

/// Inserts jobs. Inserting wakes listening workers through the table's NOTIFY trigger.
public struct Enqueuer: Sendable {
    public let database: Database

    public init(database: Database) { self.database = database }

    /// Enqueues one job of `Args.kind`; returns its id (or the id of the live job holding
    /// `options.uniqueKey`).
    @discardableResult
    public func enqueue<Args: JobArgs>(_ args: Args, options: JobOptions = JobOptions()) async throws -> Int64 {
        try await database.withConnection { try await Enqueuer.enqueue(on: $0, args, options: options) }
    }

    /// Enqueues one job by kind name with arguments already JSON text (an object): for the
    /// CLI and cron, which, like plain SQL, know kinds only by name.
    @discardableResult
    public func enqueue(kind: String, argsJSON: String, options: JobOptions = JobOptions()) async throws -> Int64 {
        try await database.withConnection { try await Enqueuer.enqueue(on: $0, kind: kind, argsJSON: argsJSON, options: options) }
    }

    /// Enqueues on `connection`, inside whatever transaction it is in: the job exists
    /// only if that transaction commits (the outbox pattern).
    @discardableResult
    public static func enqueue<Args: JobArgs>(on connection: Connection, _ args: Args,
                                              options: JobOptions = JobOptions()) async throws -> Int64 {
        try await enqueue(on: connection, kind: Args.kind, argsJSON: JSONCoding.string(args), options: options)
    }

    /// `enqueue(kind:argsJSON:options:)` on `connection`, inside its transaction.
    @discardableResult
    public static func enqueue(on connection: Connection, kind: String, argsJSON: String,
                               options: JobOptions = JobOptions()) async throws -> Int64 {
        try await connection.one(QueueStatements.Enqueue(kind: kind, args: JSONText(argsJSON), options: options))
    }

    /// Enqueues many jobs of one kind in one statement; returns how many were inserted.
    @discardableResult
    public func enqueueMany(kind: String, argsJSON: [String], queue: String = "default", priority: Int = 100) async throws -> Int {
        try await database.execute(QueueStatements.EnqueueMany(kind: kind, args: argsJSON, queue: queue, priority: priority))
    }
}
