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
        }
    }
}
