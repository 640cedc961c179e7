// WebhookPayload: the JSON body of a generic webhook — the delivery's content and extras
// under stable field names, with the idempotency key so receivers can drop duplicates.
import Basics

enum WebhookPayload {
    static func body(channel: Channel, message: OutboundMessage) -> JSONValue {
        var body: [String: JSONValue] = [
            "id": .number(Double(message.id)),
            "idempotency_key": .string(message.idempotencyKey),
            "channel": .string(channel.name),
            "text": .string(message.text),
            "payload": .object(message.payload),
            "created_at": .string(ISO8601.format(message.createdAt)),
        ]
        if let s = message.subject { body["subject"] = .string(s) }
        if let h = message.html { body["html"] = .string(h) }
        if let r = message.recipient { body["recipient"] = .string(r) }
        return .object(body)
    }
}
