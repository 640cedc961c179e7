// String+Bounded: one way to cut a stored or logged text to a length.

extension String {
    /// The text cut to at most `limit` characters, ending in `…` when it was cut: for error
    /// reasons stored on rows and written to logs, which must stay bounded.
    public func bounded(to limit: Int) -> String {
        count <= limit ? self : String(prefix(Swift.max(0, limit - 1))) + "…"
    }
}
