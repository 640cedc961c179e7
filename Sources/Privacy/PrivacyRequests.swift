// PrivacyRequests: GDPR erasure (Art. 17) and export (Art. 15/20) of a contact or an account.
// The work is done by SQL functions in sql/0015_erasure.sql, each in one transaction.
import Basics
import Foundation
import Logging
import PG

public enum PrivacySubject: Sendable, Equatable {
    case contact(Int64)
    case account(Int64)
    var kind: String { if case .contact = self { return "contact" } else { return "account" } }
    var id: Int64 { switch self { case .contact(let i), .account(let i): return i } }
}

/// A request as `privacy requests` lists it: ids, dates, counts — no personal data.
public struct PrivacyRequestRow: Sendable, Codable, Equatable {
    public let id: Int64
    public let kind: String
    public let subjectKind: String
    public let subjectID: Int64
    public let status: String
    public let receivedAt: Date
    public let dueBy: Date
    public let completedAt: Date?
    public let overdue: Bool
    public let counts: String
    public let kept: String
    public let error: String?
}

public struct PrivacyRequestError: Error, CustomStringConvertible, Sendable {
    public let description: String
}

/// The private half of the PII key (ASCII-armored OpenPGP), held by the worker only
/// (`CS_PII_PRIVATE_KEY`, a reference), passed to the database for one transaction at a time.
public struct PIIKey: Sendable {
    let armored: String
    let passphrase: String
    public init(armored: String, passphrase: String = "") { self.armored = armored; self.passphrase = passphrase }
}

public struct PrivacyRequests: Sendable {
    public let database: Database
    let logger: Logger
    public init(database: Database, logger: Logger) { self.database = database; self.logger = logger }

    /// Files a request (and queues its job, which a worker runs unless it is done first).
    public func file(_ kind: String, _ subject: PrivacySubject, basis: String) async throws -> Int64 {
        try await database.one(Statements.File(kind: kind, subjectKind: subject.kind, subjectID: subject.id, basis: basis))
    }

    /// Carries out erasure request `id`: every copy, in one transaction. A failure (an unknown
    /// or already erased subject) is written on the request row and thrown; nothing is half done.
    @discardableResult
    public func erase(request id: Int64, actor: String, key: PIIKey? = nil) async throws -> String {
        try await failingRequest(id, "erasure") {
            try await database.transaction { c in
                if let key { try await c.execute(Statements.UseKey(key: key)) }
                return try await c.one(Statements.Erase(requestID: id, actor: actor))
            }
        }
    }

    /// The subject's document (docs/PRIVACY.md), written to `path`; the request row gets the
    /// counts. A path that cannot be written fails the request with the reason.
    public func export(request id: Int64, to path: String, actor: String, key: PIIKey? = nil) async throws -> Int {
        guard let r = try await database.first(Statements.One(id: id)) else { throw PrivacyRequestError(description: "no privacy request \(id)") }
        let document = try await failingRequest(id, "export") {
            try await database.transaction { c in
                if let key { try await c.execute(Statements.UseKey(key: key)) }
                return try await c.one(Statements.Export(subjectKind: r.subjectKind, subjectID: r.subjectID))
            }
        }
        do {
            try Data(document.utf8).write(to: URL(fileURLWithPath: path), options: [.atomic])
        } catch {
            let reason = "cannot write \(path): \((error as NSError).localizedDescription)"
            try await database.execute(Statements.Fail(requestID: id, error: reason))
            throw PrivacyRequestError(description: "export request \(id) failed: \(reason)")
        }
        try await database.execute(Statements.ExportDone(requestID: id, bytes: document.utf8.count, actor: actor))
        return document.utf8.count
    }

    /// Runs one request's statement; a refusal by the server (an unknown or erased subject, a
    /// missing or wrong key) is written on the request row and thrown with the reason. A lost
    /// connection is thrown as it is: the job's retry runs the request again.
    private func failingRequest<T: Sendable>(_ id: Int64, _ what: String, _ body: () async throws -> T) async throws -> T {
        do { return try await body() } catch let e as PGError where e.sqlState != nil && !e.isConnectionProblem {
            try await database.execute(Statements.Fail(requestID: id, error: e.message))
            throw PrivacyRequestError(description: "\(what) request \(id) failed: \(e.message)")
        }
    }

    public func list(limit: Int = 100) async throws -> [PrivacyRequestRow] { try await database.rows(Statements.List(limit: limit)) }

    /// Makes `key` the active PII key and re-encrypts every contact with it, in batches
    /// (`previous` decrypts what the old key encrypted). Returns contacts re-encrypted.
    public func rotateKey(publicKey: String, previous: PIIKey?, actor: String) async throws -> Int {
        let keyID = try await database.transaction { c in try await c.one(Statements.InstallKey(publicKey: publicKey)) }
        var total = 0
        while true {
            let n = try await database.transaction { c in
                try await c.one(Statements.Reencrypt(key: previous ?? PIIKey(armored: ""), batch: 1000))
            }
            total += n
            if n == 0 { break }
        }
        try await database.execute(Statements.Audited(action: "pii_key_rotation", keyID: keyID, rows: total, actor: actor))
        return total
    }

