// Statement: one SQL statement as a type — its text, its parameters and its row decoding in
// one place (the shape of postgres-nio's PostgresPreparedStatement).
import Foundation

/// A statement a module runs. Its fields are the parameters, bound in `bindings` in the
/// order of `$1…$n`, so no caller assembles positional parameters; `decode` reads one row
/// beside the SQL that produced it.
///
///     struct DeleteWorker: Statement {
///         var workerID: String
///         var sql: String { "DELETE FROM cs.workers WHERE id = $1" }
///         var bindings: [any SQLParameter] { [workerID] }
///     }
///     try await db.execute(DeleteWorker(workerID: id))
///
/// Every statement with parameters is prepared once per connection and reused.
public protocol Statement: Sendable {
    /// What one row decodes to; `Void` for statements whose rows nobody reads.
    associatedtype Output: Sendable = Void
    /// The SQL text with `$1…$n` placeholders. Never built from input: identifiers that
    /// must vary (a validated view name) are quoted by the statement itself.
    var sql: String { get }
    /// The parameters, in placeholder order.
    var bindings: [any SQLParameter] { get }
    /// Decodes one row of the result.
    func decode(_ row: Row) throws -> Output
}

extension Statement {
    public var bindings: [any SQLParameter] { [] }
}

extension Statement where Output == Void {
    public func decode(_ row: Row) throws {}
}

extension Connection {
    /// Runs `statement`; returns the rows it inserted, updated or deleted.
    @discardableResult
    public func execute<S: Statement>(_ statement: S) async throws -> Int {
        try await query(statement.sql, statement.bindings).affectedRows
    }

    /// Runs `statement` and decodes every row.
    public func rows<S: Statement>(_ statement: S) async throws -> [S.Output] {
        let result = try await query(statement.sql, statement.bindings)
        var out: [S.Output] = []
        out.reserveCapacity(result.count)
        for row in result { out.append(try statement.decode(row)) }
        return out
    }

    /// Runs `statement` and decodes its first row, if any.
    public func first<S: Statement>(_ statement: S) async throws -> S.Output? {
        let result = try await query(statement.sql, statement.bindings)
        return try result.first.map(statement.decode)
    }

    /// Runs `statement` and decodes its one row; throws `.decoding` when there is none.
    public func one<S: Statement>(_ statement: S) async throws -> S.Output {
        guard let value = try await first(statement) else {
            throw PGError(.decoding, "statement returned no row", query: statement.sql)
        }
        return value
    }
}

extension Database {
    /// Runs `statement` on a borrowed connection; returns the rows it touched.
    @discardableResult
    public func execute<S: Statement>(_ statement: S) async throws -> Int {
        try await withConnection { try await $0.execute(statement) }
    }

    /// Runs `statement` on a borrowed connection and decodes every row.
    public func rows<S: Statement>(_ statement: S) async throws -> [S.Output] {
        try await withConnection { try await $0.rows(statement) }
    }

    /// Runs `statement` on a borrowed connection and decodes its first row, if any.
    public func first<S: Statement>(_ statement: S) async throws -> S.Output? {
        try await withConnection { try await $0.first(statement) }
    }

    /// Runs `statement` on a borrowed connection and decodes its one row.
    public func one<S: Statement>(_ statement: S) async throws -> S.Output {
        try await withConnection { try await $0.one(statement) }
    }
}
