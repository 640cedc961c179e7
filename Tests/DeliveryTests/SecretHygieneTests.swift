// No secret (webhook path, routing key, API key, SMTP password, auth token) and no
// recipient reaches a log line, an attempt_log entry or last_error — on success and on failure.
import Delivery
import Foundation
import Testing
import TestSupport

@Suite struct SecretHygieneTests {
    @Test func secretsStayOutOfLogsAndOutbox() async throws {
        let slackPath = "/services/T0SECRET/B0SECRET/xoxSlackHookSecret42"
        let routingKey = "PDroutingKeySECRET0123456789abcd"
        let apiKey = "SG.apiKeySECRET-abcdef"
        let smtpPassword = "smtpPasswordSECRET!"
        let token = "twilioTokenSECRET-987"
        let recipients = ["person@private.example", "+447700900777"]
        // Every endpoint refuses, echoing what it was sent: the worst case for leaks.
        let server = try LoopbackHTTPServer { req in
            if req.path.contains("xoxSlackHook") { return .text(200, "ok") }
            return .json(400, #"{"message":"rejected \#(req.header("Authorization") ?? "") \#(req.bodyText.replacingOccurrences(of: "\"", with: "'"))"}"#)
        }
        let smtp = try await LoopbackSMTPServer.start(credentials: (user: "cs", password: smtpPassword))
        try await DeliveryHarness.with { h in
            try await h.save(Channel(name: "slack", type: .slack, endpoint: try secretFile(server.url(slackPath))))
            try await h.save(Channel(name: "slack-down", type: .slack, endpoint: try secretFile("http://127.0.0.1:9" + slackPath)))
            try await h.save(Channel(name: "pd", type: .pagerduty, endpoint: server.url("/v2/enqueue"),
                                     secretRef: try secretFile(routingKey)))
            try await h.save(Channel(name: "sg", type: .emailHTTP, endpoint: server.url("/v3/mail/send"),
                                     secretRef: try secretFile(apiKey), options: ["from": "cs@x.example"]))
            try await h.save(Channel(name: "sms", type: .sms, endpoint: server.baseURL, secretRef: try secretFile(token),
                                     options: ["account_sid": "AC1", "from": "+15005550006"]))
            try await h.save(Channel(name: "mail", type: .smtp, endpoint: smtp.url, secretRef: try secretFile(smtpPassword),
                                     options: ["from": "cs@x.example", "username": "cs", "allow_insecure_auth": true]))
            let ids = [
                try await h.enqueue("slack", text: "private body text"),
                try await h.enqueue("slack-down", text: "private body text"),
                try await h.enqueue("pd", subject: "private body text"),
                try await h.enqueue("sg", recipient: recipients[0], subject: "s", text: "private body text"),
                try await h.enqueue("sms", recipient: recipients[1], text: "private body text"),
                try await h.enqueue("mail", recipient: recipients[0], subject: "s", text: "private body text"),
            ]
            for id in ids { try await h.waitFor(id) { !$0.attempts.isEmpty && $0.status != "sending" } }
            #expect(try await h.state(ids[0]).status == "sent")
            #expect(try await h.state(ids[5]).status == "sent")
            #expect(smtp.messages().first?.authenticated == true)
            #expect(try await h.state(ids[2]).status == "failed")

            let stored = try await h.db.database.query(
                "SELECT coalesce(string_agg(attempt_log::text || ' ' || coalesce(last_error, ''), ' '), '') FROM cs.deliveries"
            ).first?.decode(String.self, 0) ?? ""
            #expect(stored.contains("rejected"))
            let logs = h.logs.all.joined(separator: "\n")
            #expect(!logs.isEmpty)
            for secret in [slackPath, "xoxSlackHookSecret42", routingKey, apiKey, smtpPassword, token,
                           Data("AC1:\(token)".utf8).base64EncodedString()] {
                #expect(!stored.contains(secret), "outbox holds \(secret)")
                #expect(!logs.contains(secret), "logs hold \(secret)")
            }
            for r in recipients + ["private body text"] {
                #expect(!logs.contains(r), "logs hold personal data \(r)")
            }
        }
    }

    @Test func missingSecretIsAPermanentConfigurationErrorNamingTheReference() async throws {
        try await DeliveryHarness.with { h in
            try await h.save(Channel(name: "pd", type: .pagerduty, endpoint: "http://127.0.0.1:9/v2/enqueue",
                                     secretRef: "file:/nonexistent/pd_routing_key"))
            try await h.save(Channel(name: "slack", type: .slack, endpoint: "env:CS_TEST_UNSET_SLACK_WEBHOOK_URL"))
            let a = try await h.enqueue("pd", subject: "x")
            let b = try await h.enqueue("slack", text: "x")
            let sa = try await h.waitFor(a) { $0.status == "failed" }
            let sb = try await h.waitFor(b) { $0.status == "failed" }
            #expect(sa.lastError == "secret file:/nonexistent/pd_routing_key cannot be read")
            #expect(sb.lastError == "secret env:CS_TEST_UNSET_SLACK_WEBHOOK_URL is not set in the environment")
        }
    }
}
