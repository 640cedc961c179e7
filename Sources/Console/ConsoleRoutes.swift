// ConsoleRoutes: the web console's pages and buttons on the HTTP listener's router.
// Server-rendered HTML; a strict Content-Security-Policy (no inline script or style, no
// frames, forms only to itself); POSTs need the operator role and the session's CSRF token.
import Basics
import Foundation
import Hummingbird
import Logging
import Monitoring
import PG
import Privacy
import Queue
import Reports

public struct Console: Sendable {
    public let database: Database
    public let tokens: ConsoleTokens
    public let sessions: ConsoleSessions
    let logger: Logger
    private let facetCache = Locked<FacetCache?>(nil)
    static let cookie = "cs_session"
    static let pageSize = 50

    public init(database: Database, tokens: ConsoleTokens, sessions: ConsoleSessions = ConsoleSessions(), logger: Logger) {
        self.database = database
        self.tokens = tokens
        self.sessions = sessions
        self.logger = logger
    }

    typealias Context = BasicRequestContext
    typealias S = ConsoleStatements

    /// Adds every console route to `router`.
    public func addRoutes(to router: Router<BasicRequestContext>) {
        router.get("/console.css") { _, _ in Self.asset(Layout.css, type: "text/css; charset=utf-8") }
        router.get("/console.js") { _, _ in Self.asset(Layout.script, type: "text/javascript; charset=utf-8") }
        router.get("/") { _, _ in Self.redirect("/queues") }
        router.get("/login") { req, _ in Self.html(200, Self.loginPage(error: nil, next: req.uri.queryParameters.get("next"))) }
        router.post("/login") { req, _ in try await self.login(req) }
        router.post("/logout") { req, _ in
            try await self.act(req, needs: .viewer) { session, _ in
                self.sessions.end(session.id)
                var r = Self.redirect("/login")
                r.headers[.setCookie] = "\(Self.cookie)=; Path=/; Max-Age=0; HttpOnly; SameSite=Strict"
                return r
            }
        }

        page(router, "/queues") { _, _ in
            let rows = try await database.rows(S.QueueCounts())
            let throughput = try await database.rows(S.Throughput())
            let paused = try await database.rows(S.Paused())
            return ("Queues", 10, { s in Pages.queues(rows: rows, throughput: throughput, paused: paused, canOperate: s.user.role == .operator, csrf: s.csrf) })
        }
        page(router, "/jobs") { req, _ in
            let filter = Self.jobFilter(req)
            let rows = try await database.rows(S.Jobs(filter: filter, limit: Self.pageSize))
            return ("Jobs", 0, { _ in Pages.jobs(rows, filter: filter, pageSize: Self.pageSize) })
        }
        page(router, "/jobs/:id") { _, ctx in
            guard let id = ctx.parameters.get("id", as: Int64.self), let job = try await database.first(S.Job(id: id)) else { return nil }
            return ("Job \(id)", 5, { s in Pages.job(job, canOperate: s.user.role == .operator, csrf: s.csrf) })
        }
        page(router, "/workers") { _, _ in
            let rows = try await database.rows(S.Workers())
            return ("Workers", 10, { _ in Pages.workers(rows) })
        }
        page(router, "/schedules") { _, _ in
            let rows = try await database.rows(S.Schedules())
            return ("Schedules", 0, { s in Pages.schedules(rows, canOperate: s.user.role == .operator, csrf: s.csrf) })
        }
        page(router, "/deliveries") { _, _ in
            let counts = try await database.rows(S.DeliveryCounts())
            let failures = try await database.rows(S.DeliveryFailures())
            return ("Deliveries", 30, { _ in Pages.deliveries(counts, failures) })
        }
        page(router, "/alerts") { _, _ in
            let rows = try await AlertBook(database: database).list(resolved: 20)
            return ("Alerts", 30, { s in Pages.alerts(rows, canOperate: s.user.role == .operator, csrf: s.csrf) })
        }
        page(router, "/accounts") { req, _ in
            let q = req.uri.queryParameters
            let sort = q.get("sort").flatMap(S.AccountSort.init(rawValue:)) ?? .score
            let bands = (q.get("bands") ?? "red,yellow").split(separator: ",").map(String.init).filter { ["red", "yellow", "green"].contains($0) }
            let segment = q.get("segment").flatMap { $0.isEmpty ? nil : $0 }, csm = q.get("csm").flatMap { $0.isEmpty ? nil : $0 }
            let rows = try await database.rows(S.AtRisk(bands: bands.isEmpty ? ["red", "yellow"] : bands, segment: segment, csm: csm, sort: sort, limit: 100))
            let facets = try await facets()
            return ("Accounts at risk", 0, { _ in Pages.accounts(rows, facets: facets, segment: segment, csm: csm, sort: sort, bands: bands) })
        }
        page(router, "/accounts/:id") { _, ctx in
            guard let id = ctx.parameters.get("id", as: Int64.self), let (a, plan, status, region, _) = try await database.first(S.Account(id: id)) else { return nil }
            let history = try await database.rows(S.ScoreHistory(accountID: id))
            let components = try await database.rows(S.LatestComponents(accountID: id))
            let predictions = try await database.rows(S.Predictions(accountID: id))
            let interventions = try await database.rows(S.Interventions(accountID: id))
            return (a.name, 0, { _ in Pages.account(a, plan: plan, status: status, region: region, history: history, components: components,
                                                 predictions: predictions, interventions: interventions) })
        }
        page(router, "/reports") { _, _ in
            let rows = try await ReportGenerator(database: database, logger: logger).list(limit: 200)
            return ("Reports", 0, { _ in Pages.reports(rows) })
        }
        router.get("/reports/:id") { req, ctx in
            try await self.guarded(req, needs: .viewer) { _ in
                guard let id = ctx.parameters.get("id", as: Int64.self) else { return Self.notFound(signedIn: true) }
                let stored: (document: ReportDocument, html: String, csv: [String: String])
                do { stored = try await ReportGenerator(database: database, logger: logger).stored(id: id) } catch let e as ReportError where e.code == .notFound {
                    return Self.notFound(signedIn: true)
                }
                switch req.uri.queryParameters.get("format") ?? "html" {
                case "json":
                    return Self.download(stored.document.json.serialized, type: "application/json", name: "report-\(id).json")
                case "csv":
                    let name = req.uri.queryParameters.get("table") ?? stored.document.tables.first?.name ?? ""
                    guard let body = stored.csv[name] else { return Self.notFound(signedIn: true) }
                    return Self.download(body, type: "text/csv; charset=utf-8", name: "report-\(id)-\(name).csv")
                default:
                    // The report's own page carries its stylesheet inline: styles allowed, never scripts.
                    var r = Self.html(200, stored.html)
                    r.headers[.contentSecurityPolicy] = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
                    return r
                }
            }
        }

        // The buttons (operator only, CSRF token required).
        action(router, "/jobs/:id/:verb") { verb, ctx, who in
            guard let id = ctx.parameters.get("id", as: Int64.self) else { return nil }
            let admin = QueueAdmin(database: database)
            let result: JobActionResult
            switch verb {
            case "retry": result = try await admin.retry(id: id)
            case "cancel": result = try await admin.cancel(id: id)
            case "discard": result = try await admin.discard(id: id)
            default: return nil
            }
            try await audit("operator_job_\(verb)", "job", "\(id)", who, result: "\(result)")
            return "/jobs/\(id)"
        }
        action(router, "/queues/:name/:verb") { verb, ctx, who in
            guard let name = ctx.parameters.get("name") else { return nil }
            let controls = QueueControls(database: database)
            switch verb {
            case "pause": try await controls.pause(name, by: "console:\(who.name)")
            case "resume": _ = try await controls.resume(name, by: "console:\(who.name)")
            default: return nil
            }
            try await audit("operator_queue_\(verb)", "queue", name, who)
            return "/queues"
        }
        action(router, "/schedules/:name/:verb") { verb, ctx, who in
            guard let name = ctx.parameters.get("name"), verb == "enable" || verb == "disable" else { return nil }
            try await database.execute(S.SetScheduleEnabled(name: name, enabled: verb == "enable"))
            try await audit("operator_schedule_\(verb)", "schedule", name, who)
            return "/schedules"
        }
        action(router, "/alerts/:id/:verb") { verb, ctx, who in
            guard let id = ctx.parameters.get("id", as: Int64.self), verb == "ack" else { return nil }
            _ = try await AlertBook(database: database).acknowledge(id, by: "console:\(who.name)")
            try await audit("operator_alert_ack", "alert", "\(id)", who)
            return "/alerts"
        }
        // Anything else: a 404 page, not the framework's.
        router.get("/**") { _, _ in Self.notFound(signedIn: false) }
    }

