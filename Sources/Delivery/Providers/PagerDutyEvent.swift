// PagerDutyEvent: an Events API v2 event. The dedup_key is the delivery's idempotency key,
// so a retried (or re-run after a crash) trigger never opens a second incident.
import Basics
import Foundation

enum PagerDutyEvent {
    static let actions: Set<String> = ["trigger", "acknowledge", "resolve"]
    static let severities: Set<String> = ["critical", "error", "warning", "info"]
    static let summaryLimit = 1024
    static let dedupLimit = 255

    /// The dedup key sent: the payload's `dedup_key` (to acknowledge or resolve an earlier
    /// trigger) or the idempotency key, hashed if longer than PagerDuty's 255 characters.
    static func dedupKey(_ message: OutboundMessage) -> String {
        if let k = message.payloadString("dedup_key"), k.utf8.count <= dedupLimit { return k }
        return message.boundedKey(limit: dedupLimit)
    }

    static func body(channel: Channel, message: OutboundMessage, routingKey: String) throws -> JSONValue {
        let action = message.payloadString("event_action") ?? "trigger"
        guard actions.contains(action) else {
            throw DeliveryError(.rendering, "event_action '\(action)' is not trigger, acknowledge or resolve", channel: channel.name)
        }
        var event: [String: JSONValue] = [
            "routing_key": .string(routingKey),
            "event_action": .string(action),
            "dedup_key": .string(dedupKey(message)),
        ]
        guard action == "trigger" else { return .object(event) }

        let severity = message.payloadString("severity") ?? channel.option("severity") ?? "error"
        guard severities.contains(severity) else {
            throw DeliveryError(.rendering, "severity '\(severity)' is not critical, error, warning or info", channel: channel.name)
        }
        var summary = message.subject.flatMap { $0.isEmpty ? nil : $0 } ?? message.text
        if summary.isEmpty { summary = "cs-worker alert \(message.id)" }
        var payload: [String: JSONValue] = [
            "summary": .string(SlackPayload.truncate(summary, summaryLimit)),
            "source": .string(message.payloadString("source") ?? channel.option("source") ?? "cs-worker"),
            "severity": .string(severity),
            "timestamp": .string(ISO8601.format(message.createdAt)),
        ]
        for key in ["component", "group", "class"] {
            if let v = message.payloadString(key) ?? channel.option(key) { payload[key] = .string(v) }
        }
        var details = message.payload["custom_details"]?.objectValue ?? [:]
        if details.isEmpty, !message.text.isEmpty, message.subject != nil { details["text"] = .string(message.text) }
        if !details.isEmpty { payload["custom_details"] = .object(details) }
        event["payload"] = .object(payload)
        if case .array(let links)? = message.payload["links"] { event["links"] = .array(links) }
        return .object(event)
    }
}

/// ISO 8601 UTC timestamps with milliseconds (`2026-03-01T09:30:00.000Z`).
enum ISO8601 {
    static func format(_ date: Date) -> String {
        let t = date.timeIntervalSince1970
        var secs = time_t(t.rounded(.down))
        let millis = min(999, Int(((t - Double(secs)) * 1000).rounded(.down)))
        var tm = tm()
        gmtime_r(&secs, &tm)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(tm.tm_year) + 1900, Int(tm.tm_mon) + 1,
                      Int(tm.tm_mday), Int(tm.tm_hour), Int(tm.tm_min), Int(tm.tm_sec), millis)
    }
}
