// Layout: the console's page shell, its stylesheet and script (served from /console.css and
// /console.js so the Content-Security-Policy allows nothing inline), and small HTML helpers.
// Every value goes through `HTML.escape`.
import Basics
import Foundation
import Reports

enum Layout {
    static let nav: [(path: String, label: String)] = [
        ("/queues", "Queues"), ("/jobs", "Jobs"), ("/workers", "Workers"), ("/schedules", "Schedules"),
        ("/deliveries", "Deliveries"), ("/alerts", "Alerts"), ("/accounts", "Accounts at risk"), ("/reports", "Reports"),
    ]

    /// A whole page. `refresh` > 0 reloads it every so many seconds (console.js).
    static func page(_ title: String, user: ConsoleUser?, csrf: String?, active: String = "", refresh: Int = 0, _ body: String) -> String {
        var links = ""
        if user != nil {
            for item in nav {
                links += "<a href=\"\(item.path)\"\(item.path == active ? " class=\"on\"" : "")>\(HTML.escape(item.label))</a>"
            }
        }
        var who = ""
        if let user, let csrf {
            who = "<span class=\"who\">\(HTML.escape(user.name)) · \(user.role.rawValue)</span>"
                + form("/logout", csrf: csrf, label: "Sign out", style: "link")
        }
        return """
            <!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
            <title>\(HTML.escape(title)) · cs-worker</title><link rel="stylesheet" href="/console.css"><script src="/console.js" defer></script>
            </head><body data-refresh="\(refresh)"><header><a class="brand" href="/queues">cs-worker</a><nav>\(links)</nav>\(who)</header>
            <main><h1>\(HTML.escape(title))</h1>\(body)</main></body></html>
            """
    }

    /// A POST button with the session's CSRF token.
    static func form(_ action: String, csrf: String, label: String, style: String = "button") -> String {
        "<form method=\"post\" action=\"\(HTML.escape(action))\" class=\"inline\"><input type=\"hidden\" name=\"csrf\" value=\"\(HTML.escape(csrf))\">"
            + "<button type=\"submit\" class=\"\(style)\">\(HTML.escape(label))</button></form>"
    }

    static func table(_ header: [String], _ rows: [[String]], numeric: Set<Int> = []) -> String {
        guard !rows.isEmpty else { return "<p class=\"empty\">Nothing here.</p>" }
        var s = "<div class=\"table-wrap\"><table><thead><tr>"
        for (i, h) in header.enumerated() { s += "<th\(numeric.contains(i) ? " class=\"num\"" : "")>\(HTML.escape(h))</th>" }
        s += "</tr></thead><tbody>"
        // Cells are HTML already (escaped by the caller): links and buttons live in them.
        for r in rows {
            s += "<tr>" + r.enumerated().map { i, c in "<td\(numeric.contains(i) ? " class=\"num\"" : "")>\(c)</td>" }.joined() + "</tr>"
        }
        return s + "</tbody></table></div>"
    }

    static func e(_ s: String?) -> String { HTML.escape(s ?? "") }

    static func time(_ d: Date?) -> String {
        guard let d else { return "" }
        return HTML.escape(timeFormatter.string(from: d))
    }

    static func ago(_ seconds: Double?) -> String {
        guard let s = seconds else { return "" }
        if s < 120 { return String(format: "%.0f s", s) }
        if s < 7200 { return String(format: "%.0f min", s / 60) }
        return String(format: "%.1f h", s / 3600)
    }

    static func link(_ path: String, _ text: String) -> String { "<a href=\"\(HTML.escape(path))\">\(HTML.escape(text))</a>" }

    nonisolated(unsafe) static let timeFormatter: ISO8601DateFormatter = {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime]
        return f
    }()

    /// An error page body: what happened and where to go, nothing more.
    static func problem(_ status: Int, _ title: String, _ detail: String, signedIn: Bool) -> String {
        page(title, user: nil, csrf: nil, "<p class=\"note\">\(HTML.escape(detail))</p><p>"
             + (signedIn ? link("/queues", "Back to the console") : link("/login", "Sign in")) + "</p><p class=\"muted\">HTTP \(status)</p>")
    }

    static let script = """
        (function(){var s=parseInt(document.body.dataset.refresh||"0",10);if(s>0){setTimeout(function(){location.reload();},s*1000);}})();
        """

    static let css = """
        :root{color-scheme:light;--ink:#111827;--muted:#6b7280;--line:#e5e7eb;--accent:#2563eb;--red:#dc2626;--yellow:#d97706;--green:#16a34a}
        *{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--ink);background:#f9fafb}
        header{display:flex;gap:16px;align-items:center;padding:8px 16px;background:#111827;color:#fff;flex-wrap:wrap}
        header a{color:#d1d5db;text-decoration:none;margin-right:12px}header a.on,header a:hover{color:#fff}.brand{font-weight:700;color:#fff}
        .who{margin-left:auto;color:#9ca3af}main{max-width:1200px;margin:0 auto;padding:16px}h1{font-size:22px;margin:8px 0 12px}h2{font-size:16px;margin:24px 0 8px}
        .table-wrap{overflow-x:auto;border:1px solid var(--line);border-radius:6px;background:#fff}table{border-collapse:collapse;width:100%}
        th,td{padding:5px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}th{background:#f3f4f6}.num{text-align:right;font-variant-numeric:tabular-nums}
        .empty,.muted{color:var(--muted)}.note{background:#fffbeb;border:1px solid #fde68a;padding:8px 12px;border-radius:6px}
        form.inline{display:inline}button{font:inherit;padding:3px 10px;border:1px solid #9ca3af;border-radius:4px;background:#fff;cursor:pointer}
        button.link{border:0;background:none;color:#d1d5db;padding:0}button.danger{border-color:var(--red);color:var(--red)}
        .band-red{color:var(--red);font-weight:600}.band-yellow{color:var(--yellow);font-weight:600}.band-green{color:var(--green)}
        .paused{color:var(--red);font-weight:600}.filters{margin:0 0 12px}.filters label{margin-right:10px}
        pre{background:#f3f4f6;padding:8px;border-radius:4px;overflow-x:auto;white-space:pre-wrap;word-break:break-word}
        .login{max-width:380px;background:#fff;border:1px solid var(--line);padding:16px;border-radius:8px}.login input{width:100%;padding:6px;margin:6px 0 12px}
        figure{margin:8px 0 12px;background:#fff;border:1px solid var(--line);border-radius:6px;padding:8px}figcaption{font-weight:600}
        svg.chart{width:100%;height:auto;max-height:320px;display:block}svg .tick,svg .legend,svg .cell-label{font-size:11px;fill:#374151}
        svg .axis-title{font-size:12px;fill:#374151}svg .no-data{font-size:14px;fill:var(--muted)}
        .cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:8px;margin:8px 0}.card{background:#fff;border:1px solid var(--line);border-radius:6px;padding:8px}
        .card .v{font-size:20px;font-weight:650}.card .l{color:var(--muted);font-size:12px}
        """
}

