// Email that cannot be turned against us: recipients and headers never carry CR/LF into SMTP
// or the message, a refused transaction does not poison the next one, 4xx is transient
// (454 included), credentials never travel in clear, header lines stay within RFC limits.
// Against aiosmtpd on loopback with scripted replies.
import Basics
import Delivery
import Foundation
import Testing
import TestSupport

@Suite struct EmailSafetyTests {
    static func channel(_ url: String, options: [String: JSONValue] = [:], secretRef: String? = nil) -> Channel {
        var o: [String: JSONValue] = ["from": "alerts@cs.example", "from_name": "Customer Success"]
        for (k, v) in options { o[k] = v }
        return Channel(name: "mail", type: .smtp, endpoint: url, secretRef: secretRef, options: o, ratePerSecond: 100, burst: 10)
    }

    @Test func recipientWithALineBreakIsRefusedAndNothingIsSent() async throws {
        let smtp = try await LoopbackSMTPServer.start()
        try await DeliveryHarness.with { h in
            try await h.save(Self.channel(smtp.url))
            // What an attacker writes into a contact's email column.
            let injected = "csm@example.com>\r\nRCPT TO:<boss@evil.example>\r\nDATA\r\nFrom: ceo@cs.example\r\nSubject: wire money\r\n\r\npay\r\n.\r\nQUIT\r\n"
            let id = try await h.enqueue("mail", recipient: injected, subject: "Renewal", text: "hello")
            let s = try await h.waitFor(id) { $0.status == "failed" }
            #expect(s.attempts.count == 1, "permanent: no retry")
            #expect(s.lastError?.contains("line break") == true || s.lastError?.contains("angle brackets") == true)
            #expect(s.lastError?.contains("evil") == false, "the reason does not repeat the address")
            // A list with one bad entry is refused whole.
            let list = try await h.enqueue("mail", recipient: "a@example.com, b@exa mple.com", subject: "x", text: "y")
            let l = try await h.waitFor(list) { $0.status == "failed" }
            #expect(l.lastError?.contains("recipient 2 of 2") == true)
            // A header value with CR/LF stays one line; the message that goes is ours alone.
            let ok = try await h.enqueue("mail", recipient: "csm@example.com", subject: "Hi\r\nBcc: boss@evil.example", text: "t")
            try await h.waitFor(ok) { $0.status == "sent" }
            try await Task.sleep(for: .milliseconds(200))
            let mails = smtp.messages()
            #expect(mails.count == 1)
            #expect(mails.first?.recipients == ["csm@example.com"])
            let raw = String(decoding: mails.first?.data ?? [], as: UTF8.self)
            #expect(!raw.lowercased().contains("\r\nbcc:"))
        }
    }

    @Test func refusedDataIsRetriedAndDoesNotPoisonTheNextMessage() async throws {
        let smtp = try await LoopbackSMTPServer.start(dataRepliesOnce: [451])
        try await DeliveryHarness.with { h in
            try await h.save(Self.channel(smtp.url))
            let first = try await h.enqueue("mail", recipient: "csm@example.com", subject: "first", text: "one")
            let s = try await h.waitFor(first) { $0.status == "sent" }
            #expect(s.attempts.first?.outcome == "retry")
            #expect(s.attempts.first?.smtpCode == 451)
            let second = try await h.enqueue("mail", recipient: "other@example.com", subject: "second", text: "two")
            let t = try await h.waitFor(second) { $0.status == "sent" }
            #expect(t.attempts.count == 1, "no 503 nested MAIL on a reused connection")
            try await Task.sleep(for: .milliseconds(200))
            #expect(smtp.messages().map(\.recipients) == [["csm@example.com"], ["other@example.com"]], "one copy each")
        }
    }

