// AccountMeasures: the raw measures of one account, as the measures statement returns them.
import Foundation

/// Raw inputs for one account's score (one row of `HealthStatements.Measures`).
public struct AccountMeasures: Sendable, Equatable {
    public var accountID: Int64
    public var tenureDays: Double
    /// Days until renewal; nil when no renewal date is set.
    public var renewalDays: Int?
    public var activeDays: Int
    /// Sum of activity quantities in the recent and baseline trend windows.
    public var recentQuantity: Double
    public var baselineQuantity: Double
    /// Bit i set when key feature i (`HealthStatements.keyFeatures`) was used in the adoption window.
    public var featureMask: Int
    public var supportLoad: Double
    public var nps: Int?
    public var csat: Int?
    public var failedPayments: Int
    public var overdueInvoices: Int
    public var hasInvoices: Bool
    public var milestonesExpected: Int
    public var milestonesDone: Int
    public var churnProbability: Double?
    public var previousScore: Double?
    /// Activity in the same weeks last year: the recent and the baseline trend windows
    /// moved back `season_shift_days` (0 when there is no such history).
    public var lastYearRecentQuantity: Double = 0
    public var lastYearBaselineQuantity: Double = 0
}
