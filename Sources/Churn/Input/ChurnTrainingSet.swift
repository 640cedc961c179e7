// ChurnTrainingSet: a labelled training table read from any view or table (cs.account_features by default).
import Learning
import PG

/// Labelled rows for training: features as a `RawTable` and 0/1 labels.
///
/// Feature choice: the columns asked for, or every column except the label, id-like columns
/// (`id`, `*_id`), columns in `drop`, temporal columns (cut-off dates are bookkeeping, not
/// behaviour) and unsupported types. Numbers are numeric features; text, booleans and enums are
/// categories; NULL is missing. Rows whose label is NULL (outcome not known yet) are left out.
public struct ChurnTrainingSet: Sendable {
    public let source: ChurnSource
    public let label: String
    /// Input columns the model is trained on.
    public let features: [String]
    public let table: RawTable
    public let labels: [Double]
    /// Rows skipped because their label was NULL.
    public let unlabelledRows: Int

    public var positives: Int { labels.reduce(0) { $0 + ($1 > 0.5 ? 1 : 0) } }

    /// Reads the set. `extraColumns` are read too (for re-scoring a champion trained on other
    /// columns) but are not in `features`; `positiveValue` says which label text counts as churn.
    public static func load(from database: Database, source sourceName: String, label: String, features: [String]? = nil,
                            drop: [String] = [], extraColumns: [String] = [], positiveValue: String? = nil,
                            allowPersonalData: Bool = false, pageSize: Int = 10_000) async throws -> ChurnTrainingSet {
        let source = try await ChurnSource.resolve(sourceName, on: database)
        if personalDataSources.contains(source.displayName), !allowPersonalData {
            throw ModelError(.unusableColumn, "\(source.displayName) holds personal data; train on it only with allow_personal_data (--allow-personal-data)")
        }
        let labelColumn = try source.require(label)
        guard labelColumn.use != .unsupported, labelColumn.use != .temporal else {
            throw ModelError(.unusableColumn, "label '\(label)' has type \(labelColumn.type); use boolean, number or text")
        }
        let chosen = try chooseFeatures(source, label: labelColumn.name, requested: features, drop: Set(drop))
        guard !chosen.isEmpty else { throw ModelError(.insufficientData, "no feature columns left in \(source.displayName)") }
        var readColumns = chosen
        for name in extraColumns where !readColumns.contains(where: { $0.name == name }) {
            if let c = source.column(name), c.use != .unsupported { readColumns.append(c) }
        }
        let reader = ChurnTableReader(source: source, features: readColumns, key: nil, label: labelColumn, pageSize: pageSize)
        let raw = try await reader.read(on: database)
        var keep: [Int] = [], y: [Double] = []
        for (i, cell) in raw.labels.enumerated() {
            guard let cell else { continue }
            keep.append(i)
            y.append(isPositive(cell, positiveValue: positiveValue) ? 1 : 0)
        }
        guard !keep.isEmpty else { throw ModelError(.insufficientData, "\(source.displayName) has no labelled rows") }
        let table: RawTable
        do { table = keep.count == raw.table.rowCount ? raw.table : try raw.table.rows(keep) } catch {
            throw ModelError(.learning, "\(error)")
        }
        // Chosen by default, a text column unique on nearly every row is an identifier: drop it.
        var featureNames = chosen.map(\.name)
        if features?.isEmpty ?? true {
            let unique = Set(featureNames.filter { name in
                table.index(of: name).map { uniquePerRow(table.columns[$0], rows: table.rowCount) } ?? false
            })
            if !unique.isEmpty {
                featureNames.removeAll { unique.contains($0) }
                guard !featureNames.isEmpty else { throw ModelError(.insufficientData, "no feature columns left in \(source.displayName)") }
            }
        }
        return ChurnTrainingSet(source: source, label: labelColumn.name, features: featureNames, table: table, labels: y,
                                unlabelledRows: raw.labels.count - keep.count)
    }

