// BenchSupport: private databases, process memory, medians, external tools — shared by benchmarks.
import Foundation
import Logging
import PG
import Queue

public enum BenchSupport {
    /// Drops and re-creates database `name` on the server of `url`, migrates it, and returns its URL.
    public static func privateDatabase(named name: String, url: String, logger: Logger) async throws -> String {
        let admin = try await Connection.connect(url: url, logger: logger)
        try await admin.executeScript("DROP DATABASE IF EXISTS \(DatabaseURL.quoteIdentifier(name)) WITH (FORCE)")
        try await admin.executeScript("CREATE DATABASE \(DatabaseURL.quoteIdentifier(name))")
        await admin.close()
        let dbURL = DatabaseURL.replacingDatabase(in: url, with: name)
        guard let dir = Migrator.locateDirectory() else { throw BenchError("sql/ folder not found (set CS_SQL_DIR)") }
        let conn = try await Connection.connect(url: dbURL, logger: logger)
        try await Migrator(directory: dir, logger: logger).migrate(conn)
        await conn.close()
        return dbURL
    }

    /// Resident and peak resident memory of a process, in MiB (Linux /proc).
    public static func memoryMiB(pid: Int32? = nil) -> (rss: Double, peak: Double) {
        let path = pid.map { "/proc/\($0)/status" } ?? "/proc/self/status"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return (0, 0) }
        func field(_ name: String) -> Double {
            for line in text.split(separator: "\n") where line.hasPrefix(name) {
                let digits = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
                return digits / 1024
            }
            return 0
        }
        return (field("VmRSS:"), field("VmHWM:"))
    }

    /// CPU seconds (user + system) used so far by this process.
    public static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
            + Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }

    /// CPU seconds used so far by every `postgres` process on this machine (Linux /proc):
    /// with the server on the same host, this is what the database spent.
    public static func postgresCPUSeconds() -> Double { cpuSeconds(ofProcessesNamed: "postgres") }

    /// CPU seconds used so far by every process whose command starts with `name` (Linux /proc).
    public static func cpuSeconds(ofProcessesNamed name: String) -> Double {
        let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
        guard let pids = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return 0 }
        var total = 0.0
        for pid in pids where pid.allSatisfy(\.isNumber) {
            guard let comm = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8),
                  comm.hasPrefix(name),
                  let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
                  let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            // After the command: state is field 3, utime 14, stime 15 (1-based in proc(5)).
            guard fields.count > 13, let u = Double(fields[11]), let s = Double(fields[12]) else { continue }
            total += (u + s) / ticks
        }
        return total
    }

    /// Empties `cs.jobs` and bulk-enqueues `jobs` no-op jobs on `queue`, then vacuums,
    /// analyses and checkpoints so every run starts alike; returns enqueue jobs/s.
    public static func fillNoopJobs(_ db: Database, jobs: Int, queue: String) async throws -> Double {
        try await db.execute("TRUNCATE cs.jobs")
        let chunk = 5000
        let args = [String](repeating: "{}", count: chunk)
        let enqueuer = Enqueuer(database: db)
        let start = ContinuousClock.now
        var done = 0
        while done < jobs {
            let n = min(chunk, jobs - done)
            done += try await enqueuer.enqueueMany(kind: Noop.kind, argsJSON: n == chunk ? args : Array(args.prefix(n)), queue: queue)
        }
        let secs = (ContinuousClock.now - start).seconds
        try await db.withConnection { c in
            try await c.executeScript("VACUUM ANALYZE cs.jobs")
            try await c.executeScript("CHECKPOINT")
        }
        return Double(jobs) / secs
    }

    public static func median(_ xs: [Double]) -> Double {
        guard !xs.isEmpty else { return 0 }
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    public static func percentile(_ xs: [Double], _ p: Double) -> Double {
        guard !xs.isEmpty else { return 0 }
        let s = xs.sorted()
        let rank = min(s.count - 1, max(0, Int((p / 100 * Double(s.count)).rounded(.up)) - 1))
        return s[rank]
    }

    /// Finds a PostgreSQL client tool (pgbench, psql) on PATH or in the server's bin folder.
    public static func postgresTool(_ name: String) -> String? {
        var dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        if let versions = try? FileManager.default.contentsOfDirectory(atPath: "/usr/lib/postgresql") {
            dirs += versions.sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }.map { "/usr/lib/postgresql/\($0)/bin" }
        }
        return dirs.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Runs a command and returns its standard output (standard error goes to ours);
    /// `environment` adds to ours for the child only.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> String {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: executable)
        p.arguments = arguments
        if !environment.isEmpty {
            p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else {
            throw BenchError("\(URL(fileURLWithPath: executable).lastPathComponent) exited with \(p.terminationStatus)")
        }
        return String(decoding: data, as: UTF8.self)
    }

}

public struct BenchError: Error, CustomStringConvertible {
    public let description: String
    public init(_ d: String) { description = d }
}
