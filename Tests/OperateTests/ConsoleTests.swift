// The web console as people use it: over HTTP (curl) for access rules and escaping, and in
// headless Chromium for a real flow — sign in, open queues, retry a failing job and watch
// it run, open an account at risk and its chart.
import Basics
import Console
import Foundation
import PG
import Queue
import Testing
import TestSupport
import Web

/// A console on a test database, listening on a free loopback port, with a worker running
/// the `default` queue so a retried job really runs.
final class ConsoleHarness: Sendable {
    let db: TestDatabase
    let port: Int
    let operatorToken: String
    let viewerToken: String
    let clock = Locked(Date())
    let sessions: ConsoleSessions
    private let serving: Task<Void, Error>
    private let worker: Worker
    private let working: Task<Void, Error>

    static let hostileName = "<script>alert(1)</script> Photography"

    init(db: TestDatabase) async throws {
        self.db = db
        let op = ConsoleTokens.issue(role: .operator, name: "olivia"), viewer = ConsoleTokens.issue(role: .viewer, name: "victor")
        operatorToken = op.token
        viewerToken = viewer.token
        let tokens = try ConsoleTokens(parsing: "# test tokens\n\(op.line)\n\(viewer.line)\n")
        let clock = self.clock
        sessions = ConsoleSessions(idle: 3600, now: { clock.withLock { $0 } })
        let console = Console(database: db.database, tokens: tokens, sessions: sessions, logger: TestEnvironment.logger)
        let listener = HTTPListener(address: HTTPAddress(host: "127.0.0.1", port: 0), metrics: PrometheusMetrics.shared,
                                    readiness: Readiness(database: db.database, expectedVersion: nil), logger: TestEnvironment.logger,
                                    addRoutes: { console.addRoutes(to: $0) })
        let bound = Locked(0)
        serving = Task { try await listener.run(onBound: { p in bound.withLock { $0 = p } }) }
        try await eventually("the console listens") { bound.withLock { $0 } > 0 }
        port = bound.withLock { $0 }

        let registry = JobRegistry()
        DiagnosticJobs.register(in: registry, workerID: "console-test")
        var cfg = WorkerConfiguration()
        cfg.queues = ["default"]
        cfg.pollInterval = .milliseconds(50)
        cfg.maintenance = false
        worker = Worker(url: db.url, registry: registry, configuration: cfg, logger: TestEnvironment.logger)
        let w = worker
        working = Task { try await w.run() }
        await worker.waitUntilStarted()
    }

    func stop() async {
        worker.shutdown()
        _ = try? await working.value
        serving.cancel()
        _ = try? await serving.value
    }

    static func with(_ body: (ConsoleHarness) async throws -> Void) async throws {
        try await TestDatabase.with { db in
            let h = try await ConsoleHarness(db: db)
            do { try await body(h) } catch { await h.stop(); throw error }
            await h.stop()
        }
    }

    var base: String { "http://127.0.0.1:\(port)" }

    /// A failing job whose arguments hold HTML and an e-mail address, and an account at risk
    /// whose name is a script tag, with a score history.
    func seed() async throws -> (jobID: Int64, accountID: Int64) {
        let d = db.database
        let job = try await d.query("""
            INSERT INTO cs.jobs (kind, args, state, attempt, max_attempts, finalized_at, errors)
            VALUES ('probe', '{"label": "<img src=x onerror=alert(2)>", "email": "bride@example.com"}', 'discarded', 3, 3, now(),
                    '[{"attempt": 3, "at": "2026-12-01T10:00:00Z", "error": "<b>boom</b> at the far end", "worker": "w1"}]')
            RETURNING id
            """)[0].decode(Int64.self, 0)
        // A queue with work waiting (tomorrow) and the last minutes' throughput, for the queues page.
        try await d.execute("INSERT INTO cs.jobs (kind, queue, run_at) VALUES ('noop', 'later', now() + interval '1 day')")
        try await d.execute("""
            INSERT INTO cs.job_throughput (minute, queue, completed, failed)
            SELECT date_trunc('minute', now()) - make_interval(mins => g), 'later', 100 + g * 3, g % 4 FROM generate_series(1, 30) g
            """)
        try await d.execute("""
            INSERT INTO cs.accounts (id, name, plan, mrr, signed_up_at, renewal_date, segment, csm)
            VALUES (77, $1, 'pro', 149, now() - interval '400 days', current_date + 20, 'photographer', 'pat')
            """, [Self.hostileName])
        try await d.execute("""
            INSERT INTO cs.health_scores (account_id, run_id, scored_at, score, band, previous_score, trend, components, churn_probability)
            SELECT 77, gen_random_uuid(), now() - make_interval(days => 10 - g), 70 - g * 5, CASE WHEN 70 - g * 5 < 40 THEN 'red' ELSE 'yellow' END,
                   75 - g * 5, -5, '{"usage": {"raw": 0.3, "score": 30, "weight": 0.5, "effective_weight": 0.5}}', 0.6
            FROM generate_series(0, 9) g
            """)
        return (job, 77)
    }

