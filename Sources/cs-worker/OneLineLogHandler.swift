// OneLineLogHandler: every log record is exactly one line, whatever its values hold.
import Logging

/// Wraps swift-log's stream handler and escapes control characters (`\n`, `\r`, tabs,
/// ESC…) in the message and in every metadata value, so an error text that carries a
/// newline cannot forge a second log line, and terminal escapes cannot reach the console.
///
/// The logger's own metadata is kept here and handed over with each record: the stream
/// handler renders its stored metadata every time it is changed, and the job executor sets
/// three keys per job (9 % of a worker's CPU at 10,000 jobs/s went there).
struct OneLineLogHandler: LogHandler {
    private var inner: StreamLogHandler

    init(label: String) { inner = StreamLogHandler.standardError(label: label) }

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
        var event = event
        event.message = "\(Self.escape(event.message.description))"
        if let own = event.metadata {
            event.metadata = metadata.merging(Self.escape(own)) { _, new in new }
        } else if !metadata.isEmpty {
            event.metadata = metadata
        }
        inner.log(event: event)
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
