// ReportGenerator: computes a report in PostgreSQL (on the replica when there is one),
// renders it, stores it in cs.reports on the primary and optionally announces it.
import Basics
import Foundation
import Logging
import PG

/// What to generate.
public struct ReportRequest: Sendable {
    public var kind: ReportKind
    public var period: ReportPeriod
    /// Kind-specific parameters (`ReportKind.parameterNames`), validated by `init`.
    public var parameters: [String: JSONValue]
    /// A cs.channels name to send the report to once stored (email: the HTML as body;
    /// Slack: the headline figures and where to find it).
    public var channel: String?
    /// The email recipient for `channel`.
    public var recipient: String?

    public init(kind: ReportKind, period: ReportPeriod? = nil, parameters: [String: JSONValue] = [:],
                channel: String? = nil, recipient: String? = nil, now: Date = Date()) throws {
        self.kind = kind
        self.period = period ?? ReportPeriod.defaultPeriod(for: kind, now: now)
        self.channel = channel
        self.recipient = recipient
        for (key, value) in parameters {
            guard kind.parameterNames.contains(key) else {
                throw ReportError.invalidParameter("\(kind.rawValue) takes \(kind.parameterNames.joined(separator: ", ")), not '\(key)'")
            }
            try Self.check(key, value)
        }
        self.parameters = parameters.filter { $0.value != .null }
    }

    /// A request as the CLI's flags and the `generate_report` job's arguments give it: a
    /// kind's name, `period` or `from` and `to` (or neither: the kind's default), parameters.
    public init(kindName: String, period: String?, from: String?, to: String?, parameters: ReportParameters,
                channel: String? = nil, recipient: String? = nil, now: Date = Date()) throws {
        guard let kind = ReportKind(rawValue: kindName) else {
            throw ReportError(.unknownKind, "unknown report '\(kindName)'; one of \(ReportKind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        try self.init(kind: kind, period: try ReportParameters.period(period: period, from: from, to: to),
                      parameters: parameters.values, channel: channel, recipient: recipient, now: now)
    }

    /// Each parameter's type and range, so SQL never sees a value it would reject late.
    static func check(_ key: String, _ value: JSONValue) throws {
        func fail(_ why: String) -> ReportError { ReportError.invalidParameter("\(key): \(why)") }
        switch key {
        case "segment":
            guard let s = value.stringValue, !s.isEmpty, s.count <= 100 else { throw fail("a segment name of 1…100 characters") }
        case "cac", "cost_per_intervention":
            guard let n = value.doubleValue, n >= 0, n < 1e9 else { throw fail("an amount ≥ 0 in the reporting currency") }
        case "gross_margin":
            guard let n = value.doubleValue, n > 0, n <= 1 else { throw fail("a fraction in (0, 1], e.g. 0.8") }
        case "horizon_months":
            guard let n = value.doubleValue, n == n.rounded(), (1...60).contains(n) else { throw fail("whole months 1…60") }
        case "horizon_days":
            guard let n = value.doubleValue, n == n.rounded(), (1...730).contains(n) else { throw fail("whole days 1…730") }
        case "as_of":
            guard let s = value.stringValue, ReportPeriod.day(s) != nil else { throw fail("a date YYYY-MM-DD") }
        case "run_from", "run_to":
            guard let s = value.stringValue, UUID(uuidString: s) != nil else { throw fail("a scoring run id (UUID)") }
        default:
            throw fail("unknown parameter")
        }
    }

    var parametersJSON: String { JSONValue.object(parameters).serialized }
}

/// A generated and stored report.
public struct GeneratedReport: Sendable {
    public let id: Int64
    public let document: ReportDocument
    public let html: String
    /// CSV text per table name.
    public let csv: [String: String]
    public let seconds: Double
    /// The delivery queued for the request's channel, if any.
    public let deliveryID: Int64?
}

public struct ReportGenerator: Sendable {
    /// Where figures are read: the primary, or a replica (`CS_REPLICA_URL`).
    public let reader: Database
    /// Where cs.reports rows and deliveries are written: always the primary.
    public let writer: Database
    public let logger: Logger

    public init(reader: Database, writer: Database, logger: Logger) {
        self.reader = reader
        self.writer = writer
        self.logger = logger
    }

    public init(database: Database, logger: Logger) { self.init(reader: database, writer: database, logger: logger) }

    /// Computes and renders a report without storing it.
    public func compute(_ request: ReportRequest) async throws -> (document: ReportDocument, html: String, csv: [String: String]) {
        let text = try await reader.one(ReportStatements.Compute(kind: request.kind, period: request.period, parametersJSON: request.parametersJSON))
        let document = try ReportDocument(json: try JSONValue.parse(Array(text.utf8)))
        return (document, HTMLReport.render(document), CSVReport.tables(document))
    }

