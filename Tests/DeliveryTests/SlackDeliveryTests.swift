// Slack incoming webhooks through the deliver job: the payload, 200 ok, the permanent 4xx
// answers, and 429 with Retry-After honoured before the retry.
import Basics
import Delivery
import Foundation
import TestSupport
import Testing

@Suite struct SlackDeliveryTests {
    /// A Slack-like server: the hook path decides the answer; `/limited` says 429 once.
    static func server(times: Locked<[ContinuousClock.Instant]>) throws -> LoopbackHTTPServer {
        let limitedCalls = Locked(0)
        return try LoopbackHTTPServer { req in
            times.withLock { $0.append(.now) }
            switch req.path {
            case let p where p.hasSuffix("/bad"): return .text(400, "invalid_payload")
            case let p where p.hasSuffix("/removed"): return .text(404, "no_service")
            case let p where p.hasSuffix("/archived"): return .text(410, "channel_is_archived")
            case let p where p.hasSuffix("/forbidden"): return .text(403, "action_prohibited")
            case let p where p.hasSuffix("/limited"):
                let n = limitedCalls.withLock { $0 += 1; return $0 }
                return n == 1 ? .text(429, "rate_limited", headers: [("Retry-After", "1")]) : .text(200, "ok")
            default: return .text(200, "ok")
            }
        }
    }

    static func channel(_ name: String, url: String) throws -> Channel {
        Channel(name: name, type: .slack, endpoint: try secretFile(url), options: ["username": "cs-bot"],
                ratePerSecond: 100, burst: 10)
    }

    @Test func okIsSentWithTextAndBlocks() async throws {
        let server = try Self.server(times: Locked([]))
        try await DeliveryHarness.with { h in
            try await h.save(Self.channel("slack", url: server.url("/services/T0/B0/ok")))
            let id = try await h.enqueue("slack", subject: "Account at risk", text: "Fleur & Co dropped to 38 (red)")
            let s = try await h.waitFor(id) { $0.status == "sent" }
            #expect(s.attempts.count == 1)
            #expect(s.attempts.first?.httpStatus == 200)
            let req = try #require(server.requests.first)
            #expect(req.header("Content-Type") == "application/json")
            let body = jsonObject(req.body)
            #expect(body["text"] as? String == "Fleur & Co dropped to 38 (red)")
            #expect(body["username"] as? String == "cs-bot")
            let block = try #require((body["blocks"] as? [[String: Any]])?.first)
            #expect(block["type"] as? String == "section")
            #expect(((block["text"] as? [String: Any])?["text"] as? String)?.hasPrefix("*Account at risk*") == true)
        }
    }

    @Test func blocksFromThePayloadAreSentAsGiven() async throws {
        let server = try Self.server(times: Locked([]))
        try await DeliveryHarness.with { h in
            try await h.save(Self.channel("slack", url: server.url("/services/T0/B0/ok")))
            let blocks: JSONValue = [["type": "header", "text": ["type": "plain_text", "text": "Renewal due"]]]
            let id = try await h.enqueue("slack", text: "Renewal due", payload: ["blocks": blocks])
            try await h.waitFor(id) { $0.status == "sent" }
            let body = jsonObject(try #require(server.requests.first).body)
            #expect((body["blocks"] as? [[String: Any]])?.first?["type"] as? String == "header")
        }
    }

    @Test(arguments: [("bad", 400, "invalid_payload"), ("removed", 404, "no_service"),
                      ("archived", 410, "channel_is_archived"), ("forbidden", 403, "action_prohibited")])
    func refusalsArePermanent(path: String, status: Int, reason: String) async throws {
        let server = try Self.server(times: Locked([]))
        try await DeliveryHarness.with { h in
            try await h.save(Self.channel("slack", url: server.url("/services/T0/B0/\(path)")))
            let id = try await h.enqueue("slack", text: "hi")
            let s = try await h.waitFor(id) { $0.status == "failed" }
            #expect(s.attempts.count == 1)
            #expect(s.attempts.first?.httpStatus == status)
            #expect(s.lastError == "HTTP \(status): \(reason)")
            #expect(try await eventually { try await h.jobState(id) == "discarded" })
            #expect(server.requestCount == 1)
        }
    }

    @Test func rateLimitedWaitsForRetryAfter() async throws {
        let times = Locked<[ContinuousClock.Instant]>([])
        let server = try Self.server(times: times)
        try await DeliveryHarness.with { h in
            try await h.save(Self.channel("slack", url: server.url("/services/T0/B0/limited")))
            let id = try await h.enqueue("slack", text: "hi")
            let s = try await h.waitFor(id) { $0.status == "sent" }
            #expect(s.attempts.map(\.outcome) == ["retry", "sent"])
            #expect(s.attempts.first?.httpStatus == 429)
            let t = times.withLock { $0 }
            #expect(t.count == 2)
            if t.count == 2 { #expect(t[1] - t[0] >= .milliseconds(950)) }
        }
    }

    @Test func testSendReportsTheOutcome() async throws {
        let server = try Self.server(times: Locked([]))
        try await DeliveryHarness.with(startWorker: false) { h in
            try await h.save(Self.channel("slack", url: server.url("/services/T0/B0/ok")))
            try await h.save(Self.channel("slack-bad", url: server.url("/services/T0/B0/bad")))
            let ok = try await DeliveryTest.send(channel: "slack", database: h.db.database, deliverer: h.deliverer)
            #expect(ok.status == .sent)
            let bad = try await DeliveryTest.send(channel: "slack-bad", database: h.db.database, deliverer: h.deliverer)
            #expect(bad.status == .failed)
            #expect(bad.outcome?.reason == "HTTP 400: invalid_payload")
            let recent = try await Outbox.recent(database: h.db.database)
            #expect(recent.count == 2)
            #expect(try await Outbox.failures(database: h.db.database).map(\.channel) == ["slack-bad"])
            // Re-running a finished delivery does nothing.
            let again = try await h.deliverer.deliver(id: ok.deliveryID, attempt: 2, isLastAttempt: false,
                                                      database: h.db.database)
            #expect(again.status == .alreadyFinished)
            #expect(server.requestCount == 2)
        }
    }
}
