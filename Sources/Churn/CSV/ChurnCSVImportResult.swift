// ChurnCSVImportResult: what `model import-csv` created.

/// Result of an import: the table created, its columns and the rows copied.
public struct ChurnCSVImportResult: Sendable, Equatable {
    public let table: String
    public let columns: [(name: String, type: String)]
    public let rows: Int
    /// CSV header names that had to change to become column names (`Churn` → `churn`).
    public var renamed: [(header: String, column: String)] = []

    public static func == (a: Self, b: Self) -> Bool {
        a.table == b.table && a.rows == b.rows && a.columns.map(\.name) == b.columns.map(\.name) && a.columns.map(\.type) == b.columns.map(\.type)
    }
}
