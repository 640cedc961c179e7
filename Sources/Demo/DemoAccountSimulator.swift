// DemoAccountSimulator: one synthetic account's year — usage, billing, support, surveys,
// onboarding — driven by a hidden churn process, written as COPY rows.
import Basics
import Foundation
import PG

/// The fixed frame of one seeding: the simulated year and the day table.
struct DemoWorld: Sendable {
    let seed: UInt64
    /// Days since 1970-01-01: the simulation covers [startDay, endDay).
    let endDay: Int
    var startDay: Int { endDay - 365 }
    let days: DayTable
}

/// COPY rows for one chunk of accounts, one buffer per table.
struct DemoBuffers: Sendable {
    var accounts = CopyBuffer(), contacts = CopyBuffer(), activity = CopyBuffer(1 << 20)
    var tickets = CopyBuffer(), surveys = CopyBuffer(), invoices = CopyBuffer(), milestones = CopyBuffer()
    var mrrChanges = CopyBuffer()
    var churned = 0
}

extension CopyBuffer { init(_ capacity: Int) { self.init(capacity: capacity) } }

/// The hidden process, per account: a latent engagement level; a quarter of accounts start
/// declining at some month; payment failures, detractor NPS answers and stalled onboarding
/// follow from low engagement. Each month's churn hazard rises with last month's decline,
/// unrecovered failed payments, a recent detractor answer, stalled onboarding and low usage,
/// times noise. Usage follows the wedding season (northern or southern hemisphere).
enum DemoAccountSimulator {
    static let features: [StaticString] = [
        "client_imported", "form_sent", "questionnaire_sent", "booking_created", "contract_signed",
        "message_sent", "journey_started", "calendar_synced", "invoice_sent",
    ]
    static let milestones: [StaticString] = [
        "profile_completed", "first_client_imported", "calendar_connected", "first_form_sent", "first_booking",
        "first_payment_received",
    ]
    static let milestoneDays = [(0, 3), (1, 14), (3, 21), (5, 30), (10, 60), (20, 90)]
    static let segments: [(StaticString, String)] = [
        ("photographer", "Photography"), ("venue", "Hall"), ("planner", "Weddings"), ("florist", "Florals"),
        ("caterer", "Catering"), ("videographer", "Films"), ("band_dj", "Sounds"),
    ]
    static let adjectives = ["Golden", "Silver", "Velvet", "Rose", "Ivory", "Willow", "Bluebell", "Meadow", "Honey",
                             "Amber", "Coral", "Sage"]
    static let nouns = ["Lily", "Oak", "Lantern", "Ribbon", "Petal", "Harbour", "Orchard", "Veil", "Vow", "Garland"]

