// PgBouncer: Debian's real connection pooler on loopback, in front of the test server.
import Foundation
import PG

/// A private PgBouncer process (`ops/install-deps.sh --tests` installs it) proxying every
/// database of the test server, in session or transaction pool mode. Stopped by `stop()`
/// or on deinit.
public final class PgBouncer: @unchecked Sendable {
    // Safe: every stored property is set once in init.
    public let mode: PoolingMode
    public let port: Int
    public let poolSize: Int
    private let process: Process
    private let directory: URL

    /// Starts PgBouncer with `poolSize` server connections per database and user.
    public init(mode: PoolingMode, poolSize: Int = 8) async throws {
        let upstream = try TestEnvironment.adminURL
        guard let comps = URLComponents(string: upstream), let host = comps.host else {
            throw TestSetupError("DATABASE_URL must be a postgresql:// URL for the PgBouncer tests")
        }
        let user = comps.user ?? "postgres"
        let binary = ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"].first { FileManager.default.isExecutableFile(atPath: $0) }
        guard let binary else { throw TestSetupError("pgbouncer not installed: run ops/install-deps.sh --tests") }
        self.mode = mode
        self.poolSize = poolSize
        port = try LoopbackPort.free()
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
            pool_mode = \(mode.rawValue)
            default_pool_size = \(poolSize)
            max_client_conn = 2000
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
        try await eventually("pgbouncer accepts connections", timeout: .seconds(30), every: .milliseconds(50)) {
            guard p.isRunning else { throw TestSetupError("pgbouncer exited: \(self.log)") }
            guard let c = try? await Connection.connect(url: self.url(database: "postgres"), logger: TestEnvironment.logger) else {
                return false
            }
            await c.close()
            return true
        }
    }

    /// The test server's `database`, through this pooler.
    public func url(database: String) -> String {
        let user = (try? TestEnvironment.adminURL).flatMap { URLComponents(string: $0)?.user } ?? "postgres"
        return "postgresql://\(user)@127.0.0.1:\(port)/\(database)"
    }

    /// The pooler's admin console (`SHOW POOLS`, `SHOW SERVERS`).
    public var adminURL: String { url(database: "pgbouncer") }

    /// Server connections PgBouncer holds open to `database` now, from its admin console
    /// (`SHOW SERVERS`; the console speaks only the simple protocol, so through `psql`).
    public func serverConnections(database: String) throws -> Int {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["psql", "-X", "-At", "-F", "|", "-d", adminURL, "-c", "SHOW SERVERS"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw TestSetupError("psql SHOW SERVERS failed") }
        return String(decoding: data, as: UTF8.self).split(separator: "\n")
            .filter { $0.split(separator: "|", omittingEmptySubsequences: false).dropFirst(2).first.map(String.init) == database }
            .count
    }

    public var log: String {
        (try? String(contentsOf: directory.appendingPathComponent("pgbouncer.log"), encoding: .utf8)) ?? ""
    }

    public func stop() async {
        // SIGKILL: a child of the test process may inherit SIGTERM blocked, and a pooler
        // holds nothing that needs a clean exit (the server drops its sessions).
        let pid = process.processIdentifier
        kill(pid, SIGKILL)
        var status: Int32 = 0
        _ = await Task.detached { waitpid(pid, &status, 0) }.value
        try? FileManager.default.removeItem(at: directory)
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }
}

/// A TCP port on 127.0.0.1 that was free a moment ago.
public enum LoopbackPort {
    public static func free() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestSetupError("socket() failed") }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw TestSetupError("bind() failed") }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let named = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        guard named == 0 else { throw TestSetupError("getsockname() failed") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }
}
