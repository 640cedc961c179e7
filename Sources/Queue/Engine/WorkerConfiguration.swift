// WorkerConfiguration: every knob of a worker process, with production defaults.
import Foundation

public struct WorkerConfiguration: Sendable {
    /// Queues to claim from.
    public var queues: [String] = ["default"]
    /// Jobs run at once by this process.
    public var concurrency: Int = 50
    /// Most jobs taken by one claim statement.
    public var claimBatch: Int = 100
    /// How often to look for work when no NOTIFY arrives (a safety net).
    public var pollInterval: Duration = .seconds(1)
    public var heartbeatInterval: Duration = .seconds(2)
    /// A worker silent this long is dead: the leader rescues its jobs.
    public var rescueAfter: Duration = .seconds(15)
    public var leaderTTL: Duration = .seconds(10)
    public var electionInterval: Duration = .seconds(2)
    public var promoteInterval: Duration = .milliseconds(500)
    public var rescueInterval: Duration = .seconds(2)
    public var cronInterval: Duration = .seconds(1)
    public var pruneInterval: Duration = .seconds(30)
    /// Completed jobs are deleted after this long.
    public var keepCompleted: Duration = .seconds(24 * 3600)
    /// Discarded and cancelled jobs are kept longer, for post-mortems.
    public var keepDiscarded: Duration = .seconds(7 * 24 * 3600)
    /// On SIGTERM, running jobs get this long to finish before they are released.
    public var shutdownGrace: Duration = .seconds(30)
    public var retry = RetryPolicy()
    /// Take part in leader election (and so in maintenance and cron).
    public var maintenance = true
    /// Connections in the pool that handlers and maintenance share.
    public var poolSize: Int = 10
    /// A unique id: host, pid and a random suffix.
    public var workerID: String = WorkerConfiguration.makeWorkerID()

    public init() {}

    public static func makeWorkerID() -> String {
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return "\(host)-\(getpid())-\(suffix)"
    }
}
