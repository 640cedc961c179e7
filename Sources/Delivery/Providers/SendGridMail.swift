// SendGridMail: a v3 mail/send body — personalizations, from, subject, content (text/plain
// first, then text/html, as SendGrid requires).
import Basics

enum SendGridMail {
    static func body(channel: Channel, message: OutboundMessage) throws -> JSONValue {
        let to = try message.emailRecipients(channel: channel)
        let fromAddress = try channel.fromAddress()
        var from: [String: JSONValue] = ["email": .string(fromAddress)]
        if let name = channel.option("from_name") { from["name"] = .string(name) }
        var content: [JSONValue] = []
        if !message.text.isEmpty { content.append(["type": "text/plain", "value": .string(message.text)]) }
        if let html = message.html, !html.isEmpty { content.append(["type": "text/html", "value": .string(html)]) }
        if content.isEmpty { content.append(["type": "text/plain", "value": " "]) }
        return [
            "personalizations": [["to": .array(to.map { ["email": .string($0)] })]],
            "from": .object(from),
            "subject": .string(message.subject ?? ""),
            "content": .array(content),
            "custom_args": ["idempotency_key": .string(message.boundedKey(limit: 200))],
        ]
    }
}
