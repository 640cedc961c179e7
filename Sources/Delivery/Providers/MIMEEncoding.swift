// MIMEEncoding: the small encoders an RFC 5322 message needs — quoted-printable bodies
// (RFC 2045 §6.7), encoded-words for non-ASCII headers (RFC 2047) and the RFC 5322 date.
import Foundation

enum MIMEEncoding {
    /// Quoted-printable with CRLF line breaks and soft breaks keeping every line ≤ 76
    /// octets. Input line endings (LF or CRLF) become CRLF. A leading "." is left alone:
    /// libcurl dot-stuffs on the wire and the server removes it.
    static func quotedPrintable(_ text: String) -> String {
        var out = ""
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() {
            if index > 0 { out += "\r\n" }
            let bytes = Array(line.utf8)
            var length = 0
            for (i, b) in bytes.enumerated() {
                let isLast = i == bytes.count - 1
                let literal = (b >= 33 && b <= 126 && b != UInt8(ascii: "=")) || ((b == 32 || b == 9) && !isLast)
                let piece = literal ? String(UnicodeScalar(b)) : String(format: "=%02X", b)
                // Leave room for a soft break ("=") within 76 octets.
                if length + piece.utf8.count > 75 {
                    out += "=\r\n"
                    length = 0
                }
                out += piece
                length += piece.utf8.count
            }
        }
        return out
    }

    /// The header text as is when it is printable ASCII, else RFC 2047 B encoded-words of at
    /// most 75 characters each, folded with CRLF SP, never splitting a character.
    static func headerText(_ text: String) -> String {
        let clean = text.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        if clean.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7f }) && !clean.contains("=?") { return clean }
        var words: [String] = []
        var chunk: [UInt8] = []
        for ch in clean {
            let b = Array(String(ch).utf8)
            if chunk.count + b.count > 45 {
                words.append(encodedWord(chunk))
                chunk = []
            }
            chunk += b
        }
        if !chunk.isEmpty { words.append(encodedWord(chunk)) }
        return words.joined(separator: "\r\n ")
    }

    private static func encodedWord(_ bytes: [UInt8]) -> String {
        "=?UTF-8?B?" + Data(bytes).base64EncodedString() + "?="
    }

    /// A display name with an address: `"Name" <addr>`, encoded when not ASCII.
    static func mailbox(name: String?, address: String) -> String {
        guard let name, !name.isEmpty else { return address }
        let encoded = headerText(name)
        if encoded != name { return "\(encoded) <\(address)>" }
        let escaped = name.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
        return "\"\(escaped)\" <\(address)>"
    }

    /// `Tue, 03 Mar 2026 09:30:00 +0000` (RFC 5322 §3.3), always in UTC.
    static func date(_ date: Date) -> String {
        var secs = time_t(date.timeIntervalSince1970.rounded(.down))
        var tm = tm()
        gmtime_r(&secs, &tm)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        return String(format: "%@, %02d %@ %04d %02d:%02d:%02d +0000", days[Int(tm.tm_wday)], Int(tm.tm_mday),
                      months[Int(tm.tm_mon)], Int(tm.tm_year) + 1900, Int(tm.tm_hour), Int(tm.tm_min), Int(tm.tm_sec))
    }
}