    /// Computes, renders and stores a report (replacing one of the same kind, period and
    /// parameters); queues its announcement when the request names a channel.
    public func generate(_ request: ReportRequest, jobID: Int64? = nil) async throws -> GeneratedReport {
        let started = ContinuousClock.now
        let (document, html, csv) = try await compute(request)
        let csvJSON = JSONValue.object(csv.mapValues { .string($0) }).serialized
        let (id, deliveryID) = try await writer.transaction { conn -> (Int64, Int64?) in
            let id = try await conn.one(ReportStatements.Save(
                kind: request.kind, period: request.period, parametersJSON: request.parametersJSON,
                documentJSON: document.json.serialized, html: html, csvJSON: csvJSON, jobID: jobID))
            guard let channel = request.channel else { return (id, nil) }
            let key = "report:\(id):" + (jobID.map { "job:\($0)" } ?? UUID().uuidString)
            let delivery = try await conn.first(ReportStatements.Announce(
                channel: channel, recipient: request.recipient, subject: Self.subject(document),
                text: Self.announcement(document, id: id), html: html, idempotencyKey: key))
            guard let delivery else {
                throw ReportError(.notFound, "channel '\(channel)' does not exist or is disabled; the report was not stored")
            }
            return (id, delivery)
        }
        let seconds = (ContinuousClock.now - started).seconds
        logger.notice("report generated", metadata: [
            "kind": "\(request.kind.rawValue)", "period": "\(request.period)", "report_id": "\(id)",
            "seconds": "\(String(format: "%.3f", seconds))",
        ])
        return GeneratedReport(id: id, document: document, html: html, csv: csv, seconds: seconds, deliveryID: deliveryID)
    }

    /// A stored report's document, HTML and CSV tables.
    public func stored(id: Int64) async throws -> (document: ReportDocument, html: String, csv: [String: String]) {
        guard let row = try await writer.first(ReportStatements.Fetch(id: id)) else {
            throw ReportError(.notFound, "no report \(id) in cs.reports")
        }
        let document = try ReportDocument(json: try JSONValue.parse(Array(row.document.utf8)))
        var csv: [String: String] = [:]
        if case .object(let o)? = try? JSONValue.parse(Array(row.csv.utf8)) {
            for (k, v) in o { if let s = v.stringValue { csv[k] = s } }
        }
        return (document, row.html, csv)
    }

    /// The newest stored reports.
    public func list(limit: Int = 50) async throws -> [StoredReport] {
        try await writer.rows(ReportStatements.List(limit: max(1, min(limit, 1000))))
    }

    static func subject(_ doc: ReportDocument) -> String { "\(doc.title) · \(HTMLReport.periodText(doc))" }

    /// The plain-text message: headline figures, then where the full report is.
    static func announcement(_ doc: ReportDocument, id: Int64) -> String {
        let f = ValueFormat(currency: doc.currency)
        var lines = ["\(doc.title), \(HTMLReport.periodText(doc))"]
        for fig in doc.headline { lines.append("• \(fig.label): \(f.text(fig.value, fig.type))") }
        lines.append("Full report: cs-worker report show \(id) --format html --out report-\(id).html")
        return lines.joined(separator: "\n")
    }
}

/// The optional parameters of every kind as typed fields: the CLI's flags and the
/// `generate_report` job's arguments are both this shape.
public struct ReportParameters: Sendable, Codable, Equatable {
    public var segment: String?
    public var cac: Double?
    public var grossMargin: Double?
    public var costPerIntervention: Double?
    public var horizonMonths: Int?
    public var horizonDays: Int?
    public var asOf: String?
    public var runFrom: String?
    public var runTo: String?

    public init(segment: String? = nil, cac: Double? = nil, grossMargin: Double? = nil, costPerIntervention: Double? = nil,
                horizonMonths: Int? = nil, horizonDays: Int? = nil, asOf: String? = nil, runFrom: String? = nil, runTo: String? = nil) {
        self.segment = segment; self.cac = cac; self.grossMargin = grossMargin; self.costPerIntervention = costPerIntervention
        self.horizonMonths = horizonMonths; self.horizonDays = horizonDays; self.asOf = asOf; self.runFrom = runFrom; self.runTo = runTo
    }

    /// The set ones, by their SQL names.
    public var values: [String: JSONValue] {
        var v: [String: JSONValue] = [:]
        if let segment { v["segment"] = .string(segment) }
        if let cac { v["cac"] = .number(cac) }
        if let grossMargin { v["gross_margin"] = .number(grossMargin) }
        if let costPerIntervention { v["cost_per_intervention"] = .number(costPerIntervention) }
        if let horizonMonths { v["horizon_months"] = .number(Double(horizonMonths)) }
        if let horizonDays { v["horizon_days"] = .number(Double(horizonDays)) }
        if let asOf { v["as_of"] = .string(asOf) }
        if let runFrom { v["run_from"] = .string(runFrom) }
        if let runTo { v["run_to"] = .string(runTo) }
        return v
    }

    /// The period from `--period`, or `--from` and `--to` together, or nil for the kind's default.
    public static func period(period: String?, from: String?, to: String?) throws -> ReportPeriod? {
        switch (period, from, to) {
        case (nil, nil, nil): return nil
        case (let p?, nil, nil): return try ReportPeriod(period: p)
        case (nil, let f?, let t?): return try ReportPeriod(from: f, to: t)
        case (nil, _, _): throw ReportError.invalidPeriod("give --from and --to together (or --period)")
        default: throw ReportError.invalidPeriod("give either --period or --from/--to, not both")
        }
    }
}
