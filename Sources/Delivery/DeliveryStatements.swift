// DeliveryStatements: every statement Delivery runs, one type each, always with
// parameters. Tables and functions are defined in sql/0002_delivery.sql.
import Basics
import Foundation
import PG

enum DeliveryStatements {
    // MARK: - Sending

    /// Takes delivery `id` for `attempt`: marks it `sending` unless it is already finished,
    /// and returns it with its channel. A delivery found still `sending` was interrupted
    /// (the worker died between sending and recording): that is written to its attempt
    /// log first.
    struct Claim: Statement {
        /// The row as the deliverer needs it. `taken` is false when it was not taken (see `previous`).
        struct Taken: Sendable {
            let previous: DeliveryStatus
            let taken: Bool
            let message: OutboundMessage
            /// Nil with the reason when the channel row cannot be used (unknown type).
            let channel: Result<Channel, DeliveryError>
        }
        var id: Int64
        var attempt: Int
        var sql: String {
            """
            WITH d AS (
                SELECT id, status, attempts FROM cs.deliveries WHERE id = $1 FOR UPDATE
            ), refusal AS (
                SELECT cs.consent_refusal(x.contact_id, x.purpose) AS why FROM cs.deliveries x WHERE x.id = $1
            ), taken AS (
                UPDATE cs.deliveries x
                SET status = CASE WHEN refusal.why IS NULL THEN 'sending' ELSE 'suppressed' END,
                    last_error = coalesce(refusal.why, x.last_error),
                    attempts = greatest(x.attempts, $2::int), updated_at = now(),
                    attempt_log = CASE WHEN d.status = 'sending' THEN x.attempt_log || jsonb_build_array(jsonb_build_object(
                        'attempt', d.attempts, 'at', now(), 'outcome', 'interrupted', 'http_status', NULL,
                        'smtp_code', NULL, 'curl_code', NULL, 'ms', NULL,
                        'reason', 'attempt ended without a recorded outcome (worker stopped or died); sending again with the same idempotency key'))
                        ELSE x.attempt_log END
                FROM d, refusal
                WHERE x.id = d.id AND d.status NOT IN ('sent', 'failed', 'cancelled', 'unknown', 'suppressed')
                RETURNING x.id, x.status
            )
            SELECT d.status, (SELECT count(*) FROM taken WHERE taken.status = 'sending'), x.recipient, x.subject, x.body_text, x.body_html,
                   x.payload, x.idempotency_key, x.created_at, x.last_error,
                   c.name, c.type, c.endpoint, c.secret_ref, c.options, c.rate_per_second, c.burst, c.enabled
            FROM d JOIN cs.deliveries x ON x.id = d.id JOIN cs.channels c ON c.name = x.channel
            """
        }
        var bindings: [any SQLParameter] { [id, attempt] }
        func decode(_ row: Row) throws -> Taken {
            let payload = try row.bytes(6).map { try JSONValue.parse($0) }?.objectValue ?? [:]
            let message = OutboundMessage(id: id, recipient: try row.decodeIfPresent(String.self, 2),
                                          subject: try row.decodeIfPresent(String.self, 3), text: try row.decode(String.self, 4),
                                          html: try row.decodeIfPresent(String.self, 5), payload: payload,
                                          idempotencyKey: try row.decode(String.self, 7), createdAt: try row.decode(Date.self, 8))
            let channel: Result<Channel, DeliveryError>
            do { channel = .success(try DeliveryStatements.channel(row, from: 10)) } catch let e as DeliveryError { channel = .failure(e) }
            return Taken(previous: try DeliveryStatements.status(row, 0), taken: try row.decode(Int.self, 1) > 0,
                         message: message, channel: channel)
        }
    }

