// DeliveryTest: `cs-worker deliver test CHANNEL` — send one test message through a channel
// now and report exactly what the far end said.
import Basics
import Foundation
import Logging
import PG
import Transport

/// Test sends. The message is a real outbox row (so it shows in `cs-worker deliveries`)
/// with no job behind it: it is sent once, here, and not retried.
public enum DeliveryTest {
    /// Sends a test message through `channel` and returns the recorded outcome. Email and
    /// SMS channels need `recipient` (or a `test_recipient` option on the channel).
    public static func send(channel name: String, recipient: String? = nil, database: Database,
                            deliverer: Deliverer) async throws -> DeliveryResult {
        guard let channel = try await ChannelStore.channel(named: name, database: database) else {
            throw DeliveryError(.notFound, "no channel named \(name)", channel: name)
        }
        let to = recipient ?? channel.option("test_recipient")
        let now = ISO8601.format(Date())
        let payload: [String: JSONValue] = channel.type == .pagerduty
            ? ["severity": "info", "custom_details": ["test": true]] : ["test": true]
        guard let id = try await database.first(DeliveryStatements.InsertDirect(
            channel: name, recipient: to, subject: "cs-worker test message",
            text: "Test message from cs-worker at \(now) through channel \(name).", payload: payload,
            idempotencyKey: "test:\(name):\(UUID().uuidString)")) else {
            throw DeliveryError(.notFound, "test delivery was not created", channel: name)
        }
        return try await deliverer.deliver(id: id, attempt: 1, isLastAttempt: true, database: database)
    }

    /// `send(channel:…)` with a one-off Deliverer on a fresh transport client.
    public static func send(channel name: String, recipient: String? = nil, database: Database,
                            logger: Logger) async throws -> DeliveryResult {
        let client = try CurlClient(logger: logger)
        do {
            let result = try await send(channel: name, recipient: recipient, database: database,
                                        deliverer: Deliverer(client: client, logger: logger))
            await client.shutdown()
            return result
        } catch {
            await client.shutdown()
            throw error
        }
    }
}
