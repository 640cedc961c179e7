// Pages: the HTML of each console page from what its statements read. Pure functions of
// their input, so the tests can render them without a server.
import Basics
import Foundation
import Monitoring
import Reports

enum Pages {
    typealias S = ConsoleStatements
    static let e = Layout.e

    // MARK: Queues

    static func queues(rows: [S.QueueRow], throughput: [(queue: String, minute: Double, completed: Int, failed: Int)],
                       paused: [String], canOperate: Bool, csrf: String) -> String {
        var byQueueKind: [String: [String: [String: Int]]] = [:]
        var oldest: [String: Double] = [:]
        var queues = Set(paused)
        for r in rows {
            byQueueKind[r.queue, default: [:]][r.kind, default: [:]][r.state] = r.count
            queues.insert(r.queue)
            if let o = r.oldestSeconds { oldest[r.queue] = max(oldest[r.queue] ?? 0, o) }
        }
        for t in throughput { queues.insert(t.queue) }
        var body = ""
        for q in queues.sorted() {
            let isPaused = paused.contains(q)
            body += "<h2>Queue \(e(q)) \(isPaused ? "<span class=\"paused\">PAUSED</span>" : "")</h2><p>"
            body += "oldest ready: \(oldest[q].map { Layout.ago($0) } ?? "—") "
            if canOperate {
                body += Layout.form("/queues/\(q)/\(isPaused ? "resume" : "pause")", csrf: csrf, label: isPaused ? "Resume" : "Pause",
                                    style: isPaused ? "button" : "button danger")
            }
            body += "</p>"
            let kinds = byQueueKind[q] ?? [:]
            body += Layout.table(["kind", "available", "scheduled", "running", "retryable"], kinds.keys.sorted().map { k in
                let c = kinds[k] ?? [:]
                return [Layout.link("/jobs?queue=\(q)&kind=\(k)", k)] + ["available", "scheduled", "running", "retryable"].map {
                    "\(c[$0] ?? 0)"
                }
            }, numeric: [1, 2, 3, 4])
            // Completions per minute over the last hour, one point a minute (0 where none).
            let now = (Date().timeIntervalSince1970 / 60).rounded(.down) * 60
            var done = [Double?](repeating: 0, count: 60), failed = [Double?](repeating: 0, count: 60)
            for t in throughput where t.queue == q {
                let i = 59 - Int((now - t.minute) / 60)
                if (0..<60).contains(i) { done[i] = Double(t.completed); failed[i] = Double(t.failed) }
            }
            let labels = (0..<60).map { i in i % 10 == 0 ? "-\(60 - i) min" : "" }
            body += "<figure><figcaption>Jobs finished per minute, last hour</figcaption>"
            body += SVGChart.line(title: "Jobs finished per minute in \(q)", labels: labels,
                                  series: [ChartSeries(name: "completed", values: done), ChartSeries(name: "discarded or cancelled", values: failed)],
                                  format: { String(format: "%.0f", $0) })
            body += "</figure>"
        }
        if queues.isEmpty { body = "<p class=\"empty\">No queue has live jobs.</p>" }
        return body
    }

    // MARK: Jobs

    static func jobs(_ rows: [S.JobRow], filter: S.JobFilter, pageSize: Int) -> String {
        var body = "<form class=\"filters\" method=\"get\" action=\"/jobs\">"
        body += "<label>state <select name=\"state\"><option value=\"\">any</option>"
        for s in ["available", "scheduled", "running", "retryable", "completed", "discarded", "cancelled"] {
            body += "<option\(filter.state == s ? " selected" : "")>\(s)</option>"
        }
        body += "</select></label>"
        body += "<label>kind <input name=\"kind\" value=\"\(e(filter.kind))\" size=\"14\"></label>"
        body += "<label>queue <input name=\"queue\" value=\"\(e(filter.queue))\" size=\"10\"></label>"
        body += "<label>since <input name=\"since\" type=\"datetime-local\" value=\"\(filter.since.map { e(String(Layout.timeFormatter.string(from: $0).dropLast(4))) } ?? "")\"></label>"
        body += "<button type=\"submit\">Filter</button></form>"
        body += Layout.table(["id", "queue", "kind", "state", "attempt", "created", "finished", "last error"], rows.map { j in
            [Layout.link("/jobs/\(j.id)", "\(j.id)"), e(j.queue), e(j.kind), e(j.state), "\(j.attempt)/\(j.maxAttempts)",
             Layout.time(j.createdAt), Layout.time(j.finalizedAt), e(j.lastError)]
        })
        if rows.count == pageSize, let last = rows.last {
            var q = filter
            q.before = last.id
            body += "<p>" + Layout.link("/jobs?" + query(q), "Older →") + "</p>"
        }
        return body
    }

    static func query(_ f: S.JobFilter) -> String {
        var parts: [String] = []
        func add(_ k: String, _ v: String?) {
            if let v, !v.isEmpty { parts.append("\(k)=\(v.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")") }
        }
        add("state", f.state); add("kind", f.kind); add("queue", f.queue)
        add("since", f.since.map { Layout.timeFormatter.string(from: $0) }); add("before", f.before.map { "\($0)" })
        return parts.joined(separator: "&")
    }

    static func job(_ j: S.JobDetail, canOperate: Bool, csrf: String) -> String {
        var body = "<div class=\"cards\">"
        for (l, v) in [("state", j.row.state), ("kind", j.row.kind), ("queue", j.row.queue), ("attempt", "\(j.row.attempt) of \(j.row.maxAttempts)"),
                       ("priority", "\(j.priority)")] {
            body += "<div class=\"card\"><div class=\"v\">\(e(v))</div><div class=\"l\">\(l)</div></div>"
        }
        body += "</div>"
        if canOperate {
            body += "<p>"
            if ["retryable", "discarded", "cancelled", "completed"].contains(j.row.state) {
                body += Layout.form("/jobs/\(j.row.id)/retry", csrf: csrf, label: "Retry") + " "
            }
            if ["available", "scheduled", "retryable", "running"].contains(j.row.state) {
                body += Layout.form("/jobs/\(j.row.id)/cancel", csrf: csrf, label: "Cancel", style: "button danger") + " "
                body += Layout.form("/jobs/\(j.row.id)/discard", csrf: csrf, label: "Discard", style: "button danger")
            }
            body += "</p>"
        }
        body += Layout.table(["created", "run at", "attempted", "finished", "worker", "unique key"], [[
            Layout.time(j.row.createdAt), Layout.time(j.runAt), Layout.time(j.row.attemptedAt), Layout.time(j.row.finalizedAt),
            e(j.workerID), e(j.uniqueKey)]])
        body += "<h2>Arguments (personal data redacted)</h2><pre>\(e(ArgsRedactor.redact(j.args)))</pre>"
        if let r = j.result { body += "<h2>Result</h2><pre>\(e(r))</pre>" }
        body += "<h2>Attempts</h2><p>workers, oldest first: \(e(j.attemptedBy.joined(separator: ", ")))</p>"
        let errors = (try? JSONValue.parse(Array(j.errors.utf8))).flatMap { v -> [JSONValue]? in
            if case .array(let a) = v { return a }
            return nil
        } ?? []
        body += "<h2>Errors</h2>" + Layout.table(["attempt", "at", "worker", "error"], errors.map { x in
            [e(x["attempt"]?.doubleValue.map { "\(Int($0))" }), e(x["at"]?.stringValue), e(x["worker"]?.stringValue), e(x["error"]?.stringValue)]
        })
        return body
    }

    // MARK: Workers, schedules, deliveries, alerts

    static func workers(_ rows: [S.WorkerRow]) -> String {
        Layout.table(["worker", "host", "pid", "queues", "concurrency", "running", "heartbeat", "leader"], rows.map { w in
            [e(w.id), e(w.host), "\(w.pid)", e(w.queues.joined(separator: ", ")), "\(w.concurrency)", "\(w.running)",
             Layout.ago(w.heartbeatAge) + " ago", w.leader ? "<strong>leader</strong>" : ""]
        }, numeric: [2, 4, 5])
    }

    static func schedules(_ rows: [S.ScheduleRow], canOperate: Bool, csrf: String) -> String {
        Layout.table(["name", "cron", "zone", "kind", "queue", "next slot", "last run", "state", ""], rows.map { s in
            [e(s.name), "<code>\(e(s.cron))</code>", e(s.timezone), e(s.kind), e(s.queue), Layout.time(s.nextSlot), Layout.time(s.lastSlot),
             s.enabled ? "enabled" : "<span class=\"paused\">disabled</span>" + (s.lastError.map { " — \(e($0))" } ?? ""),
             canOperate ? Layout.form("/schedules/\(s.name)/\(s.enabled ? "disable" : "enable")", csrf: csrf, label: s.enabled ? "Disable" : "Enable") : ""]
        })
    }

    static func deliveries(_ counts: [S.DeliveryCount], _ failures: [S.DeliveryFailure]) -> String {
        var body = "<h2>Last 24 hours by channel</h2>"
        body += Layout.table(["channel", "type", "status", "count"], counts.map { [e($0.channel), e($0.type), e($0.status), "\($0.count)"] }, numeric: [3])
        body += "<h2>Failing (the provider's reason; never bodies or recipients)</h2>"
        body += Layout.table(["delivery", "channel", "status", "attempts", "updated", "reason"], failures.map { f in
            ["\(f.id)", e(f.channel), e(f.status), "\(f.attempts)", Layout.time(f.updatedAt), e(f.lastError)]
        })
        return body
    }

    static func alerts(_ rows: [AlertRow], canOperate: Bool, csrf: String) -> String {
        Layout.table(["id", "severity", "state", "check", "subject", "tier", "opened", "message", ""], rows.map { a in
            ["\(a.id)", a.severity == "critical" ? "<span class=\"band-red\">critical</span>" : "<span class=\"band-yellow\">warning</span>",
             e(a.state), e(a.check), e(a.subject), "\(a.tier)", Layout.time(a.openedAt), e(a.message),
             canOperate && a.state == "open" ? Layout.form("/alerts/\(a.id)/ack", csrf: csrf, label: "Acknowledge") : e(a.acknowledgedBy)]
        })
    }

    // MARK: Accounts

    static func accounts(_ rows: [S.AccountRow], facets: [(String, String)], segment: String?, csm: String?,
                         sort: S.AccountSort, bands: [String]) -> String {
        var body = "<form class=\"filters\" method=\"get\" action=\"/accounts\">"
        body += "<label>segment <select name=\"segment\"><option value=\"\">any</option>"
        for (_, v) in facets.filter({ $0.0 == "segment" }) { body += "<option\(segment == v ? " selected" : "")>\(e(v))</option>" }
        body += "</select></label><label>CSM <select name=\"csm\"><option value=\"\">any</option>"
        for (_, v) in facets.filter({ $0.0 == "csm" }) { body += "<option\(csm == v ? " selected" : "")>\(e(v))</option>" }
        body += "</select></label><label>bands <select name=\"bands\">"
        for (v, l) in [("red,yellow", "red and yellow"), ("red", "red"), ("red,yellow,green", "all")] {
            body += "<option value=\"\(v)\"\(bands.joined(separator: ",") == v ? " selected" : "")>\(l)</option>"
        }
        body += "</select></label><input type=\"hidden\" name=\"sort\" value=\"\(sort.rawValue)\"><button type=\"submit\">Filter</button></form>"
        func sortLink(_ s: S.AccountSort, _ label: String) -> String {
            var q = "sort=\(s.rawValue)&bands=\(bands.joined(separator: ","))"
            if let segment { q += "&segment=\(segment.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
            if let csm { q += "&csm=\(csm.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
            return s == sort ? "<strong>\(label) ▾</strong>" : Layout.link("/accounts?" + q, label)
        }
        let header = ["account", "segment", "CSM", sortLink(.band, "band"), sortLink(.score, "score"), "trend", sortLink(.churn, "churn risk"),
                      sortLink(.mrr, "MRR"), sortLink(.renewal, "renewal")]
        var s = "<div class=\"table-wrap\"><table><thead><tr>" + header.map { "<th>\($0)</th>" }.joined() + "</tr></thead><tbody>"
        for a in rows {
            s += "<tr><td>" + Layout.link("/accounts/\(a.id)", a.name) + "</td><td>\(e(a.segment))</td><td>\(e(a.csm))</td>"
            s += "<td class=\"band-\(e(a.band))\">\(e(a.band))</td><td class=\"num\">\(String(format: "%.1f", a.score))</td>"
            s += "<td class=\"num\">\(a.trend.map { String(format: "%+.1f", $0) } ?? "")</td>"
            s += "<td class=\"num\">\(a.churn.map { String(format: "%.0f%%", $0 * 100) } ?? "—")</td>"
            s += "<td class=\"num\">\(String(format: "%.2f", a.mrr)) \(e(a.currency))</td><td>\(e(a.renewal))</td></tr>"
        }
        s += "</tbody></table></div>"
        return body + (rows.isEmpty ? "<p class=\"empty\">No account matches.</p>" : s)
    }

    static func account(_ a: S.AccountRow, plan: String, status: String, region: String?, history: [(String, Double)],
                        components: [(components: String, at: Date, score: Double, previous: Double?)],
                        predictions: [(at: Date, probability: Double, factors: String, model: Int64?)],
                        interventions: [(at: Date, rule: String, reason: String, channel: String, band: String?, outcome: String?, outcomeAt: Date?, arm: String?)]) -> String {
        var body = "<div class=\"cards\">"
        for (l, v, cls) in [("health score", a.band == "unscored" ? "—" : String(format: "%.1f", a.score), "band-\(a.band)"), ("band", a.band, "band-\(a.band)"),
                            ("churn risk", a.churn.map { String(format: "%.0f%%", $0 * 100) } ?? "—", ""),
                            ("MRR", String(format: "%.2f %@", a.mrr, a.currency), ""), ("renewal", a.renewal ?? "—", ""),
                            ("plan", plan, ""), ("status", status, ""), ("segment", a.segment ?? "—", ""), ("CSM", a.csm ?? "—", ""),
                            ("region", region ?? "—", "")] {
            body += "<div class=\"card\"><div class=\"v \(cls)\">\(e(v))</div><div class=\"l\">\(l)</div></div>"
        }
        body += "</div><figure id=\"score-history\"><figcaption>Health score history</figcaption>"
        // At most about six dates under the axis (month-day), so they never run together.
        let step = max(1, (history.count + 5) / 6)
        let labels = history.enumerated().map { i, h in i % step == 0 ? String(h.0.dropFirst(5)) : "" }
        body += SVGChart.line(title: "Health score of \(a.name)", labels: labels, series: [ChartSeries(name: "score", values: history.map { $0.1 })],
                              format: { String(format: "%.0f", $0) })
        body += "</figure>"
        if let latest = components.first {
            let now = parseComponents(latest.components), before = components.count > 1 ? parseComponents(components[1].components) : [:]
            body += "<h2>Why: the latest score's components (\(Layout.time(latest.at)))</h2>"
            body += Layout.table(["component", "measure", "score", "weight", "what moved"], now.keys.sorted().map { k in
                let c = now[k] ?? [:], p = before[k]
                let moved = p.flatMap { $0["score"] }.map { old in (c["score"] ?? 0) - old }.map { String(format: "%+.1f", $0) } ?? ""
                return [e(k), c["raw"].map { String(format: "%.2f", $0) } ?? "missing", String(format: "%.1f", c["score"] ?? 0),
                        String(format: "%.2f", c["effective_weight"] ?? c["weight"] ?? 0), moved]
            }, numeric: [1, 2, 3, 4])
        }
        body += "<h2>Churn predictions</h2>"
        body += Layout.table(["predicted", "probability", "model", "top factors"], predictions.map { p in
            [Layout.time(p.at), String(format: "%.1f%%", p.probability * 100), p.model.map { "#\($0)" } ?? "",
             e(factors(p.factors))]
        })
        body += "<h2>Interventions</h2>"
        body += Layout.table(["raised", "rule", "reason", "channel", "band", "arm", "outcome"], interventions.map { i in
            [Layout.time(i.at), e(i.rule), e(i.reason), e(i.channel), e(i.band), e(i.arm), e(i.outcome.map { "\($0) (\(Layout.time(i.outcomeAt)))" } ?? "open")]
        })
        return body
    }

    static func parseComponents(_ json: String) -> [String: [String: Double]] {
        guard let o = (try? JSONValue.parse(Array(json.utf8)))?.objectValue else { return [:] }
        var out: [String: [String: Double]] = [:]
        for (k, v) in o {
            var m: [String: Double] = [:]
            for (f, x) in v.objectValue ?? [:] { if let d = x.doubleValue { m[f] = d } }
            out[k] = m
        }
        return out
    }

    static func factors(_ json: String) -> String {
        guard case .array(let a)? = try? JSONValue.parse(Array(json.utf8)) else { return "" }
        return a.prefix(4).compactMap { f in
            guard let n = f["name"]?.stringValue, let v = f["value"]?.doubleValue else { return nil }
            return String(format: "%@ %+.2f", n, v)
        }.joined(separator: ", ")
    }

    // MARK: Reports

    static func reports(_ rows: [StoredReport]) -> String {
        Layout.table(["report", "parameters", "period", "generated", "download"], rows.map { r in
            [Layout.link("/reports/\(r.id)", r.kind?.rawValue ?? "report \(r.id)"), e(r.parametersJSON == "{}" ? "" : r.parametersJSON),
             e("\(r.from) … \(r.to)"), Layout.time(r.generatedAt),
             Layout.link("/reports/\(r.id)?format=json", "JSON") + " · " + Layout.link("/reports/\(r.id)?format=csv", "CSV")]
        })
    }
}
