// Duration ↔ seconds and milliseconds: the one conversion, keeping the fraction.

extension Duration {
    /// The duration in fractional seconds (attoseconds kept).
    public var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }

    /// The duration in fractional milliseconds.
    public var milliseconds: Double { seconds * 1000 }

    /// A duration of `seconds` (fractional), rounded to the microsecond; negative or
    /// non-finite values give zero.
    public static func seconds(fractional seconds: Double) -> Duration {
        guard seconds.isFinite, seconds > 0 else { return .zero }
        return .microseconds(Int64(min(seconds, 9e12) * 1_000_000))
    }
}
