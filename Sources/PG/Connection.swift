// Connection: one libpq connection, driven from its own thread.
import CLibpq
import Foundation
import Logging

/// One PostgreSQL session. Every libpq call runs on the connection's private thread, so
/// awaiting a query never blocks Swift's cooperative pool.
///
/// In `.session` pooling, statements are prepared on first use and reused, which saves the
/// server a parse and plan on hot paths such as claiming jobs. Their names are unique to
/// this process and connection (`cs_<process>_<conn>_<n>`), so behind a pooler that hands
/// a server session from one client to the next, no client can run another's statement
/// under a shared name. If the server says a statement we prepared does not exist (a
/// transaction pooler moved us), the connection switches to unnamed statements for good
/// and retries the statement when it cannot have run. In `.transaction` pooling every
/// statement is unnamed from the start. A connection serves one caller at a time: take it
/// from a `Database` pool, or own it outright.
///
/// `@unchecked Sendable`: `handle`, `statements`, `prepares` and `wasIdle` are touched only on `executor`'s
/// thread; `broken` is under `brokenLock` (the pool reads it from other threads);
/// everything else is immutable.
public final class Connection: @unchecked Sendable {
    private let executor: BlockingExecutor
    private var handle: OpaquePointer?
    private var statements: [String: String] = [:]
    /// False once pooling makes named statements unsafe (configured, or detected).
    private var prepares: Bool
    /// How the session behind this connection is shared.
    public let pooling: PoolingMode
    private let brokenLock = NSLock()
    private var brokenFlag = false
    private var broken: Bool {
        get { brokenLock.withLock { brokenFlag } }
        set { brokenLock.withLock { brokenFlag = newValue } }
    }
    /// A short id for logs (`pg.conn`).
    public let id: Int
    let logger: Logger

    private static let counter = AtomicCounter()
    private static let statementCacheLimit = 512
    /// Part of every statement name, so two processes behind one pooler never collide.
    private static let processTag = String(UInt32.random(in: 0...UInt32.max), radix: 36)

    private init(executor: BlockingExecutor, id: Int, pooling: PoolingMode, logger: Logger) {
        self.executor = executor
        self.id = id
        self.pooling = pooling
        prepares = pooling == .session
        var logger = logger
        logger[metadataKey: "pg.conn"] = "\(id)"
        self.logger = logger
    }

    deinit {
        let h = handle
        let ex = executor
        if let h { ex.enqueue { PQfinish(h) } }
        ex.stop()
    }

    /// Opens a connection from a libpq URL or key/value string (`DATABASE_URL`).
    ///
    /// The session is set to `TimeZone=UTC` and `DateStyle=ISO`, which the text decoders
    /// rely on, with plain `SET`s after start-up rather than the `options` start-up
    /// parameter, which PgBouncer refuses; PgBouncer tracks both settings per client and
    /// re-applies them on whichever server session serves the next transaction. Throws
    /// `.connectionFailed` with libpq's reason.
    public static func connect(url: String, applicationName: String = "cs-worker", pooling: PoolingMode = .session,
                               logger: Logger) async throws -> Connection {
        let id = counter.next()
        let conn = Connection(executor: BlockingExecutor(name: "pg-\(id)"), id: id, pooling: pooling, logger: logger)
        try await conn.executor.run { try conn.open(url: url, applicationName: applicationName) }
        return conn
    }

    /// What every session must say before our decoders can read its values.
    static let sessionSettings = "SET TimeZone TO 'UTC'; SET DateStyle TO 'ISO, MDY'"

    private func open(url: String, applicationName: String) throws {
        let keys = ["dbname", "fallback_application_name", "connect_timeout"]
        let values = [url, applicationName, "10"]
        let h = withCStrings(keys) { k in withCStrings(values) { v in PQconnectdbParams(k, v, 1) } }
        guard let h, PQstatus(h) == CONNECTION_OK else {
            let msg = h.flatMap { PQerrorMessage($0) }.map { String(cString: $0) } ?? "out of memory"
            if let h { PQfinish(h) }
            throw PGError(.connectionFailed, Connection.redact(msg.trimmingCharacters(in: .whitespacesAndNewlines)))
        }
        PQsetNoticeProcessor(h, { _, _ in }, nil)
        if let error = Connection.applySessionSettings(h) {
            PQfinish(h)
            throw PGError(.connectionFailed, "cannot set the session's time zone and date style: \(error.message)",
                          sqlState: error.sqlState)
        }
        handle = h
    }

    /// Runs `sessionSettings` on a fresh session; the server's error when it fails.
    private static func applySessionSettings(_ h: OpaquePointer) -> PGError? {
        let r = PQexec(h, sessionSettings)
        defer { if let r { PQclear(r) } }
        guard let r, PQresultStatus(r) == PGRES_COMMAND_OK else {
            return PGError.from(result: r, connection: h, query: sessionSettings)
        }
        return nil
    }

