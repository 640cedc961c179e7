// MIMEEncoding: the small encoders an RFC 5322 message needs — quoted-printable bodies
// (RFC 2045 §6.7), encoded-words for non-ASCII headers (RFC 2047) and the RFC 5322 date.
import Foundation

enum MIMEEncoding {
    /// Quoted-printable with CRLF line breaks and soft breaks keeping every line ≤ 76
    /// octets. Input line endings (LF or CRLF) become CRLF. A leading "." is left alone:
    /// libcurl dot-stuffs on the wire and the server removes it. A line starting "From "
    /// has its F encoded (`=46rom `), so no mbox-style store rewrites it as ">From ".
    static func quotedPrintable(_ text: String) -> String {
        var out = ""
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        for (index, line) in lines.enumerated() {
            if index > 0 { out += "\r\n" }
            let bytes = Array(line.utf8)
            let fromLine = line.hasPrefix("From ")
            var length = 0
            for (i, b) in bytes.enumerated() {
                let isLast = i == bytes.count - 1
                let literal = !(fromLine && i == 0)
                    && ((b >= 33 && b <= 126 && b != UInt8(ascii: "=")) || ((b == 32 || b == 9) && !isLast))
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

    /// The header's value for a header whose name (with ": ") takes `nameLength` octets:
    /// printable ASCII folded at spaces so lines stay within 78 octets where words allow
    /// (RFC 5322 §2.1.1), else RFC 2047 B encoded-words folded with CRLF SP, the first one
    /// short enough to share its line with the name, never splitting a character. CR, LF
    /// and other control characters never reach the header as such.
    static func headerText(_ text: String, nameLength: Int = 9) -> String {
        let clean = text.replacingOccurrences(of: "\r", with: " ").replacingOccurrences(of: "\n", with: " ")
        let ascii = clean.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7f }) && !clean.contains("=?")
        let words = clean.split(separator: " ", omittingEmptySubsequences: false)
        if ascii && nameLength + (words.map(\.utf8.count).max() ?? 0) <= 998 {
            var lines: [String] = []
            var line = ""
            var width = nameLength
            for word in words {
                let w = word.utf8.count
                if !line.isEmpty && width + 1 + w > 78 {
                    lines.append(line)
                    line = String(word)
                    width = 1 + w
                } else {
                    if !line.isEmpty || lines.count > 0 || width > nameLength { line += " "; width += 1 }
                    line += word
                    width += w
                }
            }
            lines.append(line)
            return lines.joined(separator: "\r\n ")
        }
        // Encoded words: "=?UTF-8?B?" + base64 + "?=" is 12 + 4⌈n/3⌉ octets for n bytes.
        func capacity(_ room: Int) -> Int { max(3, (room - 12) / 4 * 3) }
        var encoded: [String] = []
        var chunk: [UInt8] = []
        var limit = capacity(76 - nameLength)
        for ch in clean {
            let b = Array(String(ch).utf8)
            if !chunk.isEmpty && chunk.count + b.count > limit {
                encoded.append(encodedWord(chunk))
                chunk = []
                limit = capacity(75)
            }
            chunk += b
        }
        if !chunk.isEmpty || encoded.isEmpty { encoded.append(encodedWord(chunk)) }
        return encoded.joined(separator: "\r\n ")
    }

    private static func encodedWord(_ bytes: [UInt8]) -> String {
        "=?UTF-8?B?" + Data(bytes).base64EncodedString() + "?="
    }

    /// A display name with an address: `"Name" <addr>`, encoded when not ASCII.
    static func mailbox(name: String?, address: String) -> String {
        guard let name, !name.isEmpty else { return address }
        let printable = name.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7f } && !name.contains("=?")
        if !printable { return "\(headerText(name, nameLength: 6)) <\(address)>" }
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
