// ConsoleAuth: who may use the console — tokens configured by reference (env:/file:, like
// channel secrets), sessions behind an HttpOnly SameSite cookie, a CSRF token per session.
import Basics
import Crypto
import Delivery
import Foundation

/// viewer reads every page; operator may also press the buttons.
public enum ConsoleRole: String, Sendable, Comparable {
    case viewer
    case `operator`
    public static func < (a: ConsoleRole, b: ConsoleRole) -> Bool { a == .viewer && b == .operator }
}

public struct ConsoleUser: Sendable, Equatable {
    public let name: String
    public let role: ConsoleRole
    public init(name: String, role: ConsoleRole) { self.name = name; self.role = role }
}

public struct ConsoleAuthError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ d: String) { description = d }
}

/// The accepted tokens, one per line: `ROLE NAME SHA256-HEX-OF-TOKEN` (`#` comments). Only
/// digests are stored, so the file reveals no token; `cs-worker console-token` makes lines.
public struct ConsoleTokens: Sendable {
    struct Entry: Sendable { let user: ConsoleUser; let digest: [UInt8] }
    let entries: [Entry]

    public init(parsing text: String) throws {
        var entries: [Entry] = []
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let parts = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
            guard parts.count == 3, let role = ConsoleRole(rawValue: parts[0]), let digest = Self.hex(parts[2]), digest.count == 32 else {
                throw ConsoleAuthError("console tokens line \(n + 1) is not 'viewer|operator NAME SHA256-HEX'")
            }
            entries.append(Entry(user: ConsoleUser(name: parts[1], role: role), digest: digest))
        }
        guard !entries.isEmpty else { throw ConsoleAuthError("no console tokens configured") }
        self.entries = entries
    }

    /// Reads the lines from a reference: `env:NAME` or `file:/path`.
    public static func load(reference: String, resolver: SecretResolver = SecretResolver()) throws -> ConsoleTokens {
        guard SecretResolver.isReference(reference) else {
            throw ConsoleAuthError("CS_CONSOLE_TOKENS must be a reference (env:NAME or file:/path), not the tokens themselves")
        }
        do { return try ConsoleTokens(parsing: try resolver.resolve(reference)) } catch let e as ConsoleAuthError { throw e } catch {
            throw ConsoleAuthError("cannot read console tokens from \(reference): \(error)")
        }
    }

    /// The user a token belongs to. Every entry is compared in full (constant time per entry).
    public func user(forToken token: String) -> ConsoleUser? {
        let digest = Array(SHA256.hash(data: Array(token.utf8)))
        var found: ConsoleUser?
        for e in entries where Self.constantTimeEqual(e.digest, digest) { found = e.user }
        return found
    }

    /// Equal bytes, compared in full whatever differs first (tokens, digests, CSRF values).
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for (x, y) in zip(a, b) { diff |= x ^ y }
        return diff == 0
    }

    /// A new random token and the line that accepts it.
    public static func issue(role: ConsoleRole, name: String) -> (token: String, line: String) {
        let token = randomHex(bytes: 24)
        let digest = SHA256.hash(data: Array(token.utf8)).map { String(format: "%02x", $0) }.joined()
        return (token, "\(role.rawValue) \(name) \(digest)")
    }

    static func randomHex(bytes: Int) -> String {
        SymmetricKey(size: SymmetricKeySize(bitCount: bytes * 8)).withUnsafeBytes { $0.map { String(format: "%02x", $0) }.joined() }
    }

    static func hex(_ s: String) -> [UInt8]? {
        let u = Array(s.utf8)
        guard u.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        var i = 0
        while i < u.count {
            guard let b = UInt8(String(decoding: u[i..<i + 2], as: UTF8.self), radix: 16) else { return nil }
            out.append(b)
            i += 2
        }
        return out
    }
}

/// Signed-in sessions, in memory (a restart signs everyone out). The clock is injectable so
/// expiry is tested without waiting.
public final class ConsoleSessions: Sendable {
    public struct Session: Sendable {
        public let id: String
        public let user: ConsoleUser
        public let csrf: String
        public var expires: Date
    }
    public enum Lookup: Sendable { case valid(Session), expired, unknown }

    private let sessions = Locked([String: Session]())
    let idle: TimeInterval
    let now: @Sendable () -> Date

    public init(idle: TimeInterval = 8 * 3600, now: @escaping @Sendable () -> Date = { Date() }) {
        self.idle = idle
        self.now = now
    }

    public func start(_ user: ConsoleUser) -> Session {
        let s = Session(id: ConsoleTokens.randomHex(bytes: 32), user: user, csrf: ConsoleTokens.randomHex(bytes: 16),
                        expires: now().addingTimeInterval(idle))
        sessions.withLock { all in
            let t = now()
            all = all.filter { $0.value.expires > t.addingTimeInterval(-idle) }
            all[s.id] = s
        }
        return s
    }

    /// The session of a cookie; a valid one is extended (idle timeout).
    public func find(_ id: String?) -> Lookup {
        guard let id, !id.isEmpty else { return .unknown }
        let t = now()
        return sessions.withLock { all in
            guard var s = all[id] else { return .unknown }
            guard s.expires > t else { all[id] = nil; return .expired }
            s.expires = t.addingTimeInterval(idle)
            all[id] = s
            return .valid(s)
        }
    }

    public func end(_ id: String?) {
        guard let id else { return }
        sessions.withLock { $0[id] = nil }
    }
}