    /// True once the server or network has dropped this connection; a pool replaces it.
    public var isBroken: Bool {
        // Set by every failed statement that left the connection unusable, and by close():
        // read here without a trip to the connection's thread (the pool asks on every return).
        broken
    }

    /// Runs one statement with `$1…$n` parameters and returns its rows.
    @discardableResult
    public func query(_ sql: String, _ params: [any SQLParameter] = []) async throws -> QueryResult {
        let texts = params.map { $0.sqlText }
        return try await executor.run { try self.runQuery(sql, texts) }
    }

    /// Runs one statement and returns how many rows it touched.
    @discardableResult
    public func execute(_ sql: String, _ params: [any SQLParameter] = []) async throws -> Int {
        try await query(sql, params).affectedRows
    }

    /// Runs a script of several statements with no parameters (migrations, `SET …`).
    public func executeScript(_ sql: String) async throws {
        try await executor.run {
            let h = try self.usableHandle(sql)
            let r = PQexec(h, sql)
            defer { if let r { PQclear(r) } }
            try self.check(r, sql)
        }
    }

    /// Runs `body` inside BEGIN/COMMIT; rolls back when it throws. `.repeatableRead` gives
    /// every statement of `body` one snapshot (a 40001 from it is the caller's to retry).
    @discardableResult
    public func transaction<T: Sendable>(isolation: IsolationLevel = .readCommitted,
                                         _ body: (Connection) async throws -> T) async throws -> T {
        try await execute(isolation == .readCommitted ? "BEGIN" : "BEGIN ISOLATION LEVEL REPEATABLE READ")
        do {
            let value = try await body(self)
            try await execute("COMMIT")
            return value
        } catch {
            _ = try? await execute("ROLLBACK")
            throw error
        }
    }

    /// Streams `data` (COPY text or CSV format, as `sql` says) into the server with
    /// `COPY … FROM STDIN`; returns the rows copied. The fast path for bulk loads.
    @discardableResult
    public func copyIn(_ sql: String, data: [UInt8]) async throws -> Int {
        try await executor.run {
            let h = try self.usableHandle(sql)
            let start = PQexec(h, sql)
            let status = start.map { PQresultStatus($0) }
            if status != PGRES_COPY_IN {
                defer { if let start { PQclear(start) } }
                try self.check(start, sql)
                throw PGError(.usage, "statement did not start COPY FROM STDIN", query: sql)
            }
            if let start { PQclear(start) }
            let chunk = 1 << 20
            var offset = 0
            var failure: String?
            data.withUnsafeBufferPointer { buf in
                while offset < buf.count {
                    let n = min(chunk, buf.count - offset)
                    let rc = buf.baseAddress.map { base in
                        base.advanced(by: offset).withMemoryRebound(to: CChar.self, capacity: n) { PQputCopyData(h, $0, Int32(n)) }
                    } ?? -1
                    if rc != 1 { failure = String(cString: PQerrorMessage(h)); break }
                    offset += n
                }
            }
            _ = PQputCopyEnd(h, failure)
            var copied = 0
            while let r = PQgetResult(h) {
                defer { PQclear(r) }
                try self.check(r, sql)
                copied = Int(String(cString: PQcmdTuples(r))) ?? copied
            }
            return copied
        }
    }

    /// Closes the connection; later calls fail with `.usage`.
    public func close() async {
        _ = try? await executor.run {
            if let h = self.handle { PQfinish(h) }
            self.handle = nil
            self.broken = true
        }
        executor.stop()
    }

    /// The server's backend process id (for `pg_terminate_backend` in tests and ops).
    public func backendPID() async throws -> Int32 {
        try await executor.run { self.handle.map { PQbackendPID($0) } ?? 0 }
    }

    // MARK: - On the executor thread

    private func runQuery(_ sql: String, _ params: [String?]) throws -> QueryResult {
        let h = try usableHandle(sql)
        // Outside a transaction a failed statement changed nothing, so it may be retried.
        let idle = PQtransactionStatus(h) == PQTRANS_IDLE
        do {
            return try runOnce(h, sql, params)
        } catch let error as PGError where prepares && Connection.meansPooled(error) {
            prepares = false
            statements.removeAll()
            logger.warning("the server lost this connection's prepared statements: a transaction pooler is in front of it; using unnamed statements (set CS_POOLING=transaction to say so)",
                           metadata: ["sqlstate": "\(error.sqlState ?? "")"])
            if idle { return try runOnce(h, sql, params) }
            throw error
        }
    }