    @Test func temporaryAuthenticationFailureIsRetriedNotDiscarded() async throws {
        let smtp = try await LoopbackSMTPServer.start(credentials: (user: "cs", password: "right"),
                                                       authFailureReply: "454 4.7.0 Temporary authentication failure")
        try await DeliveryHarness.with { h in
            try await h.save(Self.channel(smtp.url, options: ["username": "cs", "allow_insecure_auth": true],
                                          secretRef: try secretFile("wrong-for-now")))
            let id = try await h.enqueue("mail", recipient: "csm@example.com", subject: "s", text: "t")
            let s = try await h.waitFor(id) { $0.attempts.count >= 2 }
            #expect(s.attempts.first?.outcome == "retry")
            #expect(s.attempts.first?.smtpCode == 454)
            #expect(s.status != "failed")
            #expect(try await h.jobState(id) != "discarded")
        }
    }

    @Test func credentialsInTheEndpointURLNeverReachReasonsErrorsOrLogs() async throws {
        let password = "Url-S3cret-pw"
        // A server that echoes what it was given in its refusal.
        let smtp = try await LoopbackSMTPServer.start(credentials: (user: "cs", password: "right"),
                                                       authFailureReply: "535 5.7.8 no such login cs:\(password) (\(Data("\u{0}cs\u{0}\(password)".utf8).base64EncodedString()))")
        try await DeliveryHarness.with { h in
            let url = smtp.url.replacingOccurrences(of: "smtp://", with: "smtp://cs:\(password)@")
            try await h.save(Self.channel(url, options: ["allow_insecure_auth": true]))
            let id = try await h.enqueue("mail", recipient: "csm@example.com", subject: "s", text: "t")
            let s = try await h.waitFor(id) { $0.status == "failed" }
            #expect(s.attempts.first?.smtpCode == 535)
            #expect(s.lastError?.contains("535") == true)
            let stored = try await h.db.database.query("""
                SELECT d.attempt_log::text || coalesce(d.last_error, '') || j.errors::text
                FROM cs.deliveries d JOIN cs.jobs j ON j.id = d.job_id WHERE d.id = $1
                """, [id])[0].decode(String.self, 0)
            #expect(!stored.contains(password), "no password in the delivery or the job: \(stored)")
            #expect(!stored.contains(Data("\u{0}cs\u{0}\(password)".utf8).base64EncodedString()))
            #expect(!h.logs.all.contains { $0.contains(password) }, "no password in the logs")
        }
    }

    @Test func refusedCredentialsFailTheMessageAndOpenTheCircuit() async throws {
        let smtp = try await LoopbackSMTPServer.start(credentials: (user: "cs", password: "right"))
        var settings = DeliverySettings()
        settings.breakerFailures = 1
        try await DeliveryHarness.with(settings: settings) { h in
            try await h.save(Self.channel(smtp.url, options: ["username": "cs", "allow_insecure_auth": true],
                                          secretRef: try secretFile("wrong")))
            let a = try await h.enqueue("mail", recipient: "csm@example.com", subject: "s", text: "t")
            let sa = try await h.waitFor(a) { $0.status == "failed" }
            #expect(sa.attempts.first?.smtpCode == 535)
            let b = try await h.enqueue("mail", recipient: "csm@example.com", subject: "s", text: "t")
            let sb = try await h.waitFor(b) { !$0.attempts.isEmpty }
            #expect(sb.attempts.first?.outcome == "deferred", "queued messages wait for the operator instead of failing one by one")
            #expect(sb.status != "failed")
        }
    }