    static func simulate(id: Int64, world w: DemoWorld, into b: inout DemoBuffers) {
        var r = SplitMix64(seed: w.seed, stream: UInt64(bitPattern: id))
        // Who the account is.
        let planRoll = r.nextUnit()
        let firstTier = planRoll < 0.5 ? 0 : (planRoll < 0.85 ? 1 : 2)
        let segment = segments[r.nextInt(below: segments.count)]
        let regionRoll = r.nextUnit()
        let region: StaticString = regionRoll < 0.4 ? "UK" : (regionRoll < 0.7 ? "US" : (regionRoll < 0.9 ? "EU" : "AU"))
        let southern = regionRoll >= 0.9
        let signupDay = r.chance(0.3) ? w.startDay + r.nextInt(below: 351) : w.startDay - 1 - r.nextInt(below: 3 * 365)
        let annual = r.chance(0.4)
        // The hidden state.
        let e0 = min(1, max(0.05, 0.2 + 0.65 * r.nextUnit() + 0.1 * r.nextGaussian()))
        let decliner = r.chance(0.25)
        let declineStart = r.nextInt(below: 12)
        let declineRate = 0.1 + 0.2 * r.nextUnit()
        let breadth = min(9, max(1, Int((1 + e0 * 6 + r.nextGaussian()).rounded())))
        var order = Array(0..<features.count)
        for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, r.nextInt(below: i + 1)) }
        let adopted = order.prefix(breadth)
        let stallLevel = r.chance(0.08 + 0.35 * (1 - e0)) ? 1 + r.nextInt(below: 3) : milestones.count
        let payRisk = 0.01 + 0.05 * (1 - e0)
        var milestoneDay: [Int] = []
        var next = signupDay
        for k in 0..<stallLevel {
            let (lo, hi) = milestoneDays[k]
            next = max(next, signupDay + lo + Int(Double(r.nextInt(below: hi - lo + 1)) * (1.5 - e0)))
            milestoneDay.append(next)
        }

        // Plan changes over the last 24 months, from a stream of their own (the behaviour
        // above and below draws exactly as before).
        var plans = MRRPath.draw(id: id, world: w, signupDay: signupDay, firstTier: firstTier, southern: southern)

        // Contacts: ids derived from the account id so surveys can name them.
        let contactCount = 1 + (r.chance(0.5) ? 1 : 0) + (r.chance(0.15) ? 1 : 0)
        for k in 0..<contactCount {
            let cid = id * 4 + Int64(k)
            var c = b.contacts
            c.int(cid); c.tab(); c.int(id); c.tab()
            c.text("Contact "); c.int(cid); c.tab()
            c.text("contact"); c.int(cid); c.text("@example.test"); c.tab()
            c.text("+4477009"); c.int(100_000 + cid % 900_000); c.tab()
            c.text(k == 0 ? "owner" : "staff"); c.tab()
            c.text(r.chance(0.4) ? "t" : "f"); c.tab(); c.text(r.chance(0.95) ? "t" : "f"); c.end()
            b.contacts = c
        }

        // The year, month by month.
        var churnDay: Int?
        var prevDecline = 0.0, prevEngagement = e0
        var unpaidFailures = 0, failedLastMonth = false, detractorMonth = -10
        var act = b.activity, inv = b.invoices, tk = b.tickets, sv = b.surveys
        for m in 0..<12 {
            let monthStart = w.startDay + m * 365 / 12, monthEnd = w.startDay + (m + 1) * 365 / 12
            let from = max(monthStart, signupDay)
            if from >= monthEnd { continue }
            if signupDay < monthStart {
                let tenure = monthStart - signupDay
                var h = 0.004 + 0.07 * prevDecline + 0.015 * (1 - prevEngagement)
                if unpaidFailures > 0 { h += 0.05 }
                if failedLastMonth { h += 0.02 }
                if m - detractorMonth <= 2 { h += 0.03 }
                if stallLevel < milestones.count, tenure < 200 { h += 0.025 }
                h *= 0.6 + 0.8 * r.nextUnit()
                if r.chance(h) { churnDay = monthStart + r.nextInt(below: monthEnd - monthStart) }
            }
            let stop = churnDay ?? monthEnd
            var e = e0 * exp(0.15 * r.nextGaussian())
            if decliner, m >= declineStart { e *= pow(1 - declineRate, Double(m - declineStart + 1)) }
            e = min(1, max(0.01, e))
            // Usage, as daily counts per event.
            for day in from..<stop {
                var month = w.days.month(day)
                if southern { month = (month + 5) % 12 + 1 }
                let season = 1 + 0.35 * cos(2 * .pi * Double(month - 7) / 12)
                guard r.chance(min(0.85, 0.03 + 0.33 * e * season)) else { continue }
                act.int(id); act.tab(); act.raw(w.days.date(day)); act.tab(); act.text("login"); act.tab()
                act.int(1 + r.nextInt(below: 3)); act.end()
                for f in adopted where r.chance(0.2 * e * season) {
                    act.int(id); act.tab(); act.raw(w.days.date(day)); act.tab(); act.text(features[f]); act.tab()
                    act.int(1 + r.nextInt(below: 4)); act.end()
                }
            }
            // Billing: one invoice a month.
            let due = monthStart + Int(id % 28)
            failedLastMonth = false
            if due >= from, due < stop {
                let fails = r.chance(payRisk + (decliner && m >= declineStart ? 0.06 : 0))
                inv.int(id); inv.tab(); timestamp(&inv, w, due, 9 * 60); inv.tab(); inv.cents(MRRPath.cents[plans.tier(at: due)]); inv.tab()
                if fails {
                    failedLastMonth = true
                    let recovered = r.chance(0.55)
                    let paid = due + 3 + r.nextInt(below: 8)
                    if recovered, paid < w.endDay { timestamp(&inv, w, paid, 11 * 60) } else { inv.null(); unpaidFailures += 1 }
                    inv.tab(); timestamp(&inv, w, due + r.nextInt(below: 2), 9 * 60 + 5); inv.tab()
                    inv.text(recovered && paid < w.endDay ? "paid" : "failed")
                } else {
                    let paid = due + r.nextInt(below: 2)
                    if paid < w.endDay { timestamp(&inv, w, paid, 9 * 60 + 1); inv.tab(); inv.null(); inv.tab(); inv.text("paid") }
                    else { inv.null(); inv.tab(); inv.null(); inv.tab(); inv.text("open") }
                }
                inv.end()
            }
            // Support.
            for _ in 0..<r.nextPoisson(mean: 0.12 + 0.35 * (1 - e)) {
                let opened = from + r.nextInt(below: stop - from)
                let pr = r.nextUnit()
                tk.int(id); tk.tab(); timestamp(&tk, w, opened, 8 * 60 + r.nextInt(below: 600)); tk.tab()
                let closed = opened + r.nextInt(below: 12)
                let isClosed = r.chance(0.92) && closed < w.endDay
                if isClosed { timestamp(&tk, w, closed, 17 * 60) } else { tk.null() }
                tk.tab(); tk.text(pr < 0.25 ? "low" : (pr < 0.75 ? "normal" : (pr < 0.93 ? "high" : "urgent"))); tk.tab()
                if isClosed, r.chance(0.35) { tk.int(min(5, max(1, Int((1.5 + 3.5 * e + 0.8 * r.nextGaussian()).rounded())))) } else { tk.null() }
                tk.end()
            }
            // NPS, about once or twice a year.
            if r.chance(0.12) {
                let score = min(10, max(0, Int((2 + 8 * e + 1.5 * r.nextGaussian()).rounded())))
                if score <= 6 { detractorMonth = m }
                sv.int(id); sv.tab(); sv.int(id * 4); sv.tab(); sv.text("nps"); sv.tab(); sv.int(score); sv.tab()
                timestamp(&sv, w, from + r.nextInt(below: stop - from), 14 * 60); sv.end()
            }
            prevDecline = max(0, 1 - e / e0)
            prevEngagement = e
            if churnDay != nil { break }
        }
        b.activity = act; b.invoices = inv; b.tickets = tk; b.surveys = sv

        // Onboarding milestones reached before the end (and before churning).
        let limit = min(churnDay ?? w.endDay, w.endDay)
        for (k, day) in milestoneDay.enumerated() where day < limit {
            b.milestones.int(id); b.milestones.tab(); b.milestones.text(milestones[k]); b.milestones.tab()
            timestamp(&b.milestones, w, day, 12 * 60); b.milestones.end()
        }

        // MRR history, now that its fate is known: the plan path up to churn, then the churn.
        plans.end(at: churnDay)
        let currency: StaticString = regionRoll < 0.4 ? "GBP" : (regionRoll < 0.7 ? "USD" : (regionRoll < 0.9 ? "EUR" : "AUD"))
        plans.write(id: id, currency: currency, world: w, into: &b.mrrChanges)
        let finalTier = plans.finalTier

        // The account row.
        var a = b.accounts
        a.int(id); a.tab()
        a.text(adjectives[Int(id % Int64(adjectives.count))]); a.text(" ")
        a.text(nouns[Int((id / 12) % Int64(nouns.count))]); a.text(" "); a.text(segment.1); a.text(" "); a.int(id); a.tab()
        a.text(MRRPath.plans[finalTier]); a.tab(); a.cents(MRRPath.cents[finalTier]); a.tab(); a.text(currency); a.tab()
        timestamp(&a, w, signupDay, 10 * 60); a.tab()
        if annual {
            var renewal = signupDay + 365
            while renewal <= w.endDay { renewal += 365 }
            a.raw(w.days.date(renewal))
        } else { a.null() }
        a.tab(); a.text(segment.0); a.tab(); a.text(region); a.tab()
        if let churnDay { a.text("churned"); a.tab(); timestamp(&a, w, churnDay, 16 * 60); b.churned += 1 }
        else { a.text("active"); a.tab(); a.null() }
        a.tab(); a.text("csm"); a.int(1 + id % 25); a.text("@example.test"); a.end()
        b.accounts = a
    }

    /// `YYYY-MM-DD HH:MM:00+00`.
    static func timestamp(_ buf: inout CopyBuffer, _ w: DemoWorld, _ day: Int, _ minute: Int) {
        buf.raw(w.days.date(day))
        buf.bytes.append(32)
        let h = (minute / 60) % 24, mi = minute % 60
        buf.bytes.append(UInt8(48 + h / 10)); buf.bytes.append(UInt8(48 + h % 10)); buf.bytes.append(58)
        buf.bytes.append(UInt8(48 + mi / 10)); buf.bytes.append(UInt8(48 + mi % 10))
        buf.text(":00+00")
    }
}

