// HTTPListener: the worker's one HTTP listener (Hummingbird) — /metrics, /healthz, /readyz,
// and whatever routes the console adds. Off unless asked for; binds loopback by default.
import Foundation
import Hummingbird
import Logging
import NIOCore
import PG

/// `host:port`, `[v6]:port` or `:port` (loopback). Port 0 picks a free port.
public struct HTTPAddress: Sendable, Equatable, CustomStringConvertible {
    public let host: String
    public let port: Int

    public init(host: String, port: Int) { self.host = host; self.port = port }

    public init(parsing text: String) throws {
        let t = text.trimmingCharacters(in: .whitespaces)
        guard let colon = t.lastIndex(of: ":"), let port = Int(t[t.index(after: colon)...]), (0...65535).contains(port) else {
            throw PGError(.usage, "HTTP address '\(text)' is not HOST:PORT (for example 127.0.0.1:9464 or [::1]:9464)")
        }
        var host = String(t[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.init(host: host.isEmpty ? "127.0.0.1" : host, port: port)
    }

    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}

/// Whether this process may take traffic: the database answers and every migration this
/// build knows of has been applied.
public struct Readiness: Sendable {
    public let database: Database
    /// The newest migration version this build ships (nil: not checked).
    public let expectedVersion: Int?
    public init(database: Database, expectedVersion: Int?) { self.database = database; self.expectedVersion = expectedVersion }

    /// nil when ready, else why not (no secrets: SQLSTATE and libpq's reason only).
    public func problem() async -> String? {
        do {
            let applied = try await database.one(AppliedVersion())
            if let expectedVersion, applied < expectedVersion {
                return "migrations behind: database at \(applied), this build needs \(expectedVersion) (run cs-worker migrate)"
            }
            return nil
        } catch let e as PGError {
            return "database not reachable: \(e.code)\(e.sqlState.map { " SQLSTATE \($0)" } ?? "")"
        } catch {
            return "database not reachable"
        }
    }

    struct AppliedVersion: Statement {
        var sql: String { "SELECT coalesce(max(version), 0) FROM cs.schema_migrations" }
        func decode(_ r: Row) throws -> Int { try r.decode(Int.self, 0) }
    }
}

/// The listener. `run()` serves until its task is cancelled.
public struct HTTPListener: Sendable {
    public typealias Context = BasicRequestContext
    public let address: HTTPAddress
    let responder: RouterResponder<Context>
    let logger: Logger

    /// `addRoutes` lets the console hang its pages off the same router.
    public init(address: HTTPAddress, metrics: PrometheusMetrics, readiness: Readiness, logger: Logger,
                addRoutes: (Router<Context>) -> Void = { _ in }) {
        self.address = address
        self.logger = logger
        let router = Router(context: Context.self)
        router.get("/metrics") { _, _ -> Response in
            var buffer = ByteBuffer()
            buffer.writeBytes(metrics.exposition())
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: ResponseBody(byteBuffer: buffer))
        }
        router.get("/healthz") { _, _ -> Response in Self.text(.ok, "ok\n") }
        router.get("/readyz") { _, _ -> Response in
            if let problem = await readiness.problem() { return Self.text(.serviceUnavailable, "not ready: \(problem)\n") }
            return Self.text(.ok, "ready\n")
        }
        addRoutes(router)
        self.responder = router.buildResponder()
    }

    static func text(_ status: HTTPResponse.Status, _ body: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
    }

    /// Serves until cancelled; `onBound` gets the port actually bound (for port 0).
    public func run(onBound: @escaping @Sendable (Int) -> Void = { _ in }) async throws {
        let logger = self.logger
        let address = self.address
        let app = Application(responder: responder, configuration: .init(address: .hostname(address.host, port: address.port), serverName: "cs-worker"),
                              onServerRunning: { channel in
                                  let port = channel.localAddress?.port ?? address.port
                                  logger.notice("HTTP listener up", metadata: ["address": "\(HTTPAddress(host: address.host, port: port))"])
                                  onBound(port)
                              }, logger: logger)
        try await app.run()
    }
}