    /// An operator action: one line in the log and one entry in the audit log (ids only).
    private func audit(_ action: String, _ kind: String, _ id: String, _ who: ConsoleUser, result: String? = nil) async throws {
        var meta: Logger.Metadata = ["action": "\(action)", "subject": "\(kind) \(id)", "operator": "\(who.name)"]
        if let result { meta["result"] = "\(result)" }
        logger.notice("operator action", metadata: meta)
        try await database.execute(AuditEntry(action: action, subjectKind: kind, subjectID: id, actor: "console:\(who.name)"))
    }

    /// Segments and CSMs for the filters, read at most once a minute (a scan of every account).
    private func facets() async throws -> [(String, String)] {
        if let cached = facetCache.withLock({ c in c.flatMap { Date().timeIntervalSince($0.at) < 60 ? $0.values : nil } }) { return cached }
        let values = try await database.rows(S.Facets())
        facetCache.withLock { $0 = FacetCache(at: Date(), values: values) }
        return values
    }

    struct FacetCache: Sendable { let at: Date; let values: [(String, String)] }

    // MARK: - Route helpers

    typealias PageBody = (title: String, refresh: Int, render: @Sendable (ConsoleSessions.Session) -> String)

    /// A page any signed-in user may read; `load` returns nil for "no such thing" (404).
    private func page(_ router: Router<Context>, _ path: RouterPath, _ load: @escaping @Sendable (Request, Context) async throws -> PageBody?) {
        router.get(path) { req, ctx in
            try await self.guarded(req, needs: .viewer) { session in
                guard let p = try await load(req, ctx) else { return Self.notFound(signedIn: true) }
                return Self.html(200, Layout.page(p.title, user: session.user, csrf: session.csrf, active: Self.section(req.uri.path),
                                                  refresh: p.refresh, p.render(session)))
            }
        }
    }

