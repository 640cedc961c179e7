// ReportJobs: the `generate_report` job and the reports' default schedules.
import Foundation
import Logging
import PG
import Queue
import Reports

public enum ReportJobs {
    /// `{"report": "retention", "period": "2026-10"}`; or `from`/`to` dates; the kind's
    /// parameters (`segment`, `cac`, `gross_margin`, …); optional `channel` (and
    /// `recipient` for email) to send it to. No period: the kind's default (last month).
    public struct GenerateReport: JobArgs {
        public static let kind = "generate_report"
        public var report: String
        public var period: String?
        public var from: String?
        public var to: String?
        /// The kind's parameters, at the top level of the arguments like the CLI's flags.
        public var parameters = ReportParameters()
        public var channel: String?
        public var recipient: String?

        public init(report: ReportKind, period: String? = nil) { self.report = report.rawValue; self.period = period }

        enum CodingKeys: String, CodingKey { case report, period, from, to, channel, recipient }

        public init(from decoder: Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            report = try c.decode(String.self, forKey: .report)
            period = try c.decodeIfPresent(String.self, forKey: .period)
            from = try c.decodeIfPresent(String.self, forKey: .from)
            to = try c.decodeIfPresent(String.self, forKey: .to)
            channel = try c.decodeIfPresent(String.self, forKey: .channel)
            recipient = try c.decodeIfPresent(String.self, forKey: .recipient)
            parameters = try ReportParameters(from: decoder)
        }

        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(report, forKey: .report)
            try c.encodeIfPresent(period, forKey: .period)
            try c.encodeIfPresent(from, forKey: .from)
            try c.encodeIfPresent(to, forKey: .to)
            try c.encodeIfPresent(channel, forKey: .channel)
            try c.encodeIfPresent(recipient, forKey: .recipient)
            try parameters.encode(to: encoder)
        }

        public func validate() throws { _ = try request(now: Date()) }

        /// The request these arguments describe, or a `JobArgumentError` naming the field.
        public func request(now: Date) throws -> ReportRequest {
            do {
                return try ReportRequest(kindName: report, period: period, from: from, to: to, parameters: parameters,
                                         channel: channel, recipient: recipient, now: now)
            } catch let e as ReportError {
                let field = e.code == .unknownKind ? "report" : (e.code == .invalidPeriod ? "period" : "parameters")
                throw JobArgumentError(field: field, e.message)
            }
        }
    }

    /// Registers `generate_report`. `replica`, when given, is where figures are read.
    public static func register(in registry: JobRegistry, replica: Database?) {
        registry.register(GenerateReport.self, timeout: .seconds(600)) { args, ctx in
            let request = try args.request(now: Date())
            let generator = ReportGenerator(reader: replica ?? ctx.database, writer: ctx.database, logger: ctx.logger)
            do {
                _ = try await generator.generate(request, jobID: ctx.job.id)
            } catch let e as ReportError {
                throw PermanentJobError(e.description)
            }
        }
    }

    /// Retention, renewals and interventions monthly on the 1st; the model report monthly;
    /// cohorts quarterly.
    public static let defaultSchedules: [Schedule] = [
        Schedule(name: "report-retention-monthly", cron: "0 5 1 * *", kind: GenerateReport.kind, argsJSON: #"{"report": "retention"}"#, maxAttempts: 3),
        Schedule(name: "report-renewals-monthly", cron: "10 5 1 * *", kind: GenerateReport.kind, argsJSON: #"{"report": "renewals"}"#, maxAttempts: 3),
        Schedule(name: "report-interventions-monthly", cron: "20 5 1 * *", kind: GenerateReport.kind, argsJSON: #"{"report": "interventions"}"#, maxAttempts: 3),
        Schedule(name: "report-model-monthly", cron: "30 5 1 * *", kind: GenerateReport.kind, argsJSON: #"{"report": "model"}"#, maxAttempts: 3),
        Schedule(name: "report-cohorts-quarterly", cron: "40 5 1 1,4,7,10 *", kind: GenerateReport.kind, argsJSON: #"{"report": "cohorts"}"#, maxAttempts: 3),
    ]

    public static func installDefaultSchedules(_ store: ScheduleStore) async throws {
        for s in defaultSchedules { try await store.addIfMissing(s) }
    }
}
