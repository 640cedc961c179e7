// The far end misbehaving: slow answers, refused connections, per-channel rate limits, the
// circuit breaker, and a worker that dies between sending and recording.
import Basics
import Delivery
import Foundation
import PG
import TestSupport
import Testing

@Suite struct ResilienceTests {
    @Test func connectionKilledWhileTheProviderAnswersIsNoSecondSend() async throws {
        try await DeliveryHarness.with(startWorker: false) { h in
            // One pooled connection: the claim returns it to the pool, the provider's handler
            // kills it there (as pg_terminate_backend or a restart would), and recording the
            // send must still happen exactly once, on a live connection.
            let pool = Database(url: h.db.url, maxConnections: 1, applicationName: "cs-test-deliverer", logger: h.logger)
            let dbURL = h.db.url
            let server = try LoopbackHTTPServer { _ in
                _ = try? Psql.run(url: dbURL, """
                    SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity WHERE application_name = 'cs-test-deliverer'
                    """)
                return .text(200, "ok")
            }
            try await h.save(Channel(name: "team", type: .slack, endpoint: server.url("/services/T1/B1/x")))
            for i in 0..<8 {
                let id = try await h.enqueue("team", text: "message \(i)")
                let result = try await h.deliverer.deliver(id: id, attempt: 1, isLastAttempt: false, database: pool)
                #expect(result.status == .sent)
                #expect(server.requestCount == i + 1, "each message reached the provider once")
                let s = try await h.state(id)
                #expect(s.status == "sent")
                #expect(s.attempts.count == 1, "one attempt recorded: \(s.attempts.map(\.outcome))")
            }
            #expect(try await h.db.database.query("SELECT count(*) FROM cs.deliveries WHERE status = $1", ["sent"])[0].decode(Int.self, 0) == 8)
            await pool.close()
        }
    }

    @Test func slowAnswerPastTheTimeoutIsRetried() async throws {
        let server = try LoopbackHTTPServer { _ in LoopbackHTTPServer.Response.text(200, "ok").delayed(.seconds(3)) }
        try await DeliveryHarness.with { h in
            try await h.save(Channel(name: "slow", type: .webhook, endpoint: server.url("/slow"), options: ["timeout_ms": 300]))
            let id = try await h.enqueue("slow")
            let s = try await h.waitFor(id) { !$0.attempts.isEmpty }
            let first = try #require(s.attempts.first)
            #expect(first.outcome == "retry")
            #expect(first.curlCode == 28)
            #expect(first.reason?.hasPrefix("timedOut") == true)
            #expect(s.status != "failed")
        }
    }

    @Test func refusedConnectionIsRetried() async throws {
        let closed = try LoopbackHTTPServer()
        let url = closed.url("/gone")
        closed.stop()
        try await Task.sleep(for: .milliseconds(200))
        try await DeliveryHarness.with { h in
            try await h.save(Channel(name: "down", type: .webhook, endpoint: url))
            let id = try await h.enqueue("down")
            let s = try await h.waitFor(id) { $0.attempts.count >= 2 }
            #expect(s.attempts.first?.outcome == "retry")
            // 7 (refused); 56 (reset) when the stopped listener's socket was still being torn
            // down on a loaded machine — either way a connection failure, retried.
            #expect([7, 56].contains(s.attempts.first?.curlCode ?? 0))
            #expect(s.status != "failed")
        }
    }