    /// A button: operator only, CSRF checked; `run` returns where to go next, or nil for 404.
    private func action(_ router: Router<Context>, _ path: RouterPath, _ run: @escaping @Sendable (String, Context, ConsoleUser) async throws -> String?) {
        router.post(path) { req, ctx in
            try await self.act(req, needs: .operator) { session, _ in
                guard let verb = ctx.parameters.get("verb"), let next = try await run(verb, ctx, session.user) else { return Self.notFound(signedIn: true) }
                return Self.redirect(next)
            }
        }
    }

    /// Runs `body` for a signed-in user with at least `needs`; else a 401 or 403 page.
    func guarded(_ req: Request, needs: ConsoleRole, _ body: (ConsoleSessions.Session) async throws -> Response) async throws -> Response {
        switch sessions.find(req.cookies[Self.cookie]?.value) {
        case .unknown:
            return Self.html(401, Layout.problem(401, "Sign in", "Sign in with your console token to see this page.", signedIn: false))
        case .expired:
            return Self.html(401, Layout.problem(401, "Session expired", "Your session has expired. Sign in again.", signedIn: false))
        case .valid(let s):
            guard s.user.role >= needs else {
                return Self.html(403, Layout.problem(403, "Not allowed", "This needs the operator role; you are signed in as a viewer.", signedIn: true))
            }
            do { return try await body(s) } catch {
                logger.warning("console page failed", metadata: ["path": "\(req.uri.path)", "error": "\(error)"])
                return Self.html(500, Layout.problem(500, "Something went wrong", "The page could not be built; the error is in the server's log.", signedIn: true))
            }
        }
    }

    /// A POST: signed in with `needs`, and the form's CSRF token equal to the session's.
    func act(_ req: Request, needs: ConsoleRole, _ body: (ConsoleSessions.Session, [String: String]) async throws -> Response) async throws -> Response {
        let form = try await Self.form(req)
        return try await guarded(req, needs: needs) { s in
            guard let token = form["csrf"], ConsoleTokens.constantTimeEqual(Array(token.utf8), Array(s.csrf.utf8)) else {
                return Self.html(403, Layout.problem(403, "Form expired", "The form's security token did not match. Reload the page and try again.", signedIn: true))
            }
            return try await body(s, form)
        }
    }