    /// The handle, checked before a statement is sent. A connection the server closed while
    /// it sat idle (a restart, `pg_terminate_backend`, an idle timeout, a pooler's
    /// `server_idle_timeout`) has left its goodbye and EOF on the socket: seen here, before
    /// anything is sent. Outside a transaction the session is re-opened in place and the
    /// statement goes to the new one — it never reached the old one, so nothing runs twice.
    /// Inside a transaction the transaction is gone with the session: `.connectionLost`.
    private func usableHandle(_ sql: String) throws -> OpaquePointer {
        guard let h = handle, !broken else { throw PGError(.connectionLost, "connection is closed", query: sql) }
        // Bytes waiting on an idle connection are a notice, a parameter report, or the end.
        var rounds = 0
        while rounds < 3, PQstatus(h) == CONNECTION_OK {
            var pfd = pollfd(fd: PQsocket(h), events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 0) > 0 else { break }
            if PQconsumeInput(h) == 0 { break }
            rounds += 1
        }
        if PQstatus(h) == CONNECTION_OK { return h }
        statements.removeAll()
        guard wasIdle else {
            broken = true
            throw PGError(.connectionLost, "the server closed the connection during a transaction", query: sql)
        }
        PQreset(h)
        guard PQstatus(h) == CONNECTION_OK, Connection.applySessionSettings(h) == nil else {
            broken = true
            throw PGError(.connectionLost, "the server closed the idle connection and it could not be re-opened: "
                          + Connection.redact(String(cString: PQerrorMessage(h)).trimmingCharacters(in: .whitespacesAndNewlines)),
                          query: sql)
        }
        logger.notice("the server had closed this idle connection; re-opened it before sending")
        return h
    }

    /// Whether the session was outside a transaction after its last statement.
    private var wasIdle = true

    /// A prepared statement of ours missing, or a name already taken: only a pooler that
    /// moves clients between server sessions does that.
    static func meansPooled(_ error: PGError) -> Bool {
        error.sqlState == "26000" || error.sqlState == "42P05"
    }

    private func runOnce(_ h: OpaquePointer, _ sql: String, _ params: [String?]) throws -> QueryResult {
        var name = prepares ? statements[sql] : nil
        if prepares, name == nil, statements.count < Connection.statementCacheLimit {
            let newName = "cs_\(Connection.processTag)_\(id)_\(statements.count)"
            let r = PQprepare(h, newName, sql, Int32(params.count), nil)
            defer { if let r { PQclear(r) } }
            try check(r, sql)
            statements[sql] = newName
            name = newName
        }
        let r: OpaquePointer? = withOptionalCStrings(params) { values in
            if let name {
                return PQexecPrepared(h, name, Int32(params.count), values, nil, nil, 0)
            }
            return PQexecParams(h, sql, Int32(params.count), nil, values, nil, nil, 0)
        }
        do {
            try check(r, sql)
        } catch {
            if let r { PQclear(r) }
            throw error
        }
        return QueryResult(handle: r, query: sql)
    }

    private func check(_ r: OpaquePointer?, _ sql: String) throws {
        if let h = handle { wasIdle = PQtransactionStatus(h) == PQTRANS_IDLE }
        let status = r.map { PQresultStatus($0) } ?? PGRES_FATAL_ERROR
        switch status {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK, PGRES_EMPTY_QUERY, PGRES_COPY_IN, PGRES_SINGLE_TUPLE:
            return
        default:
            let error = PGError.from(result: r, connection: handle, query: sql)
            if error.isConnectionProblem || handle.map({ PQstatus($0) != CONNECTION_OK }) ?? true {
                broken = true
                statements.removeAll()
            }
            throw error
        }
    }

    /// Removes a password from libpq's messages, which can echo the connection string.
    static func redact(_ message: String) -> String {
        message.replacingOccurrences(of: #"://([^:@/\s]+):[^@/\s]+@"#, with: "://$1:***@", options: .regularExpression)
            .replacingOccurrences(of: #"password=\S+"#, with: "password=***", options: .regularExpression)
    }
}

/// Hands a C array of C strings to `body`; the strings live until it returns.
func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    let cs: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    defer { cs.forEach { free($0) } }
    var ptrs: [UnsafePointer<CChar>?] = cs.map { $0.map { UnsafePointer($0) } }
    ptrs.append(nil)
    return ptrs.withUnsafeBufferPointer { body($0.baseAddress) }
}

/// Like `withCStrings`, with `nil` entries passed as NULL pointers (SQL NULL).
func withOptionalCStrings<R>(_ strings: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R) -> R {
    if strings.isEmpty { return body(nil) }
    let cs: [UnsafeMutablePointer<CChar>?] = strings.map { $0.flatMap { strdup($0) } }
    defer { cs.forEach { free($0) } }
    let ptrs: [UnsafePointer<CChar>?] = cs.map { $0.map { UnsafePointer($0) } }
    return ptrs.withUnsafeBufferPointer { body($0.baseAddress) }
}

/// A thread-safe counter for connection ids.
final class AtomicCounter: @unchecked Sendable {
    // Safe: `value` is only touched under `lock`.
    private let lock = NSLock()
    private var value = 0
    func next() -> Int { lock.lock(); defer { lock.unlock() }; value += 1; return value }
}

/// A transaction's isolation level (the two this code base uses).
public enum IsolationLevel: Sendable {
    case readCommitted
    /// One snapshot for the whole transaction.
    case repeatableRead
}
