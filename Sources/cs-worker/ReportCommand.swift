// `cs-worker report KIND | list | show ID`: generate, list and read reports.
import ArgumentParser
import Foundation
import PG
import Reports

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Generate a report (stored in cs.reports), list them, or show one.",
        discussion: ReportKind.allCases.map { "\($0.rawValue): \($0.summary)" }.joined(separator: "\n"),
        subcommands: [Generate.self, List.self, Show.self],
        defaultSubcommand: Generate.self)

    enum Format: String, ExpressibleByArgument, CaseIterable { case html, json, csv, text }

    /// How a report is printed or saved (`generate` and `show` alike).
    struct Output: ParsableArguments {
        @Option(help: "Output: html, json, csv (one table) or text.") var format: Format = .text
        @Option(help: "With --format csv: the table (default the first).") var table: String?
        @Option(help: "Write to this file instead of standard output.") var out: String?
    }

    /// Writes a report as `output` says, to its file or standard output.
    static func emit(document: ReportDocument, html: String, csv: [String: String], output: Output) throws {
        let (format, table, out) = (output.format, output.table, output.out)
        let text: String
        switch format {
        case .html: text = html
        case .json: text = document.json.serialized + "\n"
        case .text: text = ReportText.render(document)
        case .csv:
            let names = document.tables.map(\.name)
            let name = table ?? names.first ?? ""
            guard let body = csv[name] else {
                throw ValidationError("no table '\(name)' in this report; tables: \(names.joined(separator: ", "))")
            }
            text = body
        }
        if let out {
            try Data(text.utf8).write(to: URL(fileURLWithPath: out), options: .atomic)
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }

    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "generate", abstract: "Generate one report: cs-worker report retention --period 2026-10.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Report kind: \(ReportKind.allCases.map(\.rawValue).joined(separator: ", ")).") var kind: String
        @Option(help: "A month (2026-10), quarter (2026-Q3) or year (2026). Default: the last complete month (cohorts: the last 12 months).") var period: String?
        @Option(help: "Start date (YYYY-MM-DD), with --to.") var from: String?
        @Option(help: "End date, exclusive (YYYY-MM-DD), with --from.") var to: String?
        @Option(help: "Only accounts of this segment.") var segment: String?
        @Option(help: "ltv: customer acquisition cost, in the reporting currency.") var cac: Double?
        @Option(help: "ltv: gross margin as a fraction (default cs.report_settings).") var grossMargin: Double?
        @Option(help: "roi: cost per intervention (default cs.report_settings).") var costPerIntervention: Double?
        @Option(help: "roi: months of retained MRR credited (default cs.report_settings).") var horizonMonths: Int?
        @Option(help: "model: days after a prediction in which churn counts (default 90).") var horizonDays: Int?
        @Option(help: "renewals: the as-of date (default today).") var asOf: String?
        @Option(help: "health: the earlier scoring run id.") var runFrom: String?
        @Option(help: "health: the later scoring run id.") var runTo: String?
        @OptionGroup var output: Output
        @Option(help: "Send the stored report to this cs.channels channel (email: the HTML; Slack: the headline).") var channel: String?
        @Option(help: "Email recipient for --channel.") var recipient: String?
        @Flag(help: "Compute and print only; do not store it in cs.reports.") var noStore = false

        func request() throws -> ReportRequest {
            let parameters = ReportParameters(segment: segment, cac: cac, grossMargin: grossMargin, costPerIntervention: costPerIntervention,
                                              horizonMonths: horizonMonths, horizonDays: horizonDays, asOf: asOf, runFrom: runFrom, runTo: runTo)
            do {
                return try ReportRequest(kindName: kind, period: period, from: from, to: to, parameters: parameters,
                                         channel: channel, recipient: recipient)
            } catch let e as ReportError {
                throw ValidationError(e.message)
            }
        }

        func validate() throws {
            _ = try request()
            if noStore, channel != nil { throw ValidationError("--channel sends a stored report; drop --no-store") }
        }

        func run() async throws {
            let request = try request()
            let logger = global.logger()
            try await global.withDatabase(maxConnections: 2) { db in
                let replica = JobKinds.replicaDatabase(logger: logger)
                defer { if let replica { Task { await replica.close() } } }
                let generator = ReportGenerator(reader: replica ?? db, writer: db, logger: logger)
                do {
                    if noStore {
                        let r = try await generator.compute(request)
                        try ReportCommand.emit(document: r.document, html: r.html, csv: r.csv, output: output)
                    } else {
                        let r = try await generator.generate(request)
                        try ReportCommand.emit(document: r.document, html: r.html, csv: r.csv, output: output)
                        let note = "report \(r.id) stored (\(String(format: "%.2f", r.seconds)) s)" + (r.deliveryID.map { "; delivery \($0) queued" } ?? "")
                        FileHandle.standardError.write(Data((note + (output.out.map { ", written to \($0)" } ?? "") + "\n").utf8))
                    }
                } catch let e as ReportError {
                    throw CommandFailure(description: e.description)
                } catch let e as PGError where e.sqlState == "22023" {
                    throw CommandFailure(description: "report \(kind): \(e.message)")
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The newest stored reports.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "How many.") var limit: Int = 30

        func run() async throws {
            let rows = try await global.withDatabase { db in
                try await ReportGenerator(database: db, logger: global.logger()).list(limit: limit)
            }
            if rows.isEmpty { print("no reports yet: cs-worker report retention"); return }
            print("id\tkind\tperiod\tparameters\tgenerated")
            for r in rows {
                print("\(r.id)\t\(r.kind?.rawValue ?? "?")\t\(r.from)…\(r.to)\t\(r.parametersJSON)\t\(ISO8601DateFormatter().string(from: r.generatedAt))")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print or save a stored report.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Report id (cs-worker report list).") var id: Int64
        @OptionGroup var output: Output

        func run() async throws {
            do {
                let r = try await global.withDatabase { db in try await ReportGenerator(database: db, logger: global.logger()).stored(id: id) }
                try ReportCommand.emit(document: r.document, html: r.html, csv: r.csv, output: output)
            } catch let e as ReportError {
                throw CommandFailure(description: e.description)
            }
        }
    }
}
