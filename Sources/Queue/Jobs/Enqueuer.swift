// Enqueuer: putting jobs on the queue from Swift (the CLI and handlers use it too).
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

    /// Enqueues one job; returns its id (or the id of the live job holding `uniqueKey`).
    @discardableResult
    public func enqueue<Args: Encodable>(_ kind: String, args: Args, options: JobOptions = JobOptions()) async throws -> Int64 {
        try await enqueue(kind, argsJSON: Enqueuer.encode(args), options: options)
    }

    /// Enqueues one job whose arguments are already JSON text (an object).
    @discardableResult
    public func enqueue(_ kind: String, argsJSON: String, options: JobOptions = JobOptions()) async throws -> Int64 {
        try await database.withConnection { try await Enqueuer.enqueue(on: $0, kind, argsJSON: argsJSON, options: options) }
    }

    /// Enqueues on `connection`, inside whatever transaction it is in: the job exists
    /// only if that transaction commits (the outbox pattern).
    @discardableResult
    public static func enqueue(on connection: Connection, _ kind: String, argsJSON: String,
                               options: JobOptions = JobOptions()) async throws -> Int64 {
        let r = try await connection.query(QueueSQL.enqueue, [
            kind, JSONText(argsJSON), options.queue, options.priority, options.runAt ?? Date(),
            options.maxAttempts, options.uniqueKey,
        ])
        guard let row = r.first else { throw PGError(.usage, "enqueue returned no id", query: QueueSQL.enqueue) }
        return try row.decode(Int64.self, 0)
    }

    /// Enqueues many jobs of one kind in one statement; returns how many were inserted.
    @discardableResult
    public func enqueueMany(_ kind: String, argsJSON: [String], queue: String = "default", priority: Int = 100) async throws -> Int {
        try await database.withConnection { conn in
            try await conn.execute(QueueSQL.enqueueMany, [kind, argsJSON, queue, priority])
        }
    }

    static func encode<Args: Encodable>(_ args: Args) throws -> String {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(args), as: UTF8.self)
    }
}
