// Erasure reaches every copy: a subject seeded with distinctive values everywhere they can go
// is erased, then a full `pg_dump --data-only` holds none of them; the audit row is there and
// the invoices a legal duty keeps are kept. Export separates provided from derived data.
import Foundation
import PG
import Privacy
import Testing
import TestSupport

@Suite struct ErasureTests {
    static let name = "Zephyrine Quillfeather"
    static let business = "Quillfeather & Daughters Weddings"
    static let email = "zq-unique-7731@example.test"
    static let phone = "+44 7700 900731"
    static var values: [String] { [name, business, email, phone, "Quillfeather &amp; Daughters"] }

    static func seed(_ d: Database) async throws {
        try await d.execute("INSERT INTO cs.accounts (id, name, signed_up_at, mrr) VALUES (9, $1, now() - interval '2 years', 99)", [business])
        try await d.execute("INSERT INTO cs.accounts (id, name, signed_up_at) VALUES (10, 'Neighbour Florist', now() - interval '1 year')")
        try await d.execute("INSERT INTO cs.contacts (id, account_id, name, email, phone) VALUES (90, 9, $1, $2, $3), (91, 10, 'Other Person', 'other@example.test', NULL)",
                            [name, email, phone])
        try await d.execute("INSERT INTO cs.surveys (account_id, contact_id, kind, score, answered_at) VALUES (9, 90, 'nps', 3, now()), (10, 91, 'nps', 9, now())")
        try await d.execute("INSERT INTO cs.activity (account_id, event, occurred_at) SELECT 9, 'login', now() - make_interval(days => g) FROM generate_series(1, 20) g")
        try await d.execute("INSERT INTO cs.invoices (account_id, due_at, amount, status) VALUES (9, now() - interval '10 days', 99, 'paid')")
        try await d.execute("INSERT INTO cs.health_scores (account_id, run_id, scored_at, score, band, components) VALUES (9, gen_random_uuid(), now(), 31, 'red', '{}')")
        try await d.execute("INSERT INTO cs.churn_predictions (account_id, probability) VALUES (9, 0.7)")
        try await d.execute("INSERT INTO cs.channels (name, type, endpoint) VALUES ('mail', 'smtp', 'smtp://127.0.0.1:2525')")
        try await d.execute("""
            INSERT INTO cs.deliveries (channel, recipient, subject, body_text, body_html, idempotency_key, account_id, contact_id, status, payload)
            VALUES ('mail', $2, 'Hello ' || $1, 'Dear ' || $1 || ', call us on ' || $3, '<p>Dear ' || $1 || '</p>', 'k1', 9, 90, 'sent',
                    jsonb_build_object('to_name', $1::text))
            """, [name, email, phone])
        try await d.execute("INSERT INTO cs.interventions (account_id, rule, reason, channel) VALUES (9, 'red_band', 'Score fell for ' || $1, 'mail')", [business])
        // Job arguments and errors that name the subject: queued and finished.
        try await d.execute("INSERT INTO cs.jobs (kind, args) VALUES ('noop', jsonb_build_object('note', 'call ' || $1::text))", [name])
        try await d.execute("""
            INSERT INTO cs.jobs (kind, args, state, attempt, finalized_at, errors)
            VALUES ('noop', '{}', 'discarded', 1, now(), jsonb_build_array(jsonb_build_object('attempt', 1, 'error', 'bounce from ' || $1::text)))
            """, [email])
        // A stored report that lists the account (HTML-escaped in the page, raw in JSON and CSV).
        try await d.execute("""
            INSERT INTO cs.reports (kind, period_from, period_to, parameters, figures, html, csv)
            VALUES ('renewals', current_date - 30, current_date, '{}', jsonb_build_object('rows', jsonb_build_array($1::text)),
                    '<td>Quillfeather &amp; Daughters Weddings</td>', jsonb_build_object('at_risk', 'name\n"' || $1 || '"\n'))
            """, [business])
    }