    struct Reply { let status: Int; let headers: String; let body: String }

    /// One request through curl: `-D -` puts the headers before the body.
    func request(_ path: String, method: String = "GET", cookie: String? = nil, form: [String: String]? = nil) throws -> Reply {
        var args = ["-sS", "-D", "-", "-X", method, base + path]
        if let cookie { args += ["-H", "Cookie: cs_session=\(cookie)"] }
        if let form {
            for (k, v) in form { args += ["--data-urlencode", "\(k)=\(v)"] }
        }
        let out = try runTool(try tool("curl", package: "curl"), args).output
        let parts = out.components(separatedBy: "\r\n\r\n")
        let head = parts.first ?? ""
        let status = Int(head.split(separator: " ").dropFirst().first ?? "") ?? 0
        return Reply(status: status, headers: head, body: parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    /// Signs in and returns the session cookie and the CSRF token of its pages.
    func signIn(_ token: String) throws -> (cookie: String, csrf: String) {
        let r = try request("/login", method: "POST", form: ["token": token])
        guard r.status == 303, let line = r.headers.split(separator: "\r\n").first(where: { $0.lowercased().hasPrefix("set-cookie:") }),
              let value = line.split(separator: "=", maxSplits: 1).last?.split(separator: ";").first else {
            throw TestSetupError("sign-in failed: \(r.status) \(r.headers)")
        }
        let cookie = String(value)
        let page = try request("/queues", cookie: cookie).body
        guard let range = page.range(of: #"name="csrf" value=""#), let end = page[range.upperBound...].firstIndex(of: "\"") else {
            throw TestSetupError("no CSRF token on the page")
        }
        return (cookie, String(page[range.upperBound..<end]))
    }
}

@Suite(.serialized) struct ConsoleTests {
    @Test func accessRulesAndEscaping() async throws {
        try await ConsoleHarness.with { h in
            let (jobID, accountID) = try await h.seed()
            // Not signed in, a wrong token, an unknown page: clear pages, nothing leaks.
            let anonymous = try h.request("/accounts")
            #expect(anonymous.status == 401 && anonymous.body.contains("Sign in") && !anonymous.body.contains("Photography"))
            let wrong = try h.request("/login", method: "POST", form: ["token": "not-a-token"])
            #expect(wrong.status == 401 && wrong.body.contains("not recognised") && !wrong.headers.lowercased().contains("set-cookie"))
            #expect(try h.request("/no/such/page").status == 404)

            let op = try h.signIn(h.operatorToken)
            let cookieLine = try h.request("/login", method: "POST", form: ["token": h.operatorToken]).headers.lowercased()
            #expect(cookieLine.contains("httponly") && cookieLine.contains("samesite=strict"))
            let accounts = try h.request("/accounts", cookie: op.cookie)
            #expect(accounts.status == 200)
            #expect(accounts.headers.lowercased().contains("content-security-policy: default-src 'none'; style-src 'self'; script-src 'self'"))
            #expect(!accounts.body.contains("<script>alert(1)</script>") && accounts.body.contains("&lt;script&gt;alert(1)&lt;/script&gt; Photography"))
            let job = try h.request("/jobs/\(jobID)", cookie: op.cookie)
            #expect(!job.body.contains("<img src=x") && job.body.contains("&lt;img src=x onerror=alert(2)&gt;"))
            #expect(!job.body.contains("bride@example.com"), "personal data in args is redacted")
            #expect(job.body.contains("&lt;b&gt;boom&lt;/b&gt;"))
            #expect(try h.request("/jobs/999999", cookie: op.cookie).status == 404)
            #expect(try h.request("/accounts/\(accountID)", cookie: op.cookie).body.contains("circle class=\"point\""))

            // A POST without the CSRF token, or from a viewer: 403, and nothing changes.
            #expect(try h.request("/queues/default/pause", method: "POST", cookie: op.cookie, form: ["csrf": "forged"]).status == 403)
            let viewer = try h.signIn(h.viewerToken)
            #expect(!(try h.request("/jobs/\(jobID)", cookie: viewer.cookie).body.contains(">Retry<")), "viewers see no buttons")
            #expect(try h.request("/jobs/\(jobID)/retry", method: "POST", cookie: viewer.cookie, form: ["csrf": viewer.csrf]).status == 403)
            #expect(try await h.db.database.query("SELECT state::text FROM cs.jobs WHERE id = $1", [jobID])[0].decode(String.self, 0) == "discarded")
            #expect(try await h.db.database.query("SELECT count(*) FROM cs.queues WHERE paused")[0].decode(Int.self, 0) == 0)

            // The operator pauses and resumes a queue from the page.
            #expect(try h.request("/queues/default/pause", method: "POST", cookie: op.cookie, form: ["csrf": op.csrf]).status == 303)
            #expect(try h.request("/queues", cookie: op.cookie).body.contains("PAUSED"))
            #expect(try h.request("/queues/default/resume", method: "POST", cookie: op.cookie, form: ["csrf": op.csrf]).status == 303)

            // Reports: none yet is an empty list; an unknown one is a 404.
            #expect(try h.request("/reports", cookie: op.cookie).status == 200)
            #expect(try h.request("/reports/12345", cookie: op.cookie).status == 404)

            // An idle session expires (the console's clock moved on by more than its idle time).
            h.clock.withLock { $0 = $0.addingTimeInterval(3601) }
            let expired = try h.request("/queues", cookie: op.cookie)
            #expect(expired.status == 401 && expired.body.contains("expired"))
        }
    }

    @Test func anOperatorRetriesAFailingJobInTheBrowserAndOpensAnAccountAtRisk() async throws {
        try await ConsoleHarness.with { h in
            let (jobID, accountID) = try await h.seed()
            try FileManager.default.createDirectory(at: HeadlessBrowser.artifacts, withIntermediateDirectories: true)
            let python = TestEnvironment.repoRoot.appendingPathComponent(".venv/bin/python").path
            let script = TestEnvironment.repoRoot.appendingPathComponent("Tests/browser/console_flow.py").path
            let args = [script, h.base, h.operatorToken, "\(jobID)", "\(accountID)", HeadlessBrowser.artifacts.path]
            // Chromium takes seconds: off the cooperative pool.
            let result = try await withCheckedThrowingContinuation { (k: CheckedContinuation<(status: Int32, output: String), Error>) in
                DispatchQueue.global().async {
                    do { k.resume(returning: try runTool(python, args)) } catch { k.resume(throwing: error) }
                }
            }
            guard result.status == 0, let line = result.output.split(separator: "\n").last,
                  let seen = try? JSONValue.parse(Array(line.utf8)) else {
                Issue.record("the browser flow failed: \(result.output.suffix(1500)) — run ops/install-deps.sh --tests")
                return
            }
            #expect(seen["unauthenticated_title"]?.stringValue == "Sign in · cs-worker")
            #expect(seen["queues_title"]?.stringValue == "Queues · cs-worker")
            #expect((seen["queue_charts"]?.doubleValue ?? 0) >= 1)
            #expect(seen["failing_listed"] == .bool(true))
            #expect(seen["job_page_state"]?.stringValue == "discarded")
            #expect(seen["job_args_shown"]?.stringValue?.contains("[redacted]") == true)
            #expect(seen["job_state_after"]?.stringValue == "completed", "retry pressed in the browser, the worker ran it")
            #expect(seen["accounts_html_escaped"] == .bool(true))
            #expect((seen["accounts_rows"]?.doubleValue ?? 0) >= 1)
            #expect(seen["account_title"]?.stringValue == "\(ConsoleHarness.hostileName) · cs-worker")
            #expect(seen["chart_points"]?.doubleValue == 10, "ten scores drawn")
            #expect(seen["xss_alerts"]?.doubleValue == 0, "no script from data ever ran")
            let errors = seen["console_errors"].flatMap { v -> [String]? in
                if case .array(let a) = v { return a.compactMap(\.stringValue) }
                return nil
            } ?? []
            #expect(!errors.contains { $0.contains("Content Security Policy") }, "the pages break none of their own CSP: \(errors)")
        }
    }
}