/// One account's plan over time: a sign-up tier, then upgrades before its wedding season
/// (Jan–Mar north, Jul–Sep south) and downgrades after it (Oct–Nov, Apr–May), drawn for the
/// last 24 months; some long-standing accounts churned in the year before the behaviour year
/// and came back; a churn in the behaviour year ends the path.
struct MRRPath {
    static let plans: [StaticString] = ["starter", "pro", "studio"]
    static let cents = [2900, 5900, 11900]

    enum Kind { case new, expansion, contraction, churn, reactivation }
    /// `before`/`after` are tiers; -1 means not a customer.
    struct Change { let day: Int, kind: Kind, before: Int, after: Int }

    private(set) var changes: [Change]

    static func draw(id: Int64, world w: DemoWorld, signupDay: Int, firstTier: Int, southern: Bool) -> MRRPath {
        var r = SplitMix64(seed: w.seed ^ 0x6D72_725F_7061_7468, stream: UInt64(bitPattern: id))
        var changes = [Change(day: signupDay, kind: .new, before: -1, after: firstTier)]
        var tier = firstTier
        // A past churn and return, entirely before the behaviour year (no activity gap to explain).
        var away: Range<Int>?
        if signupDay < w.endDay - 760, r.chance(0.05) {
            let left = w.endDay - 700 + r.nextInt(below: 200)
            away = left..<(left + 30 + r.nextInt(below: 90))
        }
        var day = max(signupDay + 30, w.endDay - 730)
        while day < w.endDay {
            if let a = away, day >= a.lowerBound {
                changes.append(Change(day: a.lowerBound, kind: .churn, before: tier, after: -1))
                if tier > 0, r.chance(0.3) { tier -= 1 }
                changes.append(Change(day: a.upperBound, kind: .reactivation, before: -1, after: tier))
                day = a.upperBound + 30
                away = nil
                continue
            }
            var month = w.days.month(day)
            if southern { month = (month + 5) % 12 + 1 }
            if (1...3).contains(month), tier < 2, r.chance(0.05) {
                changes.append(Change(day: day + r.nextInt(below: 28), kind: .expansion, before: tier, after: tier + 1))
                tier += 1
            } else if (10...11).contains(month), tier > 0, r.chance(0.045) {
                changes.append(Change(day: day + r.nextInt(below: 28), kind: .contraction, before: tier, after: tier - 1))
                tier -= 1
            }
            day += 30
        }
        return MRRPath(changes: changes.filter { $0.day < w.endDay })
    }

