// PagerDuty, SendGrid, Twilio and signed webhooks through the deliver job, each against a
// loopback server answering the way the provider does.
import Basics
import Delivery
import Foundation
import TestSupport
import Testing

@Suite struct ProviderDeliveryTests {
    @Test func pagerDutyTriggerIsSentWithDedupKey() async throws {
        let server = try LoopbackHTTPServer { req in
            let key = jsonObject(req.body)["dedup_key"] as? String ?? ""
            return .json(202, #"{"status":"success","message":"Event processed","dedup_key":"\#(key)"}"#)
        }
        try await DeliveryHarness.with { h in
            try await h.save(Channel(name: "pd", type: .pagerduty, endpoint: server.url("/v2/enqueue"),
                                     secretRef: try secretFile("R0UTINGKEY0123456789abcdefABCDEF"),
                                     options: ["source": "cs-worker-test", "component": "health"]))
            let id = try await h.enqueue("pd", subject: "Health check failing: queue backlog", text: "backlog 12000",
                                         payload: ["severity": "critical", "custom_details": ["backlog": 12000]],
                                         key: "health:backlog:2026-11-26")
            let s = try await h.waitFor(id) { $0.status == "sent" }
            #expect(s.providerID == "health:backlog:2026-11-26")
            let body = jsonObject(try #require(server.requests.first).body)
            #expect(body["routing_key"] as? String == "R0UTINGKEY0123456789abcdefABCDEF")
            #expect(body["event_action"] as? String == "trigger")
            #expect(body["dedup_key"] as? String == "health:backlog:2026-11-26")
            let payload = try #require(body["payload"] as? [String: Any])
            #expect(payload["summary"] as? String == "Health check failing: queue backlog")
            #expect(payload["source"] as? String == "cs-worker-test")
            #expect(payload["severity"] as? String == "critical")
            #expect(payload["component"] as? String == "health")
            #expect((payload["timestamp"] as? String)?.hasSuffix("Z") == true)
            #expect((payload["custom_details"] as? [String: Any])?["backlog"] as? Int == 12000)
        }
    }

    @Test func pagerDutyInvalidEventFails() async throws {
        let server = try LoopbackHTTPServer { _ in
            .json(400, #"{"status":"invalid event","message":"Event object is invalid","errors":["'payload.severity' is missing"]}"#)
        }
        try await DeliveryHarness.with { h in
            try await h.save(Channel(name: "pd", type: .pagerduty, endpoint: server.url("/v2/enqueue"),
                                     secretRef: try secretFile("R0UTINGKEY0123456789abcdefABCDEF")))
            let id = try await h.enqueue("pd", subject: "x")
            let s = try await h.waitFor(id) { $0.status == "failed" }
            #expect(s.lastError == "HTTP 400: Event object is invalid; 'payload.severity' is missing")
        }
    }

    @Test func sendGridAcceptedAndUnauthorized() async throws {
        let server = try LoopbackHTTPServer { req in
            req.header("Authorization") == "Bearer SG.good-key"
                ? LoopbackHTTPServer.Response(status: 202, headers: [("X-Message-Id", "sg-msg-1")])
                : .json(401, #"{"errors":[{"message":"The provided authorization grant is invalid, expired, or revoked","field":null,"help":null}]}"#)
        }
        try await DeliveryHarness.with { h in
            let options: [String: JSONValue] = ["from": "cs@planner.example", "from_name": "Planner CS"]
            try await h.save(Channel(name: "sg", type: .emailHTTP, endpoint: server.url("/v3/mail/send"),
                                     secretRef: try secretFile("SG.good-key"), options: options))
            try await h.save(Channel(name: "sg-bad", type: .emailHTTP, endpoint: server.url("/v3/mail/send"),
                                     secretRef: try secretFile("SG.revoked-key"), options: options))
            let ok = try await h.enqueue("sg", recipient: "owner@venue.example", subject: "Your renewal",
                                         text: "plain", html: "<p>html</p>", key: "renewal-7")
            let s = try await h.waitFor(ok) { $0.status == "sent" }
            #expect(s.providerID == "sg-msg-1")
            let req = try #require(server.requests.first)
            #expect(req.header("Idempotency-Key") == "renewal-7")
            let body = jsonObject(req.body)
            let to = ((body["personalizations"] as? [[String: Any]])?.first?["to"] as? [[String: Any]])?.first
            #expect(to?["email"] as? String == "owner@venue.example")
            #expect((body["from"] as? [String: Any])?["email"] as? String == "cs@planner.example")
            #expect(body["subject"] as? String == "Your renewal")
            #expect((body["content"] as? [[String: Any]])?.compactMap { $0["type"] as? String } == ["text/plain", "text/html"])

            let bad = try await h.enqueue("sg-bad", recipient: "owner@venue.example", subject: "s", text: "t")
            let b = try await h.waitFor(bad) { $0.status == "failed" }
            #expect(b.attempts.first?.httpStatus == 401)
            #expect(b.lastError?.contains("authorization grant is invalid") == true)
        }
    }

    @Test func twilioCreatedAndInvalidNumber() async throws {
        let server = try LoopbackHTTPServer { req in
            let form = Self.form(req.bodyText)
            if form["To"] == "+15005550001" {
                return .json(400, #"{"code":21211,"message":"The 'To' number +15005550001 is not a valid phone number.","status":400}"#)
            }
            return .json(201, #"{"sid":"SM0123456789abcdef","status":"queued"}"#)
        }
        try await DeliveryHarness.with { h in
            try await h.save(Channel(name: "sms", type: .sms, endpoint: server.baseURL,
                                     secretRef: try secretFile("twilio-auth-token-xyz"),
                                     options: ["account_sid": "AC0001", "from": "+15005550006"]))
            let ok = try await h.enqueue("sms", recipient: "+447700900123", text: "Your account needs attention: call us")
            let s = try await h.waitFor(ok) { $0.status == "sent" }
            #expect(s.providerID == "SM0123456789abcdef")
            let req = try #require(server.requests.first)
            #expect(req.path == "/2010-04-01/Accounts/AC0001/Messages.json")
            #expect(req.header("Content-Type") == "application/x-www-form-urlencoded")
            #expect(req.header("Authorization") == "Basic " + Data("AC0001:twilio-auth-token-xyz".utf8).base64EncodedString())
            let form = Self.form(req.bodyText)
            #expect(form["To"] == "+447700900123")
            #expect(form["From"] == "+15005550006")
            #expect(form["Body"] == "Your account needs attention: call us")

            let bad = try await h.enqueue("sms", recipient: "+15005550001", text: "x")
            let b = try await h.waitFor(bad) { $0.status == "failed" }
            #expect(b.lastError?.contains("code 21211") == true)
            #expect(b.lastError?.contains("+15005550001") == false) // the number is personal data
        }
    }

    @Test func webhookIsSignedWithTheSecret() async throws {
        let server = try LoopbackHTTPServer { _ in .empty(204) }
        try await DeliveryHarness.with { h in
            try await h.save(Channel(name: "hook", type: .webhook, endpoint: server.url("/hooks/cs"),
                                     secretRef: try secretFile("whsec_test_secret")))
            let id = try await h.enqueue("hook", subject: "score changed", text: "38", payload: ["account_id": 7], key: "score:7")
            try await h.waitFor(id) { $0.status == "sent" }
            let req = try #require(server.requests.first)
            let signature = try #require(req.header("X-CS-Signature"))
            #expect(signature.range(of: #"^t=\d+,v1=[0-9a-f]{64}$"#, options: .regularExpression) != nil)
            #expect(WebhookSignature.verify(header: signature, body: req.body, secret: "whsec_test_secret"))
            #expect(!WebhookSignature.verify(header: signature, body: req.body, secret: "other"))
            #expect(!WebhookSignature.verify(header: signature, body: req.body + [32], secret: "whsec_test_secret"))
            #expect(req.header("Idempotency-Key") == "score:7")
            let body = jsonObject(req.body)
            #expect(body["idempotency_key"] as? String == "score:7")
            #expect((body["payload"] as? [String: Any])?["account_id"] as? Int == 7)
        }
    }

    static func form(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            if kv.count == 2 { out[kv[0]] = kv[1] }
        }
        return out
    }
}