    enum Statements {
        struct UseKey: Statement {
            var key: PIIKey
            var sql: String { "SELECT set_config('cs.pii_private_key', $1, true), set_config('cs.pii_passphrase', $2, true)" }
            var bindings: [any SQLParameter] { [key.armored, key.passphrase] }
        }
        struct InstallKey: Statement {
            var publicKey: String
            var sql: String {
                """
                WITH off AS (UPDATE cs.pii_keys SET active = false WHERE active RETURNING id)
                INSERT INTO cs.pii_keys (public_key, active) SELECT $1, true FROM (SELECT count(*) FROM off) o RETURNING id
                """
            }
            var bindings: [any SQLParameter] { [publicKey] }
            func decode(_ r: Row) throws -> Int { try r.decode(Int.self, 0) }
        }
        struct Reencrypt: Statement {
            var key: PIIKey
            var batch: Int
            var sql: String { "SELECT cs.reencrypt_contacts(nullif($1, ''), $2, $3)" }
            var bindings: [any SQLParameter] { [key.armored, key.passphrase, batch] }
            func decode(_ r: Row) throws -> Int { try r.decode(Int.self, 0) }
        }
        struct Audited: Statement {
            var action: String
            var keyID: Int
            var rows: Int
            var actor: String
            var sql: String { "SELECT cs.audit($1, 'pii_key', $2::text, jsonb_build_object('contacts', $3::int), '{}'::jsonb, $4)" }
            var bindings: [any SQLParameter] { [action, keyID, rows, actor] }
        }
        struct File: Statement {
            var kind, subjectKind: String
            var subjectID: Int64
            var basis: String
            var sql: String { "SELECT cs.file_privacy_request($1, $2, $3, $4)" }
            var bindings: [any SQLParameter] { [kind, subjectKind, subjectID, basis] }
            func decode(_ r: Row) throws -> Int64 { try r.decode(Int64.self, 0) }
        }
        struct Erase: Statement {
            var requestID: Int64
            var actor: String
            var sql: String { "SELECT cs.erase_subject($1, $2)::text" }
            var bindings: [any SQLParameter] { [requestID, actor] }
            func decode(_ r: Row) throws -> String { try r.decode(String.self, 0) }
        }
        struct Export: Statement {
            var subjectKind: String
            var subjectID: Int64
            var sql: String { "SELECT jsonb_pretty(cs.export_subject($1, $2))" }
            var bindings: [any SQLParameter] { [subjectKind, subjectID] }
            func decode(_ r: Row) throws -> String { try r.decode(String.self, 0) }
        }
        struct ExportDone: Statement {
            var requestID: Int64
            var bytes: Int
            var actor: String
            var sql: String {
                """
                WITH r AS (
                    UPDATE cs.privacy_requests SET status = 'done', completed_at = now(), error = NULL,
                           counts = jsonb_build_object('bytes', $2::int) WHERE id = $1
                    RETURNING subject_kind, subject_id
                )
                SELECT cs.audit('export', r.subject_kind, r.subject_id::text, jsonb_build_object('bytes', $2::int),
                                jsonb_build_object('request_id', $1::bigint), $3) FROM r
                """
            }
            var bindings: [any SQLParameter] { [requestID, bytes, actor] }
        }
        struct Fail: Statement {
            var requestID: Int64
            var error: String
            var sql: String { "UPDATE cs.privacy_requests SET status = 'failed', error = left($2, 500) WHERE id = $1 AND status <> 'done'" }
            var bindings: [any SQLParameter] { [requestID, error] }
        }
        struct One: Statement {
            var id: Int64
            var sql: String { "SELECT subject_kind, subject_id FROM cs.privacy_requests WHERE id = $1 AND kind = 'export'" }
            var bindings: [any SQLParameter] { [id] }
            func decode(_ r: Row) throws -> (subjectKind: String, subjectID: Int64) { (try r.decode(String.self, 0), try r.decode(Int64.self, 1)) }
        }
        struct List: Statement {
            var limit: Int
            var sql: String {
                """
                SELECT id, kind, subject_kind, subject_id, status, received_at, due_by, completed_at,
                       status <> 'done' AND due_by < now(), counts::text, kept::text, error
                FROM cs.privacy_requests ORDER BY id DESC LIMIT $1
                """
            }
            var bindings: [any SQLParameter] { [limit] }
            func decode(_ r: Row) throws -> PrivacyRequestRow {
                PrivacyRequestRow(id: try r.decode(Int64.self, 0), kind: try r.decode(String.self, 1), subjectKind: try r.decode(String.self, 2),
                                  subjectID: try r.decode(Int64.self, 3), status: try r.decode(String.self, 4),
                                  receivedAt: try r.decode(Date.self, 5), dueBy: try r.decode(Date.self, 6),
                                  completedAt: try r.decodeIfPresent(Date.self, 7), overdue: try r.decode(Bool.self, 8),
                                  counts: try r.decode(String.self, 9), kept: try r.decode(String.self, 10), error: try r.decodeIfPresent(String.self, 11))
            }
        }
    }
}
