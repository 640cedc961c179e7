// LoopbackHTTPParser: incremental HTTP/1.1 request parsing for LoopbackHTTPServer:
// request line, headers, Content-Length or chunked body, Expect: 100-continue.
import Foundation

/// Splits a byte stream into requests. Value type, one per connection.
struct LoopbackHTTPParser {
    struct Head {
        var method: String
        var target: String
        var version: String
        var headers: [(name: String, value: String)]

        func header(_ name: String) -> String? {
            let n = name.lowercased()
            return headers.first { $0.name.lowercased() == n }?.value
        }

        /// HTTP/1.1 keeps the connection unless told otherwise; HTTP/1.0 closes unless told otherwise.
        var wantsClose: Bool {
            let c = header("Connection")?.lowercased()
            return version == "HTTP/1.0" ? c != "keep-alive" : c == "close"
        }
    }

    enum Event {
        case needMore
        case expectContinue
        case malformed
        case request(Head, [UInt8])
    }

    private var buffer: [UInt8] = []
    private var start = 0
    /// Head of the request whose body is still arriving.
    private var pending: Head?
    private var continueSent = false

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        } else if start > 65536 {
            buffer.removeFirst(start)
            start = 0
        }
        buffer.append(contentsOf: bytes)
    }

    mutating func next() -> Event {
        if pending == nil {
            guard let end = find([13, 10, 13, 10], from: start) else {
                return buffer.count - start > 1 << 20 ? .malformed : .needMore
            }
            guard let head = Self.parseHead(buffer[start..<end]) else { return .malformed }
            pending = head
            start = end + 4
            continueSent = false
        }
        guard let head = pending else { return .needMore }
        if head.header("Transfer-Encoding")?.lowercased().contains("chunked") == true {
            return nextChunked(head)
        }
        let length = Int(head.header("Content-Length") ?? "0") ?? -1
        guard length >= 0 else { return .malformed }
        if buffer.count - start < length {
            if !continueSent, head.header("Expect")?.lowercased() == "100-continue" {
                continueSent = true
                return .expectContinue
            }
            return .needMore
        }
        let body = Array(buffer[start..<start + length])
        start += length
        pending = nil
        return .request(head, body)
    }

    private mutating func nextChunked(_ head: Head) -> Event {
        var cursor = start
        var body: [UInt8] = []
        while true {
            guard let lineEnd = find([13, 10], from: cursor) else { return .needMore }
            let sizeText = String(decoding: buffer[cursor..<lineEnd], as: UTF8.self)
                .split(separator: ";").first.map(String.init) ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { return .malformed }
            cursor = lineEnd + 2
            if size == 0 {
                // Skip trailers up to the empty line.
                guard let trailerEnd = find([13, 10], from: cursor) else { return .needMore }
                if trailerEnd == cursor {
                    start = cursor + 2
                } else {
                    guard let end = find([13, 10, 13, 10], from: cursor) else { return .needMore }
                    start = end + 4
                }
                pending = nil
                return .request(head, body)
            }
            guard buffer.count - cursor >= size + 2 else { return .needMore }
            body += buffer[cursor..<cursor + size]
            cursor += size + 2
        }
    }

    private func find(_ needle: [UInt8], from: Int) -> Int? {
        guard buffer.count - from >= needle.count else { return nil }
        var i = from
        let last = buffer.count - needle.count
        while i <= last {
            if buffer[i] == needle[0] {
                var ok = true
                for j in 1..<needle.count where buffer[i + j] != needle[j] { ok = false; break }
                if ok { return i }
            }
            i += 1
        }
        return nil
    }

    private static func parseHead(_ bytes: ArraySlice<UInt8>) -> Head? {
        let text = String(decoding: bytes, as: UTF8.self)
        var lines = text.components(separatedBy: "\r\n")
        guard !lines.isEmpty else { return nil }
        let requestLine = lines.removeFirst().split(separator: " ", omittingEmptySubsequences: true)
        guard requestLine.count == 3 else { return nil }
        var headers: [(name: String, value: String)] = []
        for line in lines where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let name = String(line[line.startIndex..<colon])
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            headers.append((name: name, value: value))
        }
        return Head(method: String(requestLine[0]), target: String(requestLine[1]),
                    version: String(requestLine[2]), headers: headers)
    }
}
