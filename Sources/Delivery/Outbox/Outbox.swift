// Outbox: queueing messages in the caller's transaction, and reading the outbox back.
import Basics
import Foundation
import PG

/// The delivery outbox (`cs.deliveries`). A message is queued with the business change
/// that causes it, in the same transaction, so it exists exactly when that change commits.
public enum Outbox {
    /// Queues a message on `connection` (inside the caller's transaction, if any) through
    /// `cs.enqueue_delivery`, which also queues its `deliver` job. Returns the delivery id.
    ///
    /// `idempotencyKey` names the logical message: queueing the same key again returns the
    /// first delivery's id and sends nothing more. It also becomes the PagerDuty dedup_key,
    /// the email Message-ID and the gateways' Idempotency-Key. Nil means a fresh key.
    @discardableResult
    public static func enqueue(on connection: Connection, channel: String, recipient: String? = nil,
                               subject: String? = nil, text: String, html: String? = nil,
                               payload: [String: JSONValue] = [:], idempotencyKey: String? = nil,
                               accountID: Int64? = nil, contactID: Int64? = nil, interventionID: Int64? = nil,
                               maxAttempts: Int = 12) async throws -> Int64 {
        guard let id = try await connection.first(DeliveryStatements.Enqueue(
            channel: channel, recipient: recipient, subject: subject, text: text, html: html, payload: payload,
            idempotencyKey: idempotencyKey, accountID: accountID, contactID: contactID, interventionID: interventionID,
            maxAttempts: maxAttempts)) else {
            throw DeliveryError(.notFound, "enqueue_delivery returned no id", channel: channel)
        }
        return id
    }

    /// `enqueue(on:…)` on a pooled connection, in its own transaction.
    @discardableResult
    public static func enqueue(database: Database, channel: String, recipient: String? = nil,
                               subject: String? = nil, text: String, html: String? = nil,
                               payload: [String: JSONValue] = [:], idempotencyKey: String? = nil,
                               accountID: Int64? = nil, contactID: Int64? = nil, interventionID: Int64? = nil,
                               maxAttempts: Int = 12) async throws -> Int64 {
        try await database.withConnection { conn in
            try await enqueue(on: conn, channel: channel, recipient: recipient, subject: subject, text: text, html: html,
                              payload: payload, idempotencyKey: idempotencyKey, accountID: accountID,
                              contactID: contactID, interventionID: interventionID, maxAttempts: maxAttempts)
        }
    }

    /// The newest deliveries, optionally of one channel.
    public static func recent(database: Database, limit: Int = 50, channel: String? = nil) async throws -> [DeliverySummary] {
        try await database.rows(DeliveryStatements.Summaries(which: .recent(channel: channel), limit: limit))
    }

    /// Deliveries that failed or are waiting to retry, most recently touched first.
    public static func failures(database: Database, limit: Int = 50) async throws -> [DeliverySummary] {
        try await database.rows(DeliveryStatements.Summaries(which: .failures, limit: limit))
    }

    /// One delivery with its attempt log, or nil.
    public static func detail(id: Int64, database: Database) async throws -> (summary: DeliverySummary, attempts: [DeliveryAttempt])? {
        try await database.first(DeliveryStatements.Detail(id: id))
    }
}
