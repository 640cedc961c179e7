// LoopbackPgBouncer: Debian's real PgBouncer on 127.0.0.1, in front of a PostgreSQL server.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// A private PgBouncer process proxying every database of one PostgreSQL server, in
/// session or transaction pool mode, for the tests and `cs-worker bench fleet`. Trust
/// authentication, loopback only. `stop()` ends it; deinit kills it if still running.
public final class LoopbackPgBouncer: @unchecked Sendable {
    // Safe: every stored property is set once in init.
    /// `session` or `transaction` (PgBouncer's `pool_mode`).
    public let poolMode: String
    public let port: UInt16
    /// Server connections per database and user (`default_pool_size`).
    public let poolSize: Int
    public let user: String
    private let process: Process
    private let directory: URL

    /// Starts PgBouncer in front of `upstreamURL` (a `postgresql://user@host:port/…` URL).
    public init(upstreamURL: String, poolMode: String, poolSize: Int) async throws {
        guard let comps = URLComponents(string: upstreamURL), let host = comps.host else {
            throw LoopbackPgBouncerError("the upstream must be a postgresql:// URL")
        }
        guard poolMode == "session" || poolMode == "transaction" else { throw LoopbackPgBouncerError("pool mode \(poolMode)?") }
        let binary = ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let binary else { throw LoopbackPgBouncerError("pgbouncer is not installed (apt-get install pgbouncer; ops/install-deps.sh --tests does)") }
        self.poolMode = poolMode
        self.poolSize = poolSize
        user = comps.user ?? "postgres"
        port = try LoopbackSocket.unusedPort()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("pgbouncer-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                attributes: [.posixPermissions: 0o777])
        let ini = """
            [databases]
            * = host=\(host) port=\(comps.port ?? 5432)
            [pgbouncer]
            listen_addr = 127.0.0.1
            listen_port = \(port)
            unix_socket_dir =
            auth_type = trust
            auth_file = \(directory.path)/userlist.txt
            admin_users = \(user)
            pool_mode = \(poolMode)
            default_pool_size = \(poolSize)
            max_client_conn = 5000
            server_login_retry = 1
            logfile = \(directory.path)/pgbouncer.log
            pidfile = \(directory.path)/pgbouncer.pid

            """
        try ini.write(to: directory.appendingPathComponent("pgbouncer.ini"), atomically: true, encoding: .utf8)
        try "\"\(user)\" \"\"\n".write(to: directory.appendingPathComponent("userlist.txt"), atomically: true, encoding: .utf8)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        // PgBouncer refuses to run as root; `-u` drops to the server's own OS user.
        p.arguments = (getuid() == 0 ? ["-u", "postgres"] : []) + [directory.appendingPathComponent("pgbouncer.ini").path]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        process = p
        let deadline = ContinuousClock.now + .seconds(30)
        while !LoopbackSocket.accepts(port: port) {
            var status: Int32 = 0
            if waitpid(p.processIdentifier, &status, WNOHANG) != 0 {
                throw LoopbackPgBouncerError("pgbouncer exited at start: \(log.suffix(1000))")
            }
            if ContinuousClock.now > deadline { await stop(); throw LoopbackPgBouncerError("pgbouncer did not listen within 30 s") }
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    /// `database` on the upstream server, through this pooler.
    public func url(database: String) -> String { "postgresql://\(user)@127.0.0.1:\(port)/\(database)" }

    /// Server connections PgBouncer holds to `database` now, from its admin console
    /// (`SHOW SERVERS`, which speaks only the simple protocol: asked through `psql`).
    public func serverConnections(database: String) throws -> Int {
        let text = try Psql.run(url: url(database: "pgbouncer"), "SHOW SERVERS")
        // Columns: type | user | database | state | …
        return text.split(separator: "\n")
            .filter { $0.split(separator: "|", omittingEmptySubsequences: false).dropFirst(2).first.map(String.init) == database }
            .count
    }

    /// PgBouncer's own log (connections, errors), for failure messages.
    public var log: String {
        (try? String(contentsOf: directory.appendingPathComponent("pgbouncer.log"), encoding: .utf8)) ?? ""
    }

    /// Kills the pooler and removes its files. SIGKILL: a child may inherit SIGTERM
    /// blocked from its parent, and a pooler holds nothing that needs a clean exit.
    public func stop() async {
        let pid = process.processIdentifier
        kill(pid, SIGKILL)
        // Reaped here: Foundation's `isRunning` can lag a child's exit by seconds.
        _ = await Task.detached { () -> Int32 in
            var status: Int32 = 0
            return waitpid(pid, &status, 0)
        }.value
        try? FileManager.default.removeItem(at: directory)
    }

    deinit {
        kill(process.processIdentifier, SIGKILL)
    }
}

/// `psql` for one command, synchronously: for a pooler's admin console (simple protocol
/// only) and for loopback handlers, which cannot await, that must act on a database.
public enum Psql {
    /// Runs `sql` against `url` and returns its unaligned output (`|` between columns).
    @discardableResult
    public static func run(url: String, _ sql: String) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["psql", "-X", "-At", "-F", "|", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw LoopbackPgBouncerError("psql exited with \(p.terminationStatus) for: \(sql.prefix(80))") }
        return String(decoding: data, as: UTF8.self)
    }
}

public struct LoopbackPgBouncerError: Error, CustomStringConvertible {
    public let description: String
    init(_ d: String) { description = d }
}