    @Test func credentialsAreNeverSentWithoutTLS() async throws {
        // The server offers AUTH on a plain connection and no STARTTLS.
        let smtp = try await LoopbackSMTPServer.start(credentials: (user: "cs", password: "pw"))
        try await DeliveryHarness.with { h in
            try await h.save(Self.channel(smtp.url, options: ["username": "cs"], secretRef: try secretFile("pw")))
            let id = try await h.enqueue("mail", recipient: "csm@example.com", subject: "s", text: "t")
            let s = try await h.waitFor(id) { $0.status == "failed" || $0.status == "retrying" }
            #expect(s.status == "failed")
            #expect(s.lastError?.lowercased().contains("tls") == true || s.lastError?.lowercased().contains("starttls") == true,
                    "\(s.lastError ?? "")")
            #expect(smtp.messages().isEmpty)
        }
        // Saying so explicitly is allowed, with a warning on save.
        let insecure = Self.channel("smtp://127.0.0.1:25", options: ["username": "cs", "allow_insecure_auth": true], secretRef: "env:X")
        #expect(!insecure.warnings.isEmpty)
        #expect(Self.channel("smtp://127.0.0.1:25", options: ["username": "cs"], secretRef: "env:X").warnings.isEmpty)
    }

    @Test func headerLinesStayWithinLimitsAndFromLinesSurvive() async throws {
        let smtp = try await LoopbackSMTPServer.start()
        try await DeliveryHarness.with { h in
            try await h.save(Self.channel(smtp.url))
            let subject = (0..<150).map { "word\($0)" }.joined(separator: " ")   // ~1,100 octets of ASCII
            let accented = String(repeating: "Größe ändern ", count: 4)
            let id = try await h.enqueue("mail", recipient: "csm@example.com", subject: subject, text: "Hello\nFrom here on, all is well\n")
            try await h.waitFor(id) { $0.status == "sent" }
            let id2 = try await h.enqueue("mail", recipient: "csm@example.com", subject: accented, text: "x")
            try await h.waitFor(id2) { $0.status == "sent" }
            try await Task.sleep(for: .milliseconds(200))
            let mails = smtp.messages()
            #expect(mails.count == 2)
            for mail in mails {
                let raw = String(decoding: mail.data, as: UTF8.self)
                let head = raw.components(separatedBy: "\r\n\r\n")[0]
                for line in head.components(separatedBy: "\r\n") {
                    #expect(line.utf8.count <= 78, "header line of \(line.utf8.count) octets: \(line.prefix(40))…")
                }
                let headers = SMTPDeliveryTests.headers(head)
                let got = try #require(headers["subject"])
                if got.hasPrefix("=?") {
                    #expect(SMTPDeliveryTests.decodeEncodedWords(got) == accented)
                } else {
                    #expect(got == subject, "unfolding gives the subject back")
                    #expect(raw.contains("\r\n=46rom here on, all is well"), "a body line starting 'From ' is protected")
                }
            }
        }
    }

    @Test func addressesAreParsedStrictly() throws {
        for good in ["a@b.example", "first.last+tag@sub.example.co.uk", "\"quoted @ local\"@example.com", "x@[192.0.2.1]"] {
            #expect((try? EmailAddress(good)) != nil, "\(good)")
        }
        let bad: [(String, String)] = [
            ("a@b.example\r\nRCPT TO:<x@y>", "line break"), ("<a@b.example>", "angle brackets"), ("a@b@c.example", "more than one"),
            ("a b@c.example", "not allowed"), ("a@-b.example", "not a host name"), ("@b.example", "empty local"),
            (String(repeating: "x", count: 65) + "@b.example", "64 octets"), ("a@" + String(repeating: "b", count: 64) + ".example", "63 octets"),
            ("a..b@c.example", "empty part"), ("ä@b.example", "non-ASCII"), ("a@b.example\u{0}", "control"),
        ]
        for (text, reason) in bad {
            do {
                _ = try EmailAddress(text)
                Issue.record("accepted \(text.debugDescription)")
            } catch {
                #expect(error.reason.contains(reason), "\(text.debugDescription): \(error.reason)")
            }
        }
        #expect(throws: DeliveryError.self) {
            try Self.channel("smtp://127.0.0.1:25", options: ["from": "evil@x.example\r\nBcc: y@z"]).validate()
        }
        #expect(throws: DeliveryError.self) {
            try Self.channel("smtp://127.0.0.1:25", options: ["ca_file": "/nonexistent/ca.pem"]).validate()
        }
    }
}
