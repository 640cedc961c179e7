// EmailAddress: an address checked against RFC 5321 (what may go in MAIL FROM / RCPT TO)
// and RFC 5322 (what may go in a header) before it is written into either.
import Foundation

/// A mailbox address (`local@domain`) that is safe to put in an SMTP command and a header:
/// printable ASCII only (no CR, LF, NUL or any control character), no angle brackets, one
/// `@` outside a quoted local part, a local part of at most 64 octets, a domain of at most
/// 255 octets made of letter-digit-hyphen labels (or an address literal `[…]`), at most 254
/// octets in all. Anything else is refused with a reason that does not repeat the address
/// (addresses are personal data and reasons are stored).
public struct EmailAddress: Sendable, Hashable, CustomStringConvertible {
    public let localPart: String
    public let domain: String

    public var description: String { "\(localPart)@\(domain)" }

    /// Why a text is not an address.
    public struct Invalid: Error, Sendable, Equatable, CustomStringConvertible {
        public let reason: String
        public var description: String { reason }
    }

    public init(_ text: String) throws(Invalid) {
        let bytes = Array(text.utf8)
        guard !bytes.isEmpty else { throw Invalid(reason: "is empty") }
        if let bad = bytes.first(where: { $0 < 0x20 || $0 == 0x7f }) {
            throw Invalid(reason: bad == 0x0d || bad == 0x0a ? "contains a line break" : "contains a control character")
        }
        guard bytes.allSatisfy({ $0 < 0x80 }) else { throw Invalid(reason: "contains non-ASCII characters (SMTPUTF8 is not used)") }
        guard !bytes.contains(UInt8(ascii: "<")), !bytes.contains(UInt8(ascii: ">")) else {
            throw Invalid(reason: "contains angle brackets (give the bare address)")
        }
        guard bytes.count <= 254 else { throw Invalid(reason: "is longer than 254 octets") }

        // Split at the one `@` that is outside a quoted local part.
        var at: Int?
        var quoted = false, escaped = false
        for (i, b) in bytes.enumerated() {
            if escaped { escaped = false; continue }
            if quoted && b == UInt8(ascii: "\\") { escaped = true; continue }
            if b == UInt8(ascii: "\"") { quoted.toggle(); continue }
            if b == UInt8(ascii: "@") && !quoted {
                guard at == nil else { throw Invalid(reason: "has more than one '@' outside quotes") }
                at = i
            }
        }
        guard !quoted else { throw Invalid(reason: "has an unterminated quoted local part") }
        guard let at else { throw Invalid(reason: "has no '@'") }
        let local = Array(bytes[..<at]), domain = Array(bytes[(at + 1)...])
        guard !local.isEmpty else { throw Invalid(reason: "has an empty local part") }
        guard local.count <= 64 else { throw Invalid(reason: "has a local part longer than 64 octets") }
        guard !domain.isEmpty else { throw Invalid(reason: "has an empty domain") }
        guard domain.count <= 255 else { throw Invalid(reason: "has a domain longer than 255 octets") }
        try Self.checkLocal(local)
        try Self.checkDomain(domain)
        localPart = String(decoding: local, as: UTF8.self)
        self.domain = String(decoding: domain, as: UTF8.self)
    }

    /// RFC 5322 atext: letters, digits and ``!#$%&'*+-/=?^_`{|}~``.
    static func isAtext(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)
            || "!#$%&'*+-/=?^_`{|}~".utf8.contains(b)
    }

    /// A dot-atom (`a.b`, no empty atoms) or a quoted string of printable characters.
    private static func checkLocal(_ local: [UInt8]) throws(Invalid) {
        if local.first == UInt8(ascii: "\"") {
            guard local.count >= 2, local.last == UInt8(ascii: "\"") else {
                throw Invalid(reason: "has a local part that is partly quoted")
            }
            return // inside the quotes: printable ASCII (checked above), escapes handled by the split
        }
        var previousWasDot = true
        for b in local {
            if b == UInt8(ascii: ".") {
                guard !previousWasDot else { throw Invalid(reason: "has an empty part between dots in the local part") }
                previousWasDot = true
            } else {
                guard isAtext(b) else { throw Invalid(reason: "has a character not allowed in an unquoted local part") }
                previousWasDot = false
            }
        }
        guard !previousWasDot else { throw Invalid(reason: "has a local part ending in a dot") }
    }

    /// Host name labels (letters, digits, hyphens; 1–63 octets; no leading or trailing
    /// hyphen) or an address literal `[192.0.2.1]` / `[IPv6:…]`.
    private static func checkDomain(_ domain: [UInt8]) throws(Invalid) {
        if domain.first == UInt8(ascii: "[") {
            guard domain.last == UInt8(ascii: "]"), domain.count > 2,
                  domain.dropFirst().dropLast().allSatisfy({ b in
                      (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b == 0x2e || b == 0x3a
                  }) else { throw Invalid(reason: "has a malformed address literal") }
            return
        }
        for label in domain.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
            guard !label.isEmpty else { throw Invalid(reason: "has an empty label in the domain") }
            guard label.count <= 63 else { throw Invalid(reason: "has a domain label longer than 63 octets") }
            guard label.allSatisfy({ b in (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b == 0x2d }),
                  label.first != 0x2d, label.last != 0x2d else {
                throw Invalid(reason: "has a domain that is not a host name")
            }
        }
    }

    /// Parses a comma-separated recipient list (`a@x, b@y`), refusing the whole list when
    /// one entry is not an address; the reason says which entry (by position, not content).
    public static func list(_ text: String) throws(Invalid) -> [EmailAddress] {
        let entries = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        let present = entries.filter { !$0.isEmpty }
        var out: [EmailAddress] = []
        for (i, entry) in present.enumerated() {
            do { out.append(try EmailAddress(entry)) } catch {
                throw Invalid(reason: present.count == 1 ? "recipient \(error.reason)" : "recipient \(i + 1) of \(present.count) \(error.reason)")
            }
        }
        return out
    }
}
