// Duration ↔ curl's millisecond options and double-seconds infos.
import Basics

extension Duration {
    /// Whole milliseconds, at least 1, for CURLOPT_*_MS (where 0 would mean "no limit").
    var curlMilliseconds: Int {
        let c = components
        let ms = c.seconds.multipliedReportingOverflow(by: 1000)
        let total = ms.overflow ? Int64.max : ms.partialValue &+ c.attoseconds / 1_000_000_000_000_000
        return Int(clamping: max(total, 1))
    }

    /// From curl's `double` seconds (CURLINFO_TOTAL_TIME).
    static func curlSeconds(_ s: Double) -> Duration {
        .microseconds(Int64((s * 1_000_000).rounded()))
    }
}