/// Job arguments as the console shows them: personal data redacted. Values under keys that
/// name a person or a message, and any string that looks like an e-mail address or a phone
/// number, become "[redacted]"; ids, kinds, periods and flags stay.
enum ArgsRedactor {
    static let personalKeys = ["email", "phone", "name", "recipient", "to", "cc", "bcc", "address", "body", "text", "html",
                               "subject", "message", "contact", "note"]

    static func redact(_ json: String) -> String {
        guard let value = try? JSONValue.parse(Array(json.utf8)) else { return "[unreadable]" }
        return redact(value, key: nil).serialized
    }

    static func redact(_ v: JSONValue, key: String?) -> JSONValue {
        if let key, personalKeys.contains(where: { key.lowercased().contains($0) }), !isStructural(v) { return .string("[redacted]") }
        switch v {
        case .object(let o): return .object(o.reduce(into: [:]) { $0[$1.key] = redact($1.value, key: $1.key) })
        case .array(let a): return .array(a.map { redact($0, key: key) })
        case .string(let s): return looksPersonal(s) ? .string("[redacted]") : v
        default: return v
        }
    }

    static func isStructural(_ v: JSONValue) -> Bool {
        if case .object = v { return true }
        return false
    }

    static func looksPersonal(_ s: String) -> Bool {
        if s.contains("@"), s.contains(".") { return true }
        let digits = s.filter(\.isNumber).count
        return digits >= 7 && s.allSatisfy { $0.isNumber || " +-()".contains($0) }
    }
}