    /// Records `attempt` of delivery `id` and its new status. Never overwrites a delivery
    /// already `sent` (a late, stale attempt), and records each attempt once, so the
    /// deliverer may repeat it when the reply to the first try was lost.
    struct RecordAttempt: Statement {
        var id: Int64
        var status: DeliveryStatus
        var attempt: Int
        var outcome: SendOutcome
        var milliseconds: Int
        var providerID: String?
        var sql: String {
            """
            UPDATE cs.deliveries
            SET status = $2,
                attempts = greatest(attempts, $3::int),
                attempt_log = attempt_log || jsonb_build_array(jsonb_build_object(
                    'attempt', $3::int, 'at', now(), 'outcome', $4::text, 'http_status', $5::int,
                    'smtp_code', $6::int, 'curl_code', $7::int, 'reason', $8::text, 'ms', $9::int)),
                last_error = CASE WHEN $2 = 'sent' THEN NULL ELSE $8::text END,
                provider_id = coalesce($10::text, provider_id),
                sent_at = CASE WHEN $2 = 'sent' THEN now() ELSE sent_at END,
                updated_at = now()
            WHERE id = $1 AND status <> 'sent'
              -- Once per attempt, so writing it again after a lost reply changes nothing.
              AND NOT EXISTS (SELECT 1 FROM jsonb_array_elements(attempt_log) e
                              WHERE (e->>'attempt')::int = $3::int AND e->>'outcome' NOT IN ('interrupted', 'deferred'))
            """
        }
        var bindings: [any SQLParameter] {
            [id, status.rawValue, attempt, outcome.label, outcome.httpStatus, outcome.smtpCode, outcome.curlCode,
             outcome.reason, milliseconds, providerID]
        }
    }

    /// Delivery `id` was held back before calling the provider (rate limit, open circuit)
    /// on `attempt`: it goes back to `status` with the attempt given back and one more
    /// deferral. A run of deferrals is one attempt-log entry (the first), kept up to date
    /// with the latest reason, so a long backlog does not bloat the log.
    struct RecordDeferral: Statement {
        var id: Int64
        var status: DeliveryStatus
        var attempt: Int
        var reason: String
        var sql: String {
            """
            UPDATE cs.deliveries
            SET status = $2,
                attempts = greatest($3::int - 1, 0),
                deferrals = deferrals + 1,
                last_error = $4::text,
                attempt_log = CASE
                    WHEN jsonb_array_length(attempt_log) > 0 AND attempt_log->-1->>'outcome' = 'deferred'
                    THEN jsonb_set(attempt_log, '{-1}', (attempt_log->-1) || jsonb_build_object('reason', $4::text, 'last_at', now()))
                    ELSE attempt_log || jsonb_build_array(jsonb_build_object(
                        'attempt', $3::int, 'at', now(), 'outcome', 'deferred', 'http_status', NULL,
                        'smtp_code', NULL, 'curl_code', NULL, 'reason', $4::text, 'ms', NULL))
                    END,
                updated_at = now()
            WHERE id = $1 AND status = 'sending'
            """
        }
        var bindings: [any SQLParameter] { [id, status.rawValue, attempt, reason] }
    }

    /// An `at_most_once` delivery found interrupted: marked `unknown`, never sent again.
    /// A circuit opened, until `coolDownSeconds` from now (read by the monitor's
    /// `breakers_open` check).
    struct NoteBreakerOpen: Statement {
        var channel: String
        var endpoint: String
        var coolDownSeconds: Double
        var process: String
        var sql: String {
            """
            INSERT INTO cs.channel_breakers (channel, endpoint, opened_at, open_until, opened_by)
            VALUES ($1, $2, now(), now() + make_interval(secs => $3), $4)
            ON CONFLICT (channel) DO UPDATE SET endpoint = EXCLUDED.endpoint, opened_at = EXCLUDED.opened_at,
                open_until = EXCLUDED.open_until, opened_by = EXCLUDED.opened_by
            """
        }
        var bindings: [any SQLParameter] { [channel, endpoint, coolDownSeconds, process] }
    }