    private func login(_ req: Request) async throws -> Response {
        let form = try await Self.form(req)
        guard let token = form["token"], let user = tokens.user(forToken: token) else {
            logger.notice("console sign-in refused")
            return Self.html(401, Self.loginPage(error: "That token is not recognised.", next: form["next"]))
        }
        let session = sessions.start(user)
        logger.notice("console sign-in", metadata: ["operator": "\(user.name)", "role": "\(user.role.rawValue)"])
        let next = form["next"].flatMap { $0.hasPrefix("/") && !$0.hasPrefix("//") ? $0 : nil } ?? "/queues"
        var r = Self.redirect(next)
        r.headers[.setCookie] = "\(Self.cookie)=\(session.id); Path=/; HttpOnly; SameSite=Strict"
        return r
    }

    /// The nav entry a path belongs to (`/jobs/12` → `/jobs`).
    static func section(_ path: String) -> String { "/" + (path.split(separator: "/").first.map(String.init) ?? "") }

    static func loginPage(error: String?, next: String?) -> String {
        Layout.page("Sign in", user: nil, csrf: nil, """
            <form class="login" method="post" action="/login">\(error.map { "<p class=\"note\">\(HTML.escape($0))</p>" } ?? "")
            <label for="token">Console token</label><input id="token" name="token" type="password" autocomplete="current-password" autofocus>
            <input type="hidden" name="next" value="\(HTML.escape(next ?? "/queues"))"><button type="submit" id="sign-in">Sign in</button></form>
            """)
    }

    static func jobFilter(_ req: Request) -> S.JobFilter {
        let q = req.uri.queryParameters
        func v(_ k: String) -> String? { q.get(k).flatMap { $0.isEmpty ? nil : $0 } }
        let states = ["available", "scheduled", "running", "retryable", "completed", "discarded", "cancelled"]
        var since: Date?
        if let s = v("since") {
            since = Layout.timeFormatter.date(from: s) ?? Layout.timeFormatter.date(from: s + ":00Z") ?? Layout.timeFormatter.date(from: s + "Z")
        }
        return S.JobFilter(state: v("state").flatMap { states.contains($0) ? $0 : nil }, kind: v("kind"), queue: v("queue"), since: since,
                           before: v("before").flatMap { Int64($0) })
    }

    // MARK: - Responses

    /// No inline script or style, no frames, forms only to the console, no sniffing, no caching.
    static func secured(_ response: Response) -> Response {
        var r = response
        r.headers[.contentSecurityPolicy] = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        r.headers[.xContentTypeOptions] = "nosniff"
        r.headers[.cacheControl] = "no-store"
        return r
    }

    static func html(_ status: Int, _ body: String) -> Response {
        secured(Response(status: .init(code: status), headers: [.contentType: "text/html; charset=utf-8"],
                         body: ResponseBody(byteBuffer: ByteBuffer(string: body))))
    }

    static func notFound(signedIn: Bool) -> Response {
        html(404, Layout.problem(404, "Not found", "There is no such page or record.", signedIn: signedIn))
    }

    static func redirect(_ to: String) -> Response {
        Response(status: .seeOther, headers: [.location: to, .cacheControl: "no-store"])
    }

    static func asset(_ text: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "max-age=300", .xContentTypeOptions: "nosniff"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func download(_ text: String, type: String, name: String) -> Response {
        secured(Response(status: .ok, headers: [.contentType: type, .contentDisposition: "attachment; filename=\"\(name)\""],
                         body: ResponseBody(byteBuffer: ByteBuffer(string: text))))
    }

    /// An application/x-www-form-urlencoded body (at most 64 KiB).
    static func form(_ req: Request) async throws -> [String: String] {
        let buffer = try await req.body.collect(upTo: 64 * 1024)
        let text = String(buffer: buffer)
        var out: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1).map { String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            if let k = kv.first { out[k] = kv.count > 1 ? kv[1] : "" }
        }
        return out
    }
}
