// ChannelSender: one attempt on one channel — resolve secrets, render the provider's
// request, send it through Transport, classify the answer. No database, no retries here.
import Foundation
import Logging
import Transport

/// Sends a message through a channel once and says how it went.
struct ChannelSender: Sendable {
    let client: CurlClient
    let resolver: SecretResolver
    /// Defaults when a channel sets no `timeout_ms` / `connect_timeout_ms`.
    let timeout: Duration
    let connectTimeout: Duration

    /// What will be sent, and the secret values to keep out of every reason and log.
    struct Prepared: Sendable {
        enum Request: Sendable { case http(HTTPRequest), smtp(SMTPRequest) }
        let request: Request
        /// Secret values (resolved URL, token, key, password) to scrub from reasons.
        let secrets: [String]
        /// The endpoint for logs and the circuit breaker: never the secret parts.
        let redacted: RedactedURL
        /// Our own id for the message when the provider's answer carries none.
        let fallbackID: String?
    }

    /// Renders the request. Throws `DeliveryError` (configuration, missing secret, rendering):
    /// all permanent for this message.
    func prepare(_ channel: Channel, _ message: OutboundMessage, now: Date = Date()) throws -> Prepared {
        try channel.validate()
        if channel.type.needsRecipient && message.recipients.isEmpty {
            throw DeliveryError(.rendering, "\(channel.type.rawValue) delivery has no recipient", channel: channel.name)
        }
        let endpoint = try resolver.resolve(channel.endpoint, channel: channel.name)
        let secret = try channel.secretRef.map { try resolver.resolve($0, channel: channel.name) }
        var secrets = [endpoint] + (secret.map { [$0] } ?? [])
        if let pathStart = endpoint.range(of: "://").flatMap({ endpoint[$0.upperBound...].firstIndex(of: "/") }) {
            secrets.append(String(endpoint[pathStart...]))
        }
        secrets += Self.userinfoSecrets(endpoint)
        let timeout = channel.milliseconds("timeout_ms") ?? self.timeout
        let connect = channel.milliseconds("connect_timeout_ms") ?? connectTimeout
        func post(_ url: String, _ body: [UInt8], contentType: String = "application/json",
                  headers: HTTPHeaders = [:]) -> Prepared.Request {
            var r = HTTPRequest.post(url, body: body, contentType: contentType, headers: headers)
            r.timeout = timeout
            r.connectTimeout = connect
            r.maxResponseBytes = 1 << 20
            r.caBundlePath = channel.option("ca_file")
            return .http(r)
        }
        let key = message.boundedKey(limit: 200)
        switch channel.type {
        case .slack:
            let body = SlackPayload.body(channel: channel, message: message).bytes
            return Prepared(request: post(endpoint, body), secrets: secrets, redacted: RedactedURL(endpoint), fallbackID: nil)
        case .pagerduty:
            let body = try PagerDutyEvent.body(channel: channel, message: message, routingKey: secret ?? "").bytes
            return Prepared(request: post(endpoint, body), secrets: secrets, redacted: RedactedURL(endpoint),
                            fallbackID: PagerDutyEvent.dedupKey(message))
        case .emailHTTP:
            let body = try SendGridMail.body(channel: channel, message: message).bytes
            let headers: HTTPHeaders = ["Authorization": "Bearer \(secret ?? "")", "Idempotency-Key": key]
            return Prepared(request: post(endpoint, body, headers: headers), secrets: secrets,
                            redacted: RedactedURL(endpoint), fallbackID: nil)
        case .sms:
            let sid = channel.option("account_sid") ?? ""
            let url = TwilioMessage.url(endpoint: endpoint, accountSID: sid)
            let body = Array(FormEncoding.encode(try TwilioMessage.form(channel: channel, message: message)).utf8)
            let auth = TwilioMessage.basicAuth(user: sid, password: secret ?? "")
            secrets.append(String(auth.dropFirst("Basic ".count)))
            let headers: HTTPHeaders = [
                "Authorization": auth,
                "Idempotency-Key": key, "Accept": "application/json",
            ]
            return Prepared(request: post(url, body, contentType: "application/x-www-form-urlencoded", headers: headers),
                            secrets: secrets, redacted: RedactedURL(endpoint), fallbackID: nil)
        case .webhook:
            let body = WebhookPayload.body(channel: channel, message: message).bytes
            var headers: HTTPHeaders = ["Idempotency-Key": key]
            if let secret {
                headers.add(channel.option("signature_header") ?? WebhookSignature.defaultHeader,
                            WebhookSignature.sign(body: body, secret: secret, time: now))
            }
            return Prepared(request: post(endpoint, body, headers: headers), secrets: secrets,
                            redacted: RedactedURL(endpoint), fallbackID: nil)
        case .smtp:
            let bytes = try EmailMessage.render(channel: channel, message: message, now: now)
            let request = SMTPRequest(
                url: endpoint, requireTLS: channel.smtpRequiresTLS,
                username: channel.option("username"), password: secret,
                mailFrom: try channel.fromAddress(), recipients: try message.emailRecipients(channel: channel), message: bytes,
                heloName: channel.option("helo"), connectTimeout: connect,
                timeout: channel.milliseconds("timeout_ms") ?? max(timeout, .seconds(30)),
                caBundlePath: channel.option("ca_file"))
            return Prepared(request: .smtp(request), secrets: secrets, redacted: RedactedURL(endpoint), fallbackID: nil)
        }
    }

    /// Credentials written into an endpoint URL (`smtp://user:PASS@host`), raw and
    /// percent-decoded, and as SMTP AUTH PLAIN / LOGIN carry them (base64): a server
    /// that echoes them in a refusal must not put them in a reason.
    static func userinfoSecrets(_ endpoint: String) -> [String] {
        guard let schemeEnd = endpoint.range(of: "://") else { return [] }
        let rest = endpoint[schemeEnd.upperBound...]
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard let at = authority.lastIndex(of: "@") else { return [] }
        let userinfo = String(authority[..<at])
        let parts = userinfo.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let user = parts[0].removingPercentEncoding ?? parts[0]
        var out = [userinfo]
        if parts.count == 2 {
            let password = parts[1].removingPercentEncoding ?? parts[1]
            out += [parts[1], password, Data(password.utf8).base64EncodedString(),
                    Data("\u{0}\(user)\u{0}\(password)".utf8).base64EncodedString(), "\(user):\(password)"]
        }
        return out
    }

    /// Performs a prepared request and classifies the result. Rethrows only cancellation.
    func send(_ prepared: Prepared, type: ChannelType) async throws -> SendOutcome {
        var outcome: SendOutcome
        do {
            switch prepared.request {
            case .http(let request):
                let response = try await client.send(request)
                outcome = ResponseClassifier.classify(type, response, sentID: prepared.fallbackID)
            case .smtp(let request):
                let response = try await client.send(request)
                let text = response.replyText.map { "\(response.replyCode) \($0)" } ?? "\(response.replyCode)"
                outcome = SendOutcome(verdict: .sent(providerID: ResponseClassifier.scrub(text, secrets: prepared.secrets)),
                                      smtpCode: response.replyCode)
            }
        } catch let error as TransportError {
            outcome = ResponseClassifier.classify(error)
        }
        if let r = outcome.reason { outcome.reason = ResponseClassifier.scrub(r, secrets: prepared.secrets) }
        return outcome
    }
}
