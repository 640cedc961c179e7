// RedactedURL: the only form in which a URL may reach a log line or an error.
// Webhook URLs carry their secret in the path (Slack) or query (tokens), so only
// scheme://host[:port]/ survives, plus a short hash so two URLs can still be told apart.
import Basics

/// A URL with its path, query, fragment and userinfo replaced by a short hash.
///
/// `https://user:pw@hooks.slack.com/services/T0/B0/XYZ?x=1` becomes
/// `https://hooks.slack.com/…#1a2b3c4d`. The hash (FNV-1a, 32 bits shown) lets logs
/// correlate requests to the same endpoint without revealing it.
public struct RedactedURL: Sendable, Hashable, CustomStringConvertible {
    /// The safe rendering.
    public let description: String

    /// Redacts `url`. Never fails: unparseable input becomes `…#hash`.
    public init(_ url: String) {
        let hash = Self.shortHash(url)
        guard let schemeEnd = url.range(of: "://") else {
            description = "…#\(hash)"
            return
        }
        let scheme = url[url.startIndex..<schemeEnd.lowerBound].lowercased()
        let rest = url[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        var authority = rest[rest.startIndex..<authorityEnd]
        let hadUserinfo = authority.contains("@")
        if let at = authority.lastIndex(of: "@") {
            authority = authority[authority.index(after: at)...]
        }
        let tail = rest[authorityEnd...]
        let secretTail = !(tail.isEmpty || tail == "/")
        if secretTail || hadUserinfo {
            description = "\(scheme)://\(authority)/…#\(hash)"
        } else {
            description = "\(scheme)://\(authority)/"
        }
    }

    /// 32-bit FNV-1a folded from 64 bits, as 8 hex digits: short, stable across runs.
    static func shortHash(_ s: String) -> String {
        let hex = String(FNV1a.hash32(s), radix: 16)
        return String(repeating: "0", count: 8 - hex.count) + hex
    }
}