    static func dump(_ url: String) throws -> String {
        let tool = ["/usr/lib/postgresql/15/bin/pg_dump", "/usr/bin/pg_dump"].first { FileManager.default.isExecutableFile(atPath: $0) }
            ?? (try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql"))?.sorted().last.map { "/usr/lib/postgresql/\($0)/bin/pg_dump" } ?? "pg_dump"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: tool)
        p.arguments = ["--data-only", "--no-owner", url]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw TestSetupError("pg_dump exited \(p.terminationStatus)") }
        return String(decoding: data, as: UTF8.self)
    }

    @Test func erasingAnAccountLeavesNoCopyInADump() async throws {
        try await TestDatabase.with { db in
            let d = db.database
            try await Self.seed(d)
            let before = try Self.dump(db.url)
            for v in Self.values where v != "Quillfeather &amp; Daughters" { #expect(before.contains(v), "seeded: \(v)") }

            let requests = PrivacyRequests(database: d, logger: TestEnvironment.logger)
            let id = try await requests.file("erase", .account(9), basis: "Art. 17 request by e-mail")
            let counts = try await requests.erase(request: id, actor: "test")
            #expect(counts.contains("\"accounts\": 1") && counts.contains("\"activity\": 20"))
            // Idempotent: a second run of the same request changes nothing and still answers.
            #expect(try await requests.erase(request: id, actor: "test") == counts)

            let after = try Self.dump(db.url)
            for v in Self.values { #expect(!after.contains(v), "no copy of \(v) survives") }
            #expect(after.contains("Neighbour Florist") && after.contains("other@example.test"), "other subjects are untouched")
            #expect(try await d.query("SELECT count(*) FROM cs.invoices WHERE account_id = 9")[0].decode(Int.self, 0) == 1, "kept for the legal duty")
            let row = try #require(try await requests.list().first { $0.id == id })
            #expect(row.status == "done" && row.kept.contains("invoices") && row.kept.contains("accounting records"))
            #expect(try await d.query("SELECT count(*) FROM cs.audit_log WHERE action = 'erase' AND subject_kind = 'account' AND subject_id = '9'")[0].decode(Int.self, 0) == 1)

            // Erasing it again is a clear error on a new request; nothing else changes.
            let again = try await requests.file("erase", .account(9), basis: "duplicate")
            await #expect(throws: PrivacyRequestError.self) { try await requests.erase(request: again, actor: "test") }
            #expect(try await requests.list().first { $0.id == again }.map { $0.status == "failed" && ($0.error ?? "").contains("already erased") } == true)
        }
    }

    @Test func erasingAContactKeepsTheAccountAndRemovesTheirCopies() async throws {
        try await TestDatabase.with { db in
            let d = db.database
            try await Self.seed(d)
            let requests = PrivacyRequests(database: d, logger: TestEnvironment.logger)
            let id = try await requests.file("erase", .contact(90), basis: "Art. 17")
            _ = try await requests.erase(request: id, actor: "test")
            let after = try Self.dump(db.url)
            for v in [Self.name, Self.email, Self.phone] { #expect(!after.contains(v), "no copy of \(v) survives") }
            #expect(try await d.query("SELECT count(*) FROM cs.accounts WHERE id = 9")[0].decode(Int.self, 0) == 1)
            #expect(try await d.query("SELECT count(*) FROM cs.surveys WHERE contact_id = 90")[0].decode(Int.self, 0) == 0)
        }
    }

    @Test func exportSeparatesProvidedFromDerivedData() async throws {
        try await TestDatabase.with { db in
            let d = db.database
            try await Self.seed(d)
            let requests = PrivacyRequests(database: d, logger: TestEnvironment.logger)
            let id = try await requests.file("export", .account(9), basis: "Art. 15")
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("export-\(id).json").path
            let started = ContinuousClock.now
            let bytes = try await requests.export(request: id, to: path, actor: "test")
            #expect(ContinuousClock.now - started < .seconds(30))
            let doc = try JSONSerialization.jsonObject(with: try Data(contentsOf: URL(fileURLWithPath: path))) as? [String: Any]
            #expect(bytes > 0 && doc?["version"] as? Int == 1)
            let provided = doc?["provided"] as? [String: Any], derived = doc?["derived"] as? [String: Any]
            #expect((provided?["account"] as? [String: Any])?["name"] as? String == Self.business)
            #expect((provided?["contacts"] as? [[String: Any]])?.first?["email"] as? String == Self.email)
            #expect((derived?["health_scores"] as? [Any])?.count == 1 && (derived?["churn_predictions"] as? [Any])?.count == 1)
            #expect(try await requests.list().first { $0.id == id }?.status == "done")

            // A path that cannot be written: the request says why, nothing is left half done.
            let bad = try await requests.file("export", .account(9), basis: "Art. 15")
            await #expect(throws: PrivacyRequestError.self) { try await requests.export(request: bad, to: "/nonexistent-dir/x.json", actor: "test") }
            #expect(try await requests.list().first { $0.id == bad }.map { $0.status == "failed" && ($0.error ?? "").contains("cannot write") } == true)
            let unknown = try await requests.file("export", .contact(424242), basis: "Art. 15")
            await #expect(throws: PrivacyRequestError.self) { try await requests.export(request: unknown, to: path, actor: "test") }
        }
    }
}

@Suite struct ConsentTests {
    @Test func messagesGoOnlyWithConsentForTheirPurpose() async throws {
        try await TestDatabase.with { db in
            let d = db.database
            try await d.execute("INSERT INTO cs.accounts (id, name, signed_up_at) VALUES (1, 'Acme Bridal', now())")
            try await d.execute("""
                INSERT INTO cs.contacts (id, account_id, name, email, consent_marketing, consent_product)
                VALUES (1, 1, 'Yes Both', 'a@example.test', true, true), (2, 1, 'Product Only', 'b@example.test', false, true)
                """)
            try await d.execute("INSERT INTO cs.channels (name, type, endpoint) VALUES ('mail', 'smtp', 'smtp://127.0.0.1:2525')")
            func send(_ contact: Int, _ purpose: String) async throws -> Int64 {
                try await d.query("SELECT cs.enqueue_delivery('mail', 'x@example.test', 's', 'b', NULL, jsonb_build_object('purpose', $2::text), NULL, 1, $1)",
                                  [contact, purpose])[0].decode(Int64.self, 0)
            }
            let ok = try await send(1, "marketing")
            let refused = try await send(2, "marketing")
            let product = try await send(2, "product")
            func state(_ id: Int64) async throws -> (String, String?, String?) {
                let r = try await d.query("""
                    SELECT d.status, d.last_error, j.state::text FROM cs.deliveries d LEFT JOIN cs.jobs j ON j.id = d.job_id WHERE d.id = $1
                    """, [id])[0]
                return (try r.decode(String.self, 0), try r.decodeIfPresent(String.self, 1), try r.decodeIfPresent(String.self, 2))
            }
            #expect(try await state(ok).0 == "pending")
            #expect(try await state(product).0 == "pending")
            let s = try await state(refused)
            #expect(s.0 == "suppressed" && s.1?.contains("has not consented to marketing") == true && s.2 == "cancelled",
                    "suppressed on arrival, its deliver job cancelled: \(s)")
            // Consent withdrawn after queueing: the send-time check in the claim suppresses it.
            try await d.execute("UPDATE cs.contacts SET consent_product = false WHERE id = 2")
            let claimed = try await d.query("""
                SELECT status, last_error FROM cs.deliveries WHERE id = $1
                """, [product])[0].decode(String.self, 0)
            #expect(claimed == "pending")
            let refusal = try await d.query("SELECT cs.consent_refusal(2, 'product')")[0].decodeIfPresent(String.self, 0)
            #expect(refusal?.contains("product messages") == true)
        }
    }
}
