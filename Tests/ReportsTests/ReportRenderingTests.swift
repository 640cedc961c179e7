// Reports as a CS lead meets them: stored once per kind and period, HTML that a real
// browser draws (charts with their elements, not a blank page), values escaped, CSV sane.
import Basics
import Foundation
import PG
import Reports
import Testing
import TestSupport

@Suite struct ReportRenderingTests {
    @Test func reRunningTheSameReportReplacesItsRow() async throws {
        try await TestDatabase.with { tdb in
            let db = tdb.database
            try await World.build(db)
            let generator = ReportGenerator(database: db, logger: TestEnvironment.logger)
            let request = try ReportRequest(kind: .retention, period: try ReportPeriod(period: "2026-03"))
            let first = try await generator.generate(request)
            let second = try await generator.generate(request)
            #expect(first.id == second.id)
            let other = try await generator.generate(try ReportRequest(kind: .retention, period: try ReportPeriod(period: "2026-03"),
                                                                      parameters: ["segment": .string("venue")]))
            #expect(other.id != first.id, "other parameters are another report")
            #expect(try await db.query("SELECT count(*) FROM cs.reports")[0].decode(Int.self, 0) == 2)
            let stored = try await generator.stored(id: first.id)
            #expect(stored.document.kind == .retention && stored.html.hasPrefix("<!doctype html>"))
            #expect(stored.csv["monthly"]?.hasPrefix("month,customers_start,new,") == true)
        }
    }

    @Test func htmlEscapesAccountValuesAndCSVGuardsFormulas() async throws {
        try await TestDatabase.with { tdb in
            let db = tdb.database
            try await World.build(db)
            try await db.execute("UPDATE cs.accounts SET name = '<script>alert(1)</script>', renewal_date = current_date + 10 WHERE id = 1")
            try await db.execute("UPDATE cs.accounts SET name = '=HYPERLINK(\"http://x.example\")', renewal_date = current_date + 20 WHERE id = 2")
            let r = try await ReportGenerator(database: db, logger: TestEnvironment.logger)
                .compute(try ReportRequest(kind: .renewals))
            #expect(!r.html.contains("<script>"))
            #expect(r.html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
            let csv = try #require(r.csv["accounts"])
            #expect(csv.contains("\"'=HYPERLINK(\"\"http://x.example\"\")\""), "a formula-looking value is quoted and defused")
            #expect(!r.html.contains("<script") && !r.html.contains("<link") && !r.html.contains("src=") && !r.html.contains("@import"),
                    "self-contained: nothing fetched, nothing run")
        }
    }

    @Test func chromiumDrawsTheChartsOfEachKind() async throws {
        try await TestDatabase.with { tdb in
            let db = tdb.database
            try await InterventionReportTests.seed(db)
            let generator = ReportGenerator(database: db, logger: TestEnvironment.logger)
            let dir = HeadlessBrowser.artifacts
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            func page(_ kind: ReportKind, _ from: String, _ to: String) async throws -> BrowserRendering {
                let html = try await generator.compute(try ReportRequest(kind: kind, period: try ReportPeriod(from: from, to: to))).html
                let file = dir.appendingPathComponent("report-\(kind.rawValue).html")
                try Data(html.utf8).write(to: file)
                return try await HeadlessBrowser.render(file.path, screenshot: "report-\(kind.rawValue).png")
            }
            // Retention: three line charts (churn: 3 series, GRR/NRR: 2, MRR: 1), one point per month.
            let retention = try await page(.retention, "2026-01-01", "2026-07-01")
            #expect(retention.svg == 3 && retention.svgDrawn == 3, "every chart laid out with a size")
            #expect(retention.paths == 6 && retention.circles >= 6 * 12 - 12, "a line per series, points per month")
            #expect(retention.tables == 2 && retention.rows >= 12)
            #expect(retention.pngInk > 0.01 && retention.consoleErrors.isEmpty, "the page is not blank and raises nothing")
            // Cohorts: two heat maps with a cell per (cohort, month).
            let cohorts = try await page(.cohorts, "2025-06-01", "2026-05-01")
            #expect(cohorts.svg == 2 && cohorts.cells > 20)
            // Interventions: uplift bars (with an error bar).
            let interventions = try await page(.interventions, "2026-03-01", "2026-04-01")
            #expect(interventions.rects >= 1 && interventions.svgDrawn == 1)
        }
    }
}
