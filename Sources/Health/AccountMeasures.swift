// AccountMeasures: the raw measures of one account, as the measures statement returns them.
import Foundation
import PG

/// Raw inputs for one account's score (one row of `ScoringSQL.measures`).
public struct AccountMeasures: Sendable, Equatable {
    public var accountID: Int64
    public var tenureDays: Double
    /// Days until renewal; nil when no renewal date is set.
    public var renewalDays: Int?
    public var activeDays: Int
    /// Sum of activity quantities in the recent and baseline trend windows.
    public var recentQuantity: Double
    public var baselineQuantity: Double
    /// Bit i set when key feature i (`ScoringSQL.keyFeatures`) was used in the adoption window.
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

    init(row: Row) throws {
        accountID = try row.decode(Int64.self, 0)
        tenureDays = try row.decode(Double.self, 1)
        renewalDays = try row.decodeIfPresent(Int.self, 2)
        activeDays = try row.decode(Int.self, 3)
        recentQuantity = try row.decode(Double.self, 4)
        baselineQuantity = try row.decode(Double.self, 5)
        featureMask = try row.decode(Int.self, 6)
        supportLoad = try row.decode(Double.self, 7)
        nps = try row.decodeIfPresent(Int.self, 8)
        csat = try row.decodeIfPresent(Int.self, 9)
        failedPayments = try row.decode(Int.self, 10)
        overdueInvoices = try row.decode(Int.self, 11)
        hasInvoices = try row.decode(Bool.self, 12)
        milestonesExpected = try row.decode(Int.self, 13)
        milestonesDone = try row.decode(Int.self, 14)
        churnProbability = try row.decodeIfPresent(Double.self, 15)
        previousScore = try row.decodeIfPresent(Double.self, 16)
    }
}