    struct RecordUnknown: Statement {
        var id: Int64
        var attempt: Int
        var reason: String
        var sql: String {
            """
            UPDATE cs.deliveries
            SET status = 'unknown', last_error = $3::text, updated_at = now(),
                attempt_log = attempt_log || jsonb_build_array(jsonb_build_object(
                    'attempt', $2::int, 'at', now(), 'outcome', 'unknown', 'http_status', NULL,
                    'smtp_code', NULL, 'curl_code', NULL, 'reason', $3::text, 'ms', NULL))
            WHERE id = $1 AND status = 'sending'
            """
        }
        var bindings: [any SQLParameter] { [id, attempt, reason] }
    }

    // MARK: - The outbox

    /// `cs.enqueue_delivery`, which also queues the `deliver` job; returns the delivery id.
    struct Enqueue: Statement {
        var channel: String
        var recipient: String?
        var subject: String?
        var text: String
        var html: String?
        var payload: [String: JSONValue]
        var idempotencyKey: String?
        var accountID: Int64?
        var contactID: Int64?
        var interventionID: Int64?
        var maxAttempts: Int
        var sql: String {
            """
            SELECT cs.enqueue_delivery($1, $2, $3, $4, $5, $6::jsonb, $7, $8::bigint, $9::bigint, $10::bigint, $11::smallint)
            """
        }
        var bindings: [any SQLParameter] {
            [channel, recipient, subject, text, html, JSONText(JSONValue.object(payload).serialized), idempotencyKey,
             accountID, contactID, interventionID, maxAttempts]
        }
        func decode(_ row: Row) throws -> Int64 { try row.decode(Int64.self, 0) }
    }

    /// A delivery row with no job, for test sends that the caller performs at once.
    struct InsertDirect: Statement {
        var channel: String
        var recipient: String?
        var subject: String?
        var text: String
        var payload: [String: JSONValue]
        var idempotencyKey: String
        var sql: String {
            """
            INSERT INTO cs.deliveries (channel, recipient, subject, body_text, body_html, payload, idempotency_key)
            VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7)
            RETURNING id
            """
        }
        var bindings: [any SQLParameter] {
            [channel, recipient, subject, text, Optional<String>.none, JSONText(JSONValue.object(payload).serialized), idempotencyKey]
        }
        func decode(_ row: Row) throws -> Int64 { try row.decode(Int64.self, 0) }
    }

    /// Deliveries as operators list them (no bodies, no recipients): the newest, optionally
    /// of one channel; or those failed or waiting to retry, most recently touched first.
    struct Summaries: Statement {
        enum Which: Sendable { case recent(channel: String?), failures }
        var which: Which
        var limit: Int
        var sql: String {
            switch which {
            case .recent:
                return """
                    SELECT \(DeliveryStatements.summaryColumns)
                    FROM cs.deliveries d JOIN cs.channels c ON c.name = d.channel
                    WHERE $2::text IS NULL OR d.channel = $2
                    ORDER BY d.created_at DESC LIMIT $1
                    """
            case .failures:
                return """
                    SELECT \(DeliveryStatements.summaryColumns)
                    FROM cs.deliveries d JOIN cs.channels c ON c.name = d.channel
                    WHERE d.status IN ('failed', 'retrying')
                    ORDER BY d.updated_at DESC LIMIT $1
                    """
            }
        }
        var bindings: [any SQLParameter] {
            switch which {
            case .recent(let channel): return [limit, channel]
            case .failures: return [limit]
            }
        }
        func decode(_ row: Row) throws -> DeliverySummary { try DeliveryStatements.summary(row) }
    }

    /// One delivery's summary and attempt log.
    struct Detail: Statement {
        var id: Int64
        var sql: String {
            """
            SELECT \(DeliveryStatements.summaryColumns), d.attempt_log
            FROM cs.deliveries d JOIN cs.channels c ON c.name = d.channel
            WHERE d.id = $1
            """
        }
        var bindings: [any SQLParameter] { [id] }
        func decode(_ row: Row) throws -> (summary: DeliverySummary, attempts: [DeliveryAttempt]) {
            let attempts = try row.bytes(10).map { try JSONCoding.decoder(snakeCase: false).decode([DeliveryAttempt].self, from: Data($0)) } ?? []
            return (try DeliveryStatements.summary(row), attempts)
        }
    }