    @Test func channelRateLimitSpacesMessages() async throws {
        let times = Locked<[ContinuousClock.Instant]>([])
        let server = try LoopbackHTTPServer { _ in
            times.withLock { $0.append(.now) }
            return .text(200, "ok")
        }
        try await DeliveryHarness.with { h in
            try await h.save(Channel(name: "slow-hook", type: .slack, endpoint: server.url("/services/a/b/c"),
                                     ratePerSecond: 2, burst: 1))
            let start = ContinuousClock.now
            var ids: [Int64] = []
            for i in 0..<5 { ids.append(try await h.enqueue("slow-hook", text: "m\(i)")) }
            for id in ids { try await h.waitFor(id) { $0.status == "sent" } }
            let elapsed = ContinuousClock.now - start
            // 5 messages at 2/s with a burst of 1: four half-second gaps at least.
            #expect(elapsed >= .milliseconds(1900))
            let t = times.withLock { $0 }.sorted()
            #expect(t.count == 5)
            if let first = t.first, let last = t.last { #expect(last - first >= .milliseconds(1900)) }
        }
    }

    @Test func anAtMostOnceChannelDoesNotRepeatASendWhoseOutcomeIsUnknown() async throws {
        let server = try LoopbackHTTPServer { _ in .text(200, "ok") }
        try await DeliveryHarness.with(startWorker: false) { h in
            try await h.save(Channel(name: "once", type: .slack, endpoint: server.url("/services/T/B/once"),
                                     options: ["delivery": "at_most_once"]))
            try await h.save(Channel(name: "again", type: .slack, endpoint: server.url("/services/T/B/again")))
            let once = try await h.enqueue("once", text: "maybe delivered")
            let again = try await h.enqueue("again", text: "maybe delivered")
            // As a worker killed between the provider's 200 and our record leaves them.
            try await h.db.database.execute("UPDATE cs.deliveries SET status = 'sending', attempts = 1")
            let a = try await h.deliverer.deliver(id: once, attempt: 2, isLastAttempt: false, database: h.db.database)
            #expect(a.status == .unknown)
            #expect(server.requestCount == 0, "not sent again")
            let s = try await h.state(once)
            #expect(s.status == "unknown")
            #expect(s.attempts.map(\.outcome).suffix(2) == ["interrupted", "unknown"])
            let b = try await h.deliverer.deliver(id: again, attempt: 2, isLastAttempt: false, database: h.db.database)
            #expect(b.status == .sent, "at-least-once (the default) sends again, with the same key")
            #expect(server.requestCount == 1)
            #expect(throws: DeliveryError.self) {
                try Channel(name: "x", type: .slack, endpoint: "https://hooks.slack.com/services/a/b/c", options: ["delivery": "twice"]).validate()
            }
        }
    }

    @Test func waitingForTheRateLimitSpendsNoAttempts() async throws {
        let server = try LoopbackHTTPServer { _ in .text(200, "ok") }
        var settings = DeliverySettings()
        settings.maxRateLimitWait = .milliseconds(200)
        try await DeliveryHarness.with(settings: settings, startWorker: false) { h in
            try await h.save(Channel(name: "narrow", type: .slack, endpoint: server.url("/services/T/B/n"),
                                     ratePerSecond: 5, burst: 1))
            let n = 40
            var ids: [Int64] = []
            for i in 0..<n { ids.append(try await h.enqueue("narrow", text: "m\(i)")) }
            // Three attempts each: far fewer than the times a backlog of 40 at 5/s is put off.
            try await h.db.database.execute("UPDATE cs.jobs SET max_attempts = 3")
            await h.startWorker()
            try await TestSupport.eventually("every delivery finished", timeout: .seconds(60), every: .milliseconds(100)) {
                try await h.db.database.query("SELECT count(*) FROM cs.deliveries WHERE status IN ('sent', 'failed')")[0]
                    .decode(Int.self, 0) == n
            }
            _ = ids
            #expect(server.requestCount == n, "each message called the provider once")
            let rows = try await h.db.database.query("""
                SELECT count(*) FILTER (WHERE d.status = 'sent'), count(*) FILTER (WHERE d.attempts = 1),
                       sum(d.deferrals), count(*) FILTER (WHERE j.attempt = 1), sum(j.snoozes),
                       count(*) FILTER (WHERE jsonb_array_length(d.attempt_log) <= 2)
                FROM cs.deliveries d JOIN cs.jobs j ON j.id = d.job_id
                """)[0]
            #expect(try rows.decode(Int.self, 0) == n, "all sent, none out of attempts")
            #expect(try rows.decode(Int.self, 1) == n, "one attempt each: waiting is not an attempt")
            #expect(try rows.decode(Int.self, 2) > 0, "some were held back")
            #expect(try rows.decode(Int.self, 3) == n)
            #expect(try rows.decode(Int.self, 4) == (try rows.decode(Int.self, 2)), "job snoozes match delivery deferrals")
            #expect(try rows.decode(Int.self, 5) == n, "a run of deferrals is one log entry, then the send")
        }
    }

    @Test func aDeliveryHeldBackPastItsMaximumAgeFailsUnsent() async throws {
        let server = try LoopbackHTTPServer { _ in .text(200, "ok") }
        var settings = DeliverySettings()
        settings.maxRateLimitWait = .zero
        settings.maxDeferral = .zero
        try await DeliveryHarness.with(settings: settings) { h in
            try await h.save(Channel(name: "one-a-minute", type: .slack, endpoint: server.url("/services/T/B/m"),
                                     ratePerSecond: 1.0 / 60, burst: 1))
            let first = try await h.enqueue("one-a-minute", text: "first")
            let f = try await h.waitFor(first) { $0.status == "sent" }
            #expect(f.status == "sent", "\(f.lastError ?? "")")
            let second = try await h.enqueue("one-a-minute", text: "second")
            let s = try await h.waitFor(second) { $0.status == "failed" }
            #expect(s.lastError?.contains("held back for longer than") == true)
            #expect(server.requestCount == 1, "the second never reached the provider")
        }
    }

