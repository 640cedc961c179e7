// TwilioMessage: a Messages API request — form-encoded To/From/Body, HTTP Basic auth with
// the account SID and auth token, to {endpoint}/2010-04-01/Accounts/{sid}/Messages.json.
import Foundation

enum TwilioMessage {
    static func url(endpoint: String, accountSID: String) -> String {
        var base = endpoint
        while base.hasSuffix("/") { base.removeLast() }
        return "\(base)/2010-04-01/Accounts/\(FormEncoding.escape(accountSID))/Messages.json"
    }

    static func form(channel: Channel, message: OutboundMessage) throws -> [(String, String)] {
        guard let to = message.recipients.first else {
            throw DeliveryError(.rendering, "sms delivery has no recipient", channel: channel.name)
        }
        var body = message.text
        if body.isEmpty { body = message.subject ?? "" }
        var fields: [(String, String)] = [("To", to)]
        if let service = channel.option("messaging_service_sid") {
            fields.append(("MessagingServiceSid", service))
        } else if let from = channel.option("from") {
            fields.append(("From", from))
        } else {
            throw DeliveryError(.configuration, "sms channel needs option 'from' or 'messaging_service_sid'", channel: channel.name)
        }
        fields.append(("Body", body))
        return fields
    }

    static func basicAuth(user: String, password: String) -> String {
        "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
    }
}

/// `application/x-www-form-urlencoded` encoding (WHATWG rules: space as `+`).
enum FormEncoding {
    static func encode(_ fields: [(String, String)]) -> String {
        fields.map { "\(escape($0.0))=\(escape($0.1))" }.joined(separator: "&")
    }

    static func escape(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "*"):
                out.unicodeScalars.append(UnicodeScalar(b))
            case UInt8(ascii: " "):
                out += "+"
            default:
                out += String(format: "%%%02X", b)
            }
        }
        return out
    }
}
