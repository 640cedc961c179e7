// Database: a small pool of connections to one server, replacing broken ones.
import Foundation
import Logging

/// A pool of at most `maxConnections` sessions to one database. Callers borrow a
/// connection for one unit of work; a connection the server dropped is discarded on
/// return and a fresh one is opened on the next borrow, which is how the worker rides
/// out a database restart.
public final class Database: @unchecked Sendable {
    // Safe: all mutable state (`idle`, `open`, `waiters`, `closed`) is under `lock`.
    public let url: String
    public let maxConnections: Int
    public let logger: Logger
    private let applicationName: String
    /// How the sessions behind `url` are shared (see `PoolingMode`).
    public let pooling: PoolingMode
    private let lock = NSLock()
    private var idle: [Connection] = []
    private var open = 0
    private var waiters: [CheckedContinuation<Void, Never>] = []
    private var closed = false

    public init(url: String, maxConnections: Int = 8, applicationName: String = "cs-worker",
                pooling: PoolingMode = .session, logger: Logger) {
        self.url = url
        self.pooling = pooling
        self.maxConnections = max(1, maxConnections)
        self.applicationName = applicationName
        self.logger = logger
    }

    /// Borrows a connection for `body` and returns it afterwards. Throws
    /// `.connectionFailed` when no connection can be opened.
    public func withConnection<T: Sendable>(_ body: (Connection) async throws -> T) async throws -> T {
        let conn = try await acquire()
        do {
            let value = try await body(conn)
            await release(conn)
            return value
        } catch {
            await release(conn)
            throw error
        }
    }

    /// One statement on a borrowed connection.
    @discardableResult
    public func query(_ sql: String, _ params: [any SQLParameter] = []) async throws -> QueryResult {
        try await withConnection { try await $0.query(sql, params) }
    }

    /// One statement on a borrowed connection; returns the rows it touched.
    @discardableResult
    public func execute(_ sql: String, _ params: [any SQLParameter] = []) async throws -> Int {
        try await withConnection { try await $0.execute(sql, params) }
    }

    /// A transaction on a borrowed connection.
    @discardableResult
    public func transaction<T: Sendable>(isolation: IsolationLevel = .readCommitted,
                                         _ body: (Connection) async throws -> T) async throws -> T {
        try await withConnection { try await $0.transaction(isolation: isolation, body) }
    }

    /// Closes idle connections and refuses new borrows.
    public func close() async {
        let toClose: [Connection] = lock.withLock {
            closed = true
            let c = idle
            idle.removeAll()
            open -= c.count
            let w = waiters
            waiters.removeAll()
            w.forEach { $0.resume() }
            return c
        }
        for c in toClose { await c.close() }
    }

    private enum Slot { case reuse(Connection), openNew, wait, closed }

    private func acquire() async throws -> Connection {
        while true {
            let slot: Slot = lock.withLock {
                if closed { return .closed }
                if let c = idle.popLast() { return .reuse(c) }
                if open < maxConnections { open += 1; return .openNew }
                return .wait
            }
            switch slot {
            case .reuse(let c): return c
            case .closed: throw PGError(.usage, "database pool is closed")
            case .openNew:
                do {
                    return try await Connection.connect(url: url, applicationName: applicationName, pooling: pooling, logger: logger)
                } catch {
                    lock.withLock { open -= 1; wakeOne() }
                    throw error
                }
            case .wait:
                await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                    let resumeNow: Bool = lock.withLock {
                        if closed || !idle.isEmpty || open < maxConnections { return true }
                        waiters.append(c)
                        return false
                    }
                    if resumeNow { c.resume() }
                }
            }
        }
    }

    private func release(_ conn: Connection) async {
        if conn.isBroken {
            await conn.close()
            lock.withLock { open -= 1; wakeOne() }
            return
        }
        let closeIt: Bool = lock.withLock {
            if closed { open -= 1; return true }
            idle.append(conn)
            wakeOne()
            return false
        }
        if closeIt { await conn.close() }
    }

    /// Must hold `lock`.
    private func wakeOne() {
        if !waiters.isEmpty { waiters.removeFirst().resume() }
    }
}
