// ChurnSource: a user-named view or table, validated against pg_catalog and quoted, never interpolated raw.
import PG

/// A relation (table, view, materialised view) that exists, with its columns as the catalog
/// describes them. Names given by users (`--from`, job arguments) become SQL only through this type:
/// they are looked up as parameters in `pg_catalog`, and only the catalog's own spelling is quoted
/// into statements.
public struct ChurnSource: Sendable, Equatable {
    /// How a column is read into a model's raw table.
    public enum ColumnUse: String, Sendable, Equatable {
        /// Numbers: read as double precision.
        case numeric
        /// Text, booleans, enums: read as text categories.
        case categorical
        /// Dates, timestamps, intervals: not a feature unless asked for, then read as epoch seconds.
        case temporal
        /// Anything else (arrays, JSON, geometry): never a feature.
        case unsupported
    }

    /// One column of the relation.
    public struct Column: Sendable, Equatable {
        public let name: String
        public let type: String
        public let use: ColumnUse
    }

    public let schema: String
    public let name: String
    public let columns: [Column]

    /// `"schema"."name"`, safe to put in SQL.
    public var quotedName: String { DatabaseURL.quoteIdentifier(schema) + "." + DatabaseURL.quoteIdentifier(name) }
    /// `schema.name`, for logs and the registry.
    public var displayName: String { "\(schema).\(name)" }

    /// The column called `name`; failing an exact match, the one column whose name matches
    /// ignoring case (`--label Churn` finds `churn`: imports and unquoted SQL lower-case names).
    public func column(_ name: String) -> Column? {
        if let exact = columns.first(where: { $0.name == name }) { return exact }
        let folded = columns.filter { $0.name.lowercased() == name.lowercased() }
        return folded.count == 1 ? folded[0] : nil
    }

    /// The column or an `.invalidIdentifier` error naming the relation.
    public func require(_ name: String) throws -> Column {
        guard let c = column(name) else { throw ModelError(.invalidIdentifier, "column '\(name)' does not exist in \(displayName)") }
        return c
    }

    /// Resolves `schema.name` or `name` (searched in the session's schemas, then `cs`).
    /// Throws `.invalidIdentifier` when the text is malformed or names no relation.
    public static func resolve(_ text: String, on database: Database) async throws -> ChurnSource {
        let (schema, name) = try split(text)
        guard let found = try await database.first(ChurnStatements.FindRelation(schema: schema, name: name)) else {
            throw ModelError(.invalidIdentifier, "no table or view named '\(text)'")
        }
        let (realSchema, realName) = found
        let columns = try await database.rows(ChurnStatements.RelationColumns(schema: realSchema, name: realName))
        return ChurnSource(schema: realSchema, name: realName, columns: columns)
    }

    /// Splits `a.b` / `b`; rejects empty parts, more than one dot and control characters.
    static func split(_ text: String) throws -> (schema: String?, name: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard (1...2).contains(parts.count), parts.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 63 }),
              !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw ModelError(.invalidIdentifier, "'\(text.prefix(80))' is not a relation name (schema.name or name)")
        }
        return parts.count == 2 ? (parts[0], parts[1]) : (nil, parts[0])
    }

    static func use(category: String) -> ColumnUse {
        switch category {
        case "N": return .numeric
        case "S", "B", "E": return .categorical
        case "D", "T": return .temporal
        default: return .unsupported
        }
    }

    /// A select-list expression reading `column` in the form its `use` needs.
    func selectExpression(_ column: Column) -> String {
        let q = DatabaseURL.quoteIdentifier(column.name)
        switch column.use {
        case .numeric: return "\(q)::double precision"
        case .temporal: return column.type.hasPrefix("interval") ? "extract(epoch from \(q))::double precision"
                                                              : "extract(epoch from \(q)::timestamptz)::double precision"
        case .categorical, .unsupported: return "\(q)::text"
        }
    }
}
