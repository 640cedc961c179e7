// ResponseClassifier: reads a provider's answer (or a transport failure) into sent / retry
// later / failed, keeping the provider's own reason and id. One place per provider's quirks.
import Basics
import Foundation
import Transport

enum ResponseClassifier {
    /// Longest reason text kept in `attempt_log` and `last_error`.
    static let reasonLimit = 500

    /// Classifies a complete HTTP response from a channel of `type`.
    static func classify(_ type: ChannelType, _ response: HTTPResponse, now: Date = Date(),
                         sentID: String? = nil) -> SendOutcome {
        let status = response.status
        let reason = providerReason(type, response)
        var outcome = SendOutcome(verdict: .failed, reason: reason, httpStatus: status)
        switch status {
        case 200..<300:
            outcome.verdict = .sent(providerID: providerID(type, response) ?? sentID)
            outcome.reason = nil
        case 408, 425, 429:
            outcome.verdict = .retry(after: backoffHint(response, now: now))
        case 500..<600:
            outcome.verdict = .retry(after: backoffHint(response, now: now))
            outcome.endpointFault = true
        default:
            // 3xx (redirects are not followed: a misconfigured endpoint), 400, 401, 403, 404,
            // 410, 413…: the far end will give the same answer to the same message.
            outcome.verdict = .failed
        }
        return outcome
    }

    /// Classifies a transfer that failed below HTTP, or an SMTP rejection.
    static func classify(_ error: TransportError) -> SendOutcome {
        var outcome = SendOutcome(verdict: .failed, curlCode: error.curlCode == 0 ? nil : error.curlCode)
        if error.code == .smtpRejected || error.code == .authFailed {
            outcome.smtpCode = error.replyCode
            let reply = error.replyText.map { "\(error.replyCode.map(String.init) ?? "") \($0)" }
            outcome.reason = (reply ?? error.message).trimmingCharacters(in: .whitespaces)
        } else {
            outcome.reason = "\(error.code.name): \(error.message)"
        }
        if error.isTransient {
            outcome.verdict = .retry(after: nil)
            outcome.endpointFault = error.code != .smtpRejected && error.code != .shutdown
        } else if error.code == .authFailed {
            // Refused credentials are the channel's fault, not this message's: the message
            // fails, and the circuit opens so the rest of the queue waits for the operator
            // instead of failing one by one.
            outcome.endpointFault = true
        }
        return outcome
    }

    /// How long the far end asked us to wait: `Retry-After`, or SendGrid's
    /// `X-RateLimit-Reset` (a Unix time, or seconds when small).
    static func backoffHint(_ response: HTTPResponse, now: Date) -> Duration? {
        if let d = response.retryAfter(now: now) { return d }
        if let reset = response.headers["X-RateLimit-Reset"].flatMap({ Double($0.trimmingCharacters(in: .whitespaces)) }) {
            let seconds = reset > 1_000_000_000 ? reset - now.timeIntervalSince1970 : reset
            return .milliseconds(Int64(max(0, seconds) * 1000))
        }
        return nil
    }

    static func providerID(_ type: ChannelType, _ response: HTTPResponse) -> String? {
        switch type {
        case .pagerduty:
            return json(response)?["dedup_key"]?.stringValue
        case .sms:
            return json(response)?["sid"]?.stringValue
        case .emailHTTP:
            return response.headers["X-Message-Id"]
        case .webhook:
            return response.headers["X-Request-Id"]
        case .slack, .smtp:
            return nil
        }
    }

    /// The provider's words for a refusal: Slack's plain-text code, PagerDuty's
    /// `message` + `errors`, SendGrid's `errors[].message`, Twilio's `code` + `message`.
    static func providerReason(_ type: ChannelType, _ response: HTTPResponse) -> String? {
        guard !(200..<300).contains(response.status) else { return nil }
        let prefix = "HTTP \(response.status)"
        guard !response.body.isEmpty else { return prefix }
        if let j = json(response) {
            var parts: [String] = []
            if let code = j["code"]?.stringValue { parts.append("code \(code)") }
            if let m = j["message"]?.stringValue { parts.append(m) }
            if case .array(let errors)? = j["errors"] {
                parts.append(contentsOf: errors.compactMap { $0.stringValue ?? $0["message"]?.stringValue })
            }
            if let e = j["error"]?.stringValue { parts.append(e) }
            if !parts.isEmpty { return "\(prefix): " + parts.joined(separator: "; ") }
        }
        return "\(prefix): " + response.bodyText.prefix(reasonLimit)
    }

    static func json(_ response: HTTPResponse) -> JSONValue? {
        guard let first = response.body.first(where: { $0 != 0x20 && $0 != 0x0a && $0 != 0x0d && $0 != 0x09 }),
              first == UInt8(ascii: "{") else { return nil }
        return try? JSONValue.parse(response.body)
    }

    /// Truncates and scrubs `text`: every value in `secrets` becomes `***` — as is, and in
    /// the form- and JSON-encoded forms a provider echoing our request would use — and
    /// newlines become spaces.
    static func scrub(_ text: String, secrets: [String]) -> String {
        var t = text
        var variants = Set<String>()
        for s in secrets where s.count >= 4 {
            variants.insert(s)
            variants.insert(FormEncoding.escape(s))
            variants.insert(String(JSONValue.string(s).serialized.dropFirst().dropLast()))
        }
        // Longest first, so a value is not half-replaced by one of its own substrings.
        for v in variants.sorted(by: { $0.count > $1.count }) { t = t.replacingOccurrences(of: v, with: "***") }
        t = t.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        return t.bounded(to: reasonLimit)
    }
}