    // MARK: - Channels

    /// Creates or replaces a channel (by name).
    struct UpsertChannel: Statement {
        var channel: Channel
        var sql: String {
            """
            INSERT INTO cs.channels (name, type, endpoint, secret_ref, options, rate_per_second, burst, enabled)
            VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8)
            ON CONFLICT (name) DO UPDATE
            SET type = EXCLUDED.type, endpoint = EXCLUDED.endpoint, secret_ref = EXCLUDED.secret_ref,
                options = EXCLUDED.options, rate_per_second = EXCLUDED.rate_per_second, burst = EXCLUDED.burst,
                enabled = EXCLUDED.enabled, updated_at = now()
            """
        }
        var bindings: [any SQLParameter] {
            [channel.name, channel.type.rawValue, channel.endpoint, channel.secretRef,
             JSONText(JSONValue.object(channel.options).serialized), channel.ratePerSecond, channel.burst, channel.enabled]
        }
    }

    /// One channel by name, or every channel by name (`name` nil).
    struct Channels: Statement {
        var name: String?
        var sql: String {
            "SELECT \(DeliveryStatements.channelColumns) FROM cs.channels WHERE $1::text IS NULL OR name = $1 ORDER BY name"
        }
        var bindings: [any SQLParameter] { [name] }
        func decode(_ row: Row) throws -> Channel { try DeliveryStatements.channel(row, from: 0) }
    }

    struct SetChannelEnabled: Statement {
        var name: String
        var enabled: Bool
        var sql: String { "UPDATE cs.channels SET enabled = $2, updated_at = now() WHERE name = $1" }
        var bindings: [any SQLParameter] { [name, enabled] }
    }

    // MARK: - Decoding shared by the statements above

    static let channelColumns = "name, type, endpoint, secret_ref, options, rate_per_second, burst, enabled"
    static let summaryColumns = "d.id, d.channel, c.type, d.status, d.attempts, d.last_error, d.provider_id, d.created_at, d.sent_at, d.updated_at"

    /// Channel columns (`channelColumns`) starting at `start`.
    static func channel(_ row: Row, from start: Int) throws -> Channel {
        let name = try row.decode(String.self, start)
        let typeText = try row.decode(String.self, start + 1)
        guard let type = ChannelType(rawValue: typeText) else {
            throw DeliveryError(.configuration, "unknown channel type '\(typeText)'", channel: name)
        }
        let options = (try? row.bytes(start + 4).map { try JSONValue.parse($0) })??.objectValue ?? [:]
        return Channel(name: name, type: type, endpoint: try row.decode(String.self, start + 2),
                       secretRef: try row.decodeIfPresent(String.self, start + 3), options: options,
                       ratePerSecond: try row.decode(Double.self, start + 5), burst: try row.decode(Int.self, start + 6),
                       enabled: try row.decode(Bool.self, start + 7))
    }

    /// Summary columns (`summaryColumns`) from column 0.
    static func summary(_ row: Row) throws -> DeliverySummary {
        DeliverySummary(id: try row.decode(Int64.self, 0), channel: try row.decode(String.self, 1),
                        channelType: try row.decode(String.self, 2), status: try status(row, 3),
                        attempts: try row.decode(Int.self, 4), lastError: try row.decodeIfPresent(String.self, 5),
                        providerID: try row.decodeIfPresent(String.self, 6), createdAt: try row.decode(Date.self, 7),
                        sentAt: try row.decodeIfPresent(Date.self, 8), updatedAt: try row.decode(Date.self, 9))
    }

    static func status(_ row: Row, _ column: Int) throws -> DeliveryStatus {
        let text = try row.decode(String.self, column)
        guard let status = DeliveryStatus(rawValue: text) else {
            throw PGError(.decoding, "unknown delivery status '\(text)'")
        }
        return status
    }
}
