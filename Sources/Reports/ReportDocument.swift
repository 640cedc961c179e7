// ReportDocument: the versioned JSON a cs.report_<kind> function returns (docs/REPORTS.md).
import Basics
import Foundation

/// A report as data: headline figures, definitions, tables. The JSON is stored as-is in
/// cs.reports.figures; this type is the reader the renderers share.
public struct ReportDocument: Sendable {
    /// The shape version this reader understands.
    public static let version = 1

    public struct Figure: Sendable { public let label: String, value: JSONValue, type: ValueType }
    public struct Column: Sendable { public let key: String, label: String, type: ValueType }
    public struct Table: Sendable {
        public let name: String, title: String
        public let columns: [Column]
        public let rows: [[JSONValue]]
        /// The index of column `key`.
        public func column(_ key: String) -> Int? { columns.firstIndex { $0.key == key } }
    }

    /// How a value is shown.
    public enum ValueType: String, Sendable {
        case count, money, percent, ratio, number, text, month, date, days
    }

    public let kind: ReportKind
    public let title: String
    public let from: String, to: String
    public let currency: String?
    public let parameters: [String: JSONValue]
    public let generatedAt: String
    public let headline: [Figure]
    public let definitions: [String]
    public let notes: [String]
    public let tables: [Table]
    /// The document as returned by SQL.
    public let json: JSONValue

    public init(json: JSONValue) throws {
        func bad(_ why: String) -> ReportError { ReportError(.malformedDocument, why) }
        guard case .number(let v)? = json["version"], Int(v) == Self.version else { throw bad("not a version-\(Self.version) report document") }
        guard let k = json["report"]?.stringValue, let kind = ReportKind(rawValue: k) else { throw bad("unknown report kind") }
        self.kind = kind
        self.json = json
        title = json["title"]?.stringValue ?? k
        from = json["period"]?["from"]?.stringValue ?? ""
        to = json["period"]?["to"]?.stringValue ?? ""
        currency = json["currency"]?.stringValue
        if case .object(let p)? = json["parameters"] { parameters = p } else { parameters = [:] }
        generatedAt = json["generated_at"]?.stringValue ?? ""
        headline = Self.array(json["headline"]).map {
            Figure(label: $0["label"]?.stringValue ?? "", value: $0["value"] ?? .null, type: ValueType(rawValue: $0["type"]?.stringValue ?? "") ?? .number)
        }
        definitions = Self.array(json["definitions"]).compactMap(\.stringValue)
        notes = Self.array(json["notes"]).compactMap(\.stringValue)
        tables = try Self.array(json["tables"]).map { t in
            let columns = Self.array(t["columns"]).map {
                Column(key: $0["key"]?.stringValue ?? "", label: $0["label"]?.stringValue ?? "", type: ValueType(rawValue: $0["type"]?.stringValue ?? "") ?? .text)
            }
            let rows: [[JSONValue]] = Self.array(t["rows"]).map { Self.array($0) }
            guard rows.allSatisfy({ $0.count == columns.count }) else { throw bad("table \(t["name"]?.stringValue ?? "?") has rows of the wrong width") }
            return Table(name: t["name"]?.stringValue ?? "", title: t["title"]?.stringValue ?? "", columns: columns, rows: rows)
        }
    }

    /// The table called `name`.
    public func table(_ name: String) -> Table? { tables.first { $0.name == name } }

    static func array(_ v: JSONValue?) -> [JSONValue] {
        if case .array(let a)? = v { return a }
        return []
    }
}