    /// The requested columns (each must exist and be usable), or the default choice described above.
    static func chooseFeatures(_ source: ChurnSource, label: String, requested: [String]?, drop: Set<String>) throws -> [ChurnSource.Column] {
        if let requested, !requested.isEmpty {
            return try requested.map { name in
                let c = try source.require(name)
                guard name != label else { throw ModelError(.unusableColumn, "the label '\(label)' cannot be a feature") }
                guard c.use != .unsupported else { throw ModelError(.unusableColumn, "column '\(name)' has unsupported type \(c.type)") }
                guard !isIDLike(c.name) else { throw ModelError(.unusableColumn, "column '\(name)' is an identifier, not behaviour") }
                guard !isPersonalData(c.name) else {
                    throw ModelError(.unusableColumn, "column '\(name)' looks like personal data; a model would store its values")
                }
                return c
            }
        }
        return source.columns.filter { c in
            c.name != label && !drop.contains(c.name) && !isIDLike(c.name) && !isPersonalData(c.name)
                && (c.use == .numeric || c.use == .categorical)
        }
    }

    /// Keys, not behaviour: `id`, `*_id`, `*_uuid`, and the run-together spellings CSV
    /// headers use once lower-cased (`customerID` → `customerid`, `AccountId` → `accountid`).
    static func isIDLike(_ name: String) -> Bool {
        let n = name.lowercased()
        if n == "id" || n.hasSuffix("_id") || n == "uuid" || n.hasSuffix("_uuid") || n.hasSuffix("_key") { return true }
        let owners = ["customer", "account", "user", "client", "contact", "member", "subscriber", "order", "row", "record", "person"]
        return owners.contains { n == $0 + "id" || n == $0 + "uuid" || n == $0 + "number" || n == $0 + "_number" }
    }

    /// Columns that look like personal data (contact details, names, addresses): never
    /// features, so a model never stores their raw values as categories.
    static func isPersonalData(_ name: String) -> Bool {
        let n = name.lowercased()
        let words = n.split(whereSeparator: { $0 == "_" || $0 == " " }).map(String.init)
        let exact: Set<String> = ["email", "e_mail", "mail", "phone", "mobile", "telephone", "name", "first_name", "last_name",
                                  "full_name", "surname", "address", "street", "postcode", "postal_code", "zip", "zip_code",
                                  "ip", "ip_address", "birth_date", "date_of_birth", "dob", "ssn", "iban"]
        if exact.contains(n) { return true }
        let telling: Set<String> = ["email", "phone", "mobile", "surname", "firstname", "lastname", "fullname", "address", "postcode", "iban", "ssn"]
        return words.contains { telling.contains($0) } || n.hasSuffix("email") || n.hasSuffix("phone") || n.hasSuffix("name") && n != "plan_name"
    }

    /// Relations that hold personal data: refused as training sources unless asked for.
    static let personalDataSources: Set<String> = ["cs.contacts"]

    /// A text column with a distinct value on (nearly) every row is an identifier or a
    /// personal detail (an email, a name), not a category: left out of the default choice.
    static func uniquePerRow(_ column: RawTable.Column, rows: Int) -> Bool {
        guard case .categorical(let values) = column, rows >= 20 else { return false }
        var seen = Set<String>()
        for v in values { if let v { seen.insert(v) } }
        return Double(seen.count) > 0.9 * Double(rows)
    }

    /// Booleans `true`, numbers other than 0, and the usual yes-spellings are churn (or exactly `positiveValue`).
    static func isPositive(_ cell: String, positiveValue: String?) -> Bool {
        if let positiveValue {
            if cell == positiveValue { return true }
            if let a = CSVTable.parseNumber(cell), let b = CSVTable.parseNumber(positiveValue) { return a == b }
            return false
        }
        if let number = CSVTable.parseNumber(cell) { return number != 0 }
        return CSVEvaluation.defaultPositiveValues.contains(cell.lowercased())
    }
}
