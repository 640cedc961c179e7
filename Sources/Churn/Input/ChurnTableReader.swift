// ChurnTableReader: streams chosen columns of a validated source into a RawTable through a cursor.
import Learning
import PG

/// Reads feature columns (plus an optional key and label column) of a `ChurnSource`.
///
/// Rows come through a server-side cursor in pages, so a large view never sits in one libpq
/// result; the read-only transaction that holds the cursor ends before anything is computed.
struct ChurnTableReader: Sendable {
    let source: ChurnSource
    /// Feature columns, in model order.
    let features: [ChurnSource.Column]
    /// A bigint key column to return beside the rows (`account_id` for predictions).
    var key: ChurnSource.Column?
    /// A column returned as raw text (the label), not as a feature.
    var label: ChurnSource.Column?
    var pageSize = 10_000

    /// What was read: features as a raw table, plus keys and label cells row by row.
    struct Result: Sendable {
        var table: RawTable
        var keys: [Int64]
        var labels: [String?]
    }

    /// Reads every row, or only rows whose key is in `keys` (a parameter, never SQL text).
    func read(on database: Database, onlyKeys keys: [Int64]? = nil) async throws -> Result {
        var exprs = features.map(source.selectExpression)
        if let key { exprs.append("\(DatabaseURL.quoteIdentifier(key.name))::bigint") }
        if let label { exprs.append(source.selectExpression(ChurnSource.Column(name: label.name, type: label.type, use: .categorical))) }
        let select = "SELECT \(exprs.joined(separator: ", ")) FROM \(source.quotedName)"
        var numeric = features.map { $0.use != .categorical ? [Double]() : nil }
        var text = features.map { $0.use == .categorical ? [String?]() : nil }
        var keyValues: [Int64] = [], labelValues: [String?] = []

        func absorb(_ result: [Row]) throws {
            for row in result {
                for j in features.indices {
                    if numeric[j] != nil { numeric[j]?.append(try row.decodeIfPresent(Double.self, j) ?? .nan) }
                    else { text[j]?.append(try row.decodeIfPresent(String.self, j)) }
                }
                var next = features.count
                if key != nil { keyValues.append(try row.decode(Int64.self, next)); next += 1 }
                if label != nil { labelValues.append(try row.decodeIfPresent(String.self, next)) }
            }
        }

        let read = ChurnStatements.ReadSource(select: select, keyColumn: key?.name, keys: key == nil ? nil : keys)
        if read.keys != nil {
            try absorb(try await database.rows(read))
        } else {
            let page = ChurnStatements.FetchPage(rows: pageSize)
            try await database.withConnection { conn in
                try await conn.transaction { conn in
                    try await conn.executeScript(read.openCursor)
                    while true {
                        let r = try await conn.rows(page)
                        try absorb(r)
                        if r.count < pageSize { break }
                    }
                    try await conn.executeScript(ChurnStatements.ReadSource.closeCursor)
                }
            }
        }
        let columns: [RawTable.Column] = features.indices.map { j in
            if let n = numeric[j] { return .numeric(n) }
            return .categorical(text[j] ?? [])
        }
        do {
            let table = try RawTable(names: features.map(\.name), columns: columns)
            return Result(table: table, keys: keyValues, labels: labelValues)
        } catch {
            throw ModelError(.learning, "reading \(source.displayName): \(error)")
        }
    }
}
