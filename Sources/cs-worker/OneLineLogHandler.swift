// OneLineLogHandler: every log record is exactly one line, whatever its values hold.
import Basics
import Foundation
import Logging

/// Wraps swift-log's stream handler and escapes control characters (`\n`, `\r`, tabs,
/// ESC…) in the message and in every metadata value, so an error text that carries a
/// newline cannot forge a second log line, and terminal escapes cannot reach the console.
///
/// The logger's own metadata is kept here and handed over with each record: the stream
/// handler renders its stored metadata every time it is changed, and the job executor sets
/// three keys per job (9 % of a worker's CPU at 10,000 jobs/s went there).
///
/// With `CS_LOG_FORMAT=json` each record is one JSON object instead (for Loki, ELK…), with
/// the same fields: `ts`, `level`, `label`, `message`, `source`, and the metadata keys.
struct OneLineLogHandler: LogHandler {
    private var inner: StreamLogHandler
    private let label: String
    private let json: Bool

    init(label: String, json: Bool = ProcessInfo.processInfo.environment["CS_LOG_FORMAT"]?.lowercased() == "json") {
        inner = StreamLogHandler.standardError(label: label)
        self.label = label
        self.json = json
    }

    var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    /// Attached to the logger (`logger[metadataKey:] = …`), escaped as it is set.
    var metadata: Logger.Metadata = [:]

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue.map(Self.escape) }
    }

    func log(event: LogEvent) {
        if json { return writeJSON(event) }
        var event = event
        event.message = "\(Self.escape(event.message.description))"
        if let own = event.metadata {
            event.metadata = metadata.merging(Self.escape(own)) { _, new in new }
        } else if !metadata.isEmpty {
            event.metadata = metadata
        }
        inner.log(event: event)
    }

    /// One JSON object per line; JSON's own string escaping keeps it to one line.
    private func writeJSON(_ event: LogEvent) {
        var fields: [String: JSONValue] = [:]
        for (k, v) in metadata { fields[k] = Self.json(v) }
        for (k, v) in event.metadata ?? [:] { fields[k] = Self.json(v) }
        fields["ts"] = .string(Self.timestamp())
        fields["level"] = .string(event.level.rawValue)
        fields["label"] = .string(label)
        fields["message"] = .string(event.message.description)
        fields["source"] = .string(event.source)
        let line = JSONValue.object(fields).serialized + "\n"
        Self.stderrLock.withLock { FileHandle.standardError.write(Data(line.utf8)) }
    }

    private static let stderrLock = NSLock()

    static func json(_ value: Logger.Metadata.Value) -> JSONValue {
        switch value {
        case .string(let s): return .string(s)
        case .stringConvertible(let c): return .string(c.description)
        case .array(let a): return .array(a.map(json))
        case .dictionary(let d): return .object(d.mapValues(json))
        }
    }

    static func timestamp() -> String {
        var tv = timeval()
        gettimeofday(&tv, nil)
        var t = time_t(tv.tv_sec)
        var parts = tm()
        gmtime_r(&t, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), Int(tv.tv_usec) / 1000)
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { inner.metadataProvider }
        set { inner.metadataProvider = newValue }
    }

    static func escape(_ metadata: Logger.Metadata) -> Logger.Metadata {
        metadata.mapValues(escape)
    }

    static func escape(_ value: Logger.Metadata.Value) -> Logger.Metadata.Value {
        switch value {
        case .string(let s): return .string(escape(s))
        case .stringConvertible(let c): return .string(escape(c.description))
        case .array(let a): return .array(a.map(escape))
        case .dictionary(let d): return .dictionary(d.mapValues(escape))
        }
    }

    /// `\n` → `\\n` and so on; other control characters as `\u{…}`.
    static func escape(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f }) else { return s }
        var out = ""
        out.reserveCapacity(s.count + 8)
        for u in s.unicodeScalars {
            switch u {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 || u.value == 0x7f { out += "\\u{\(String(u.value, radix: 16))}" } else { out.unicodeScalars.append(u) }
            }
        }
        return out
    }
}
