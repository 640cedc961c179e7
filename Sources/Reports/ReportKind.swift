// ReportKind: the reports there are, and the SQL function that computes each.
import Foundation

/// One kind of report. Every figure comes from `cs.report_<kind>(from, to, params)` in
/// sql/0011_reports.sql; Swift only renders what the function returns.
public enum ReportKind: String, Sendable, CaseIterable, Codable {
    case retention, cohorts, ltv, renewals, health, interventions, roi, model

    /// The SQL function, a fixed name per case (never built from input).
    var function: String {
        switch self {
        case .retention: return "cs.report_retention"
        case .cohorts: return "cs.report_cohorts"
        case .ltv: return "cs.report_ltv"
        case .renewals: return "cs.report_renewals"
        case .health: return "cs.report_health"
        case .interventions: return "cs.report_interventions"
        case .roi: return "cs.report_roi"
        case .model: return "cs.report_model"
        }
    }

    /// What the report answers, for `--help` and the HTML page.
    public var summary: String {
        switch self {
        case .retention: return "customers and MRR month by month: logo churn, gross and net revenue churn, GRR and NRR over a fixed cohort"
        case .cohorts: return "monthly sign-up cohorts × months since sign-up: logo and revenue retention"
        case .ltv: return "ARPA, six-month churn and LTV by segment and plan; LTV:CAC when CAC is given"
        case .renewals: return "renewals due in 30/60/90 days with health band, churn probability and risk-weighted ARR"
        case .health: return "band distribution per scoring run, transitions between two runs, top movers"
        case .interventions: return "per rule and variant: raised, resolved, outcome rates and uplift against the control group"
        case .roi: return "retained MRR attributed to interventions (uplift × MRR × horizon) against their cost"
        case .model: return "churn models' predictions judged against what happened: ROC/PR AUC, Brier, calibration, lift, drift"
        }
    }

    /// The parameters a kind reads besides the period (all optional).
    public var parameterNames: [String] {
        switch self {
        case .retention, .cohorts, .interventions: return ["segment"]
        case .ltv: return ["segment", "cac", "gross_margin"]
        case .renewals: return ["segment", "as_of"]
        case .health: return ["segment", "run_from", "run_to"]
        case .roi: return ["segment", "cost_per_intervention", "horizon_months"]
        case .model: return ["horizon_days"]
        }
    }
}