    /// The tier in force on `day`: the last change on or before it that leaves a customer.
    func tier(at day: Int) -> Int {
        var t = changes.first?.after ?? 0
        for c in changes where c.day <= day && c.after >= 0 { t = c.after }
        return t
    }

    var finalTier: Int { changes.last { $0.after >= 0 }?.after ?? 0 }

    /// Drops what would come after a churn on `churnDay` and records the churn.
    mutating func end(at churnDay: Int?) {
        guard let churnDay else { return }
        changes = changes.filter { $0.day < churnDay }
        let t = finalTier
        changes.append(Change(day: churnDay, kind: .churn, before: t, after: -1))
    }

    /// COPY rows for cs.mrr_changes (account_id, effective_at, mrr_before, mrr_after, currency, kind).
    func write(id: Int64, currency: StaticString, world w: DemoWorld, into buf: inout CopyBuffer) {
        for c in changes {
            buf.int(id); buf.tab()
            DemoAccountSimulator.timestamp(&buf, w, c.day, c.kind == .churn ? 16 * 60 : 10 * 60); buf.tab()
            buf.cents(c.before < 0 ? 0 : Self.cents[c.before]); buf.tab()
            buf.cents(c.after < 0 ? 0 : Self.cents[c.after]); buf.tab()
            buf.text(currency); buf.tab()
            switch c.kind {
            case .new: buf.text("new")
            case .expansion: buf.text("expansion")
            case .contraction: buf.text("contraction")
            case .churn: buf.text("churn")
            case .reactivation: buf.text("reactivation")
            }
            buf.end()
        }
    }
}
