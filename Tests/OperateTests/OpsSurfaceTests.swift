// What an operator's tooling touches: /metrics scraped with curl and checked by promtool,
// the probes, JSON log lines, and the systemd units checked by systemd-analyze.
import Basics
import Foundation
import PG
import Testing
import TestSupport
import Web

/// Runs a program to the end and returns its exit status and output (stdout and stderr).
func runTool(_ path: String, _ arguments: [String], stdin: [UInt8]? = nil) throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = arguments
    let out = Pipe()
    p.standardOutput = out
    p.standardError = out
    let input = Pipe()
    if stdin != nil { p.standardInput = input }
    try p.run()
    if let stdin {
        input.fileHandleForWriting.write(Data(stdin))
        try input.fileHandleForWriting.close()
    }
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// The first existing path of a tool, or a clear failure naming the package that has it.
func tool(_ name: String, package: String) throws -> String {
    for dir in ["/usr/bin", "/usr/local/bin", "/bin"] where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
        return "\(dir)/\(name)"
    }
    throw TestSetupError("\(name) is not installed: ops/install-deps.sh --tests installs Debian's \(package)")
}

@Suite struct OpsSurfaceTests {
    @Test func metricsScrapePassesPromtoolAndProbesAnswer() async throws {
        try await TestDatabase.with { db in
            try await db.database.execute("INSERT INTO cs.jobs (kind, args) SELECT 'probe', '{}' FROM generate_series(1, 30)")
            try await db.database.execute("INSERT INTO cs.jobs (kind, args) VALUES ('probe', '{\"fail\": \"boom\", \"permanent\": true}')")
            let worker = try WorkerProcess(arguments: ["work", "--queues", "default", "--http", "127.0.0.1:0", "--poll", "0.1"],
                                           databaseURL: db.url, environment: ["CS_LOG_FORMAT": "json"])
            defer { worker.kill() }
            // The listener logs the port it bound (port 0 picks a free one).
            var port = 0
            try await eventually("the listener is up", timeout: .seconds(60)) {
                for line in worker.log.split(separator: "\n") {
                    guard let o = try? JSONValue.parse(Array(line.utf8)), o["message"]?.stringValue == "HTTP listener up",
                          let address = o["address"]?.stringValue, let p = address.split(separator: ":").last.flatMap({ Int($0) }) else { continue }
                    port = p
                }
                return port > 0
            }
            try await eventually("the jobs ran") {
                try await db.database.query("SELECT count(*) FROM cs.jobs WHERE state IN ('completed', 'discarded')")[0].decode(Int.self, 0) == 31
            }
            let curl = try tool("curl", package: "curl")
            let base = "http://127.0.0.1:\(port)"
            let metrics = try runTool(curl, ["-sS", "--fail", "\(base)/metrics"])
            #expect(metrics.status == 0)
            #expect(metrics.output.contains(#"cs_jobs_finished_total{queue="default",kind="probe",outcome="completed"} 30"#))
            #expect(metrics.output.contains(#"cs_jobs_finished_total{queue="default",kind="probe",outcome="discarded"} 1"#))
            #expect(metrics.output.contains("cs_job_duration_seconds_bucket{kind=\"probe\""))
            #expect(metrics.output.contains("# HELP cs_jobs_claimed_total "))
            #expect(!metrics.output.contains("job_id") && !metrics.output.contains("account"), "no ids in labels")

            let promtool = try tool("promtool", package: "prometheus")
            let lint = try runTool(promtool, ["check", "metrics"], stdin: Array(metrics.output.utf8))
            #expect(lint.status == 0, "promtool: \(lint.output)")

            #expect(try runTool(curl, ["-sS", "--fail", "\(base)/healthz"]).output == "ok\n")
            #expect(try runTool(curl, ["-sS", "--fail", "\(base)/readyz"]).output == "ready\n")
            let missing = try runTool(curl, ["-s", "-o", "/dev/null", "-w", "%{http_code}", "\(base)/nothing-here"])
            #expect(missing.output == "404")

            // Every line the worker wrote is one JSON object with the common fields.
            worker.kill(SIGTERM)
            _ = await worker.waitForExit()
            let lines = worker.log.split(separator: "\n")
            #expect(lines.count >= 3)
            for line in lines {
                let o = try JSONValue.parse(Array(line.utf8))
                #expect(o["ts"]?.stringValue?.hasSuffix("Z") == true && o["level"] != nil && o["message"] != nil, "\(line)")
            }
            #expect(lines.contains { $0.contains(#""message":"worker started""#) && $0.contains(#""queues":"default""#) })
        }
    }

    @Test func readinessSaysWhyNot() async throws {
        try await TestDatabase.with { db in
            #expect(await Readiness(database: db.database, expectedVersion: 1).problem() == nil)
            let behind = await Readiness(database: db.database, expectedVersion: 999).problem()
            #expect(behind?.contains("migrations behind") == true)
            let gone = Database(url: "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2", maxConnections: 1, logger: TestEnvironment.logger)
            let down = await Readiness(database: gone, expectedVersion: 1).problem()
            #expect(down?.hasPrefix("database not reachable") == true && down?.contains("nobody") == false)
            await gone.close()
        }
        #expect(try HTTPAddress(parsing: "[::1]:9464") == HTTPAddress(host: "::1", port: 9464))
        #expect(try HTTPAddress(parsing: ":9464") == HTTPAddress(host: "127.0.0.1", port: 9464))
        #expect(throws: PGError.self) { try HTTPAddress(parsing: "localhost") }
    }

    @Test func systemdUnitsVerify() throws {
        let analyze = try tool("systemd-analyze", package: "systemd")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("units-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        // systemd-analyze checks that ExecStart exists: point it at the built binary.
        let binary = try TestEnvironment.workerBinary().path
        let source = TestEnvironment.repoRoot.appendingPathComponent("ops/systemd")
        var paths: [String] = []
        for (file, as_) in [("cs-worker@.service", "cs-worker@main.service"), ("cs-worker-migrate.service", "cs-worker-migrate.service")] {
            let text = try String(contentsOf: source.appendingPathComponent(file), encoding: .utf8)
            #expect(text.contains("ExecStart=/usr/local/bin/cs-worker"))
            let target = dir.appendingPathComponent(as_)
            try text.replacingOccurrences(of: "/usr/local/bin/cs-worker", with: binary).write(to: target, atomically: true, encoding: .utf8)
            paths.append(target.path)
        }
        let result = try runTool(analyze, ["verify", "--man=no"] + paths)
        #expect(result.status == 0 && result.output.isEmpty, "systemd-analyze: \(result.output)")
        let unit = try String(contentsOf: source.appendingPathComponent("cs-worker@.service"), encoding: .utf8)
        for setting in ["KillSignal=SIGTERM", "TimeoutStopSec=60", "Restart=on-failure", "EnvironmentFile=/etc/cs-worker/cs-worker.env",
                        "NoNewPrivileges=yes", "ProtectSystem=strict", "PrivateTmp=yes", "Requires=cs-worker-migrate.service"] {
            #expect(unit.contains(setting), "\(setting)")
        }
        // The grace the worker gives running jobs (30 s) ends before systemd's SIGKILL.
        let example = try String(contentsOf: source.appendingPathComponent("cs-worker.env.example"), encoding: .utf8)
        for name in ["DATABASE_URL", "CS_POOLING", "CS_LISTEN_URL", "CS_REPLICA_URL", "CS_LOG_LEVEL", "CS_LOG_FORMAT", "CS_HTTP", "CS_SQL_DIR"] {
            #expect(example.contains(name + "="), "the example names \(name)")
        }
    }
}