    @Test func circuitOpensAndStopsCallingDuringCoolDown() async throws {
        let server = try LoopbackHTTPServer { _ in .text(503, "upstream unavailable") }
        try await DeliveryHarness.with { h in
            try await h.save(Channel(name: "flaky", type: .webhook, endpoint: server.url("/hook"),
                                     options: ["breaker_failures": 3, "breaker_cooldown_ms": 3000]))
            let id = try await h.enqueue("flaky")
            let s = try await h.waitFor(id) { $0.attempts.count >= 4 }
            #expect(s.attempts.prefix(3).map(\.httpStatus) == [503, 503, 503])
            #expect(s.attempts[3].outcome == "deferred")
            #expect(s.attempts[3].reason?.contains("circuit open") == true)
            #expect(server.requestCount == 3)
            // Still open: the endpoint hears nothing for a while.
            try await Task.sleep(for: .seconds(1))
            #expect(server.requestCount == 3)
            // After the cool-down one probe goes through (and fails again: 503).
            #expect(try await eventually(timeout: .seconds(8)) { server.requestCount >= 4 })
            #expect(server.requestCount == 4)
            #expect(h.logs.all.contains { $0.contains("circuit opened") })
        }
    }

    /// A worker dies after the far end received the request and before the outcome was
    /// recorded. Simulated in-process: the job is claimed as a worker that never heartbeats,
    /// and its send is cancelled (nothing recorded, as in a crash) once the request arrived.
    /// A real worker's rescuer re-runs the job, which sends again with the same dedup_key.
    @Test func crashBetweenSendAndRecordResendsWithSameKey() async throws {
        let calls = Locked(0)
        let server = try LoopbackHTTPServer { req in
            let n = calls.withLock { $0 += 1; return $0 }
            let key = jsonObject(req.body)["dedup_key"] as? String ?? ""
            let answer = LoopbackHTTPServer.Response.json(202, #"{"status":"success","message":"Event processed","dedup_key":"\#(key)"}"#)
            return n == 1 ? answer.delayed(.seconds(20)) : answer
        }
        try await DeliveryHarness.with(startWorker: false) { h in
            let db = h.db.database
            try await h.save(Channel(name: "pd", type: .pagerduty, endpoint: server.url("/v2/enqueue"),
                                     secretRef: try secretFile("R0UTINGKEY0123456789abcdefABCDEF")))
            let id = try await h.enqueue("pd", subject: "Churn model degraded", key: "alert:model-auc:42")
            // Claim the job exactly as a worker does, for a worker that will never heartbeat.
            try await db.execute("""
                UPDATE cs.jobs SET state = 'running', attempt = attempt + 1, attempted_at = now(),
                    attempted_by = array_append(attempted_by, 'dead-worker'), worker_id = 'dead-worker'
                WHERE id = (SELECT job_id FROM cs.deliveries WHERE id = $1)
                """, [id])
            let doomed = Task { try await h.deliverer.deliver(id: id, attempt: 1, isLastAttempt: false, database: db) }
            #expect(try await eventually { server.requestCount == 1 })
            doomed.cancel()
            await #expect(throws: CancellationError.self) { _ = try await doomed.value }
            #expect(try await h.state(id).status == "sending")

            await h.startWorker(rescueAfter: .seconds(1))
            let s = try await h.waitFor(id, timeout: .seconds(20)) { $0.status == "sent" }
            #expect(s.attempts.map(\.outcome) == ["interrupted", "sent"])
            #expect(s.attempts.map(\.attempt) == [1, 2])
            #expect(s.providerID == "alert:model-auc:42")
            let keys = server.requests.map { jsonObject($0.body)["dedup_key"] as? String }
            #expect(keys == ["alert:model-auc:42", "alert:model-auc:42"])
            #expect(try await eventually { try await h.jobState(id) == "completed" })
            let rows = try await db.query("SELECT count(*) FROM cs.deliveries").first?.decode(Int.self, 0)
            #expect(rows == 1)
        }
    }
}
