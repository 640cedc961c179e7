// WebhookSignature: the Stripe-style signature on generic webhooks, so receivers can check
// that a request came from us and is fresh: `t=<unix>,v1=<hex HMAC-SHA256(secret, t.body)>`.
import Crypto
import Foundation

/// Signs and verifies webhook bodies.
public enum WebhookSignature {
    /// The default header name.
    public static let defaultHeader = "X-CS-Signature"

    /// The header value for `body` signed at `time`.
    public static func sign(body: [UInt8], secret: String, time: Date = Date()) -> String {
        let t = Int64(time.timeIntervalSince1970.rounded(.down))
        return "t=\(t),v1=\(hmacHex(body: body, secret: secret, timestamp: t))"
    }

    /// Checks a header value: the signature matches and the timestamp is within `tolerance`
    /// of `now` (which stops replays). Compares in constant time.
    public static func verify(header: String, body: [UInt8], secret: String, now: Date = Date(),
                              tolerance: TimeInterval = 300) -> Bool {
        var t: Int64?
        var signatures: [String] = []
        for part in header.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard kv.count == 2 else { continue }
            if kv[0] == "t" { t = Int64(kv[1]) } else if kv[0] == "v1" { signatures.append(kv[1]) }
        }
        guard let t, abs(now.timeIntervalSince1970 - Double(t)) <= tolerance else { return false }
        let expected = Array(hmacHex(body: body, secret: secret, timestamp: t).utf8)
        return signatures.contains { candidate in
            let c = Array(candidate.utf8)
            guard c.count == expected.count else { return false }
            return zip(c, expected).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
        }
    }

    static func hmacHex(body: [UInt8], secret: String, timestamp: Int64) -> String {
        var signed = Array("\(timestamp).".utf8)
        signed += body
        let mac = HMAC<SHA256>.authenticationCode(for: signed, using: SymmetricKey(data: Array(secret.utf8)))
        return mac.map { String(format: "%02x", $0) }.joined()
    }
}
