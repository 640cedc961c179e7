// SlackPayload: the body of a Slack incoming-webhook POST — `text` as the notification
// fallback plus Block Kit `blocks` (from the payload, or one simple section).
import Basics

enum SlackPayload {
    /// Slack's limit on a section block's text.
    static let sectionLimit = 3000

    static func body(channel: Channel, message: OutboundMessage) -> JSONValue {
        let text = fallbackText(message)
        var body: [String: JSONValue] = ["text": .string(text)]
        if case .array(let blocks)? = message.payload["blocks"], !blocks.isEmpty {
            body["blocks"] = .array(blocks)
        } else {
            var section = message.text
            if let subject = message.subject, !subject.isEmpty {
                section = "*\(subject)*" + (message.text.isEmpty ? "" : "\n" + message.text)
            }
            if !section.isEmpty {
                body["blocks"] = [["type": "section", "text": ["type": "mrkdwn", "text": .string(truncate(section, sectionLimit))]]]
            }
        }
        if let username = channel.option("username") { body["username"] = .string(username) }
        if let emoji = channel.option("icon_emoji") { body["icon_emoji"] = .string(emoji) }
        if let icon = channel.option("icon_url") { body["icon_url"] = .string(icon) }
        return .object(body)
    }

    /// `text` is what notifications and screen readers show when blocks are sent.
    static func fallbackText(_ message: OutboundMessage) -> String {
        if !message.text.isEmpty { return message.text }
        return message.subject ?? ""
    }

    static func truncate(_ s: String, _ limit: Int) -> String {
        s.count <= limit ? s : String(s.prefix(limit - 1)) + "…"
    }
}
