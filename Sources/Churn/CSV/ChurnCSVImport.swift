// ChurnCSVImport: loads a CSV (a public churn dataset) into a NEW table with inferred column types, via COPY.
import Foundation
import Learning
import Logging
import PG

/// Imports CSV files so they can be trained on with `model train --from T`.
///
/// Column types come from `CSVTable`'s inference: numeric → double precision, otherwise text.
/// Header names are sanitised into safe lower-case identifiers (and de-duplicated); the table
/// name must be a plain identifier (optionally schema-qualified), must not exist yet, and its
/// schema must exist. Identifiers are quoted; cell values only travel through COPY data.
public enum ChurnCSVImport {
    public static func importCSV(bytes: [UInt8], table tableName: String, database: Database, logger: Logger) async throws -> ChurnCSVImportResult {
        let csv: CSVTable
        do { csv = try CSVTable(bytes: bytes) } catch { throw ModelError(.invalidArgument, "CSV: \(error)") }
        let (schemaPart, namePart) = try ChurnSource.split(tableName)
        let schema = schemaPart ?? "public"
        for part in [schema, namePart] where !isPlainIdentifier(part) {
            throw ModelError(.invalidIdentifier, "'\(part)' is not a plain identifier (letters, digits, _; not starting with a digit)")
        }
        guard try await database.one(ChurnStatements.SchemaExists(schema: schema)) else {
            throw ModelError(.invalidIdentifier, "schema '\(schema)' does not exist")
        }
        let exists = try await database.one(ChurnStatements.RelationExists(schema: schema, name: namePart))
        if exists { throw ModelError(.invalidIdentifier, "\(schema).\(namePart) already exists; import creates a new table") }

        let names = sanitise(csv.header)
        let types = csv.kinds.map { $0 == .numeric ? "double precision" : "text" }
        let create = ChurnStatements.CreateImportTable(schema: schema, name: namePart, columns: Array(zip(names, types)))
        let data = copyData(csv)
        let copied = try await database.transaction { conn in
            try await conn.executeScript(create.sql)
            return try await conn.copyIn(create.copy, data: data)
        }
        logger.notice("imported CSV", metadata: ["table": "\(schema).\(namePart)", "rows": "\(copied)", "columns": "\(names.count)"])
        var result = ChurnCSVImportResult(table: "\(schema).\(namePart)", columns: Array(zip(names, types)), rows: copied)
        result.renamed = zip(csv.header, names).filter { $0 != $1 }.map { (header: $0, column: $1) }
        return result
    }

    /// Lower-case, `[a-z0-9_]` only, no leading digit, at most 63 bytes, unique (`_2`, `_3`… on clashes).
    public static func sanitise(_ header: [String]) -> [String] {
        var seen: Set<String> = []
        return header.enumerated().map { index, raw in
            var out = ""
            var lastUnderscore = false
            for scalar in raw.lowercased().unicodeScalars {
                let ok = (scalar >= "a" && scalar <= "z") || (scalar >= "0" && scalar <= "9")
                if ok { out.unicodeScalars.append(scalar); lastUnderscore = false } else if !lastUnderscore, !out.isEmpty {
                    out += "_"; lastUnderscore = true
                }
            }
            while out.hasSuffix("_") { out.removeLast() }
            if out.isEmpty { out = "column_\(index + 1)" }
            if let first = out.unicodeScalars.first, first >= "0" && first <= "9" { out = "c_" + out }
            out = String(out.prefix(55))
            var candidate = out, k = 2
            while seen.contains(candidate) { candidate = "\(out)_\(k)"; k += 1 }
            seen.insert(candidate)
            return candidate
        }
    }

    static func isPlainIdentifier(_ s: String) -> Bool {
        guard let first = s.unicodeScalars.first, !(first >= "0" && first <= "9"), s.utf8.count <= 63 else { return false }
        return s.unicodeScalars.allSatisfy { ($0 >= "a" && $0 <= "z") || ($0 >= "0" && $0 <= "9") || $0 == "_" }
    }

    /// COPY CSV text: missing cells unquoted (NULL), every present cell quoted with doubled quotes.
    static func copyData(_ csv: CSVTable) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(csv.rowCount * csv.header.count * 8)
        for row in csv.rows {
            for (j, cell) in row.enumerated() {
                if j > 0 { out.append(44) }
                guard let cell else { continue }
                out.append(34)
                for b in cell.utf8 {
                    if b == 34 { out.append(34) }
                    out.append(b)
                }
                out.append(34)
            }
            out.append(10)
        }
        return out
    }
}
