// Consent withdrawn after a message was queued: the worker's claim suppresses it and the
// far end never hears of it.
import Basics
import Delivery
import Foundation
import PG
import TestSupport
import Testing

@Suite struct ConsentDeliveryTests {
    @Test func aMessageWhoseConsentWasWithdrawnIsSuppressedNotSent() async throws {
        let server = try LoopbackHTTPServer()
        defer { server.stop() }
        try await DeliveryHarness.with(startWorker: false) { h in
            let d = h.db.database
            try await d.execute("INSERT INTO cs.accounts (id, name, signed_up_at) VALUES (1, 'Acme Bridal', now())")
            try await d.execute("INSERT INTO cs.contacts (id, account_id, name, email, consent_marketing) VALUES (7, 1, 'Ann', 'ann@example.test', true)")
            try await h.save(Channel(name: "hook", type: .webhook, endpoint: server.url("/in")))
            let id = try await d.query("""
                SELECT cs.enqueue_delivery('hook', NULL, 'Spring offer', 'hello', NULL, '{"purpose": "marketing"}', NULL, 1, 7)
                """)[0].decode(Int64.self, 0)
            #expect(try await h.state(id).status == "pending")
            try await d.execute("UPDATE cs.contacts SET consent_marketing = false WHERE id = 7")
            await h.startWorker()
            let s = try await h.waitFor(id) { $0.status == "suppressed" }
            #expect(s.lastError?.contains("has not consented to marketing") == true)
            try await eventually("the deliver job finished") { try await h.jobState(id) == "completed" }
            #expect(server.requestCount == 0, "nothing reached the far end")

            // With consent it goes, and once sent it keeps no personal data in clear.
            try await d.execute("UPDATE cs.contacts SET consent_marketing = true WHERE id = 7")
            let sent = try await d.query("""
                SELECT cs.enqueue_delivery('hook', 'ann@example.test', 'Spring offer for Ann', 'Dear Ann', NULL, '{"purpose": "marketing"}', NULL, 1, 7)
                """)[0].decode(Int64.self, 0)
            _ = try await h.waitFor(sent) { $0.status == "sent" }
            #expect(server.requestCount == 1 && server.requests.first?.bodyText.contains("Dear Ann") == true)
            let row = try await d.query("SELECT recipient, subject, body_text FROM cs.deliveries WHERE id = $1", [sent])[0]
            #expect(try row.decodeIfPresent(String.self, 0) == nil && row.decodeIfPresent(String.self, 1) == nil && row.decode(String.self, 2) == "")
            #expect(try await d.query("SELECT count(*) FROM cs.audit_log WHERE action = 'channel_insert' AND subject_id = 'hook'")[0].decode(Int.self, 0) == 1)
        }
    }
}
