// WorkerConfiguration: every knob of a worker process, with production defaults.
import Foundation
import PG

public struct WorkerConfiguration: Sendable {
    /// Queues to claim from.
    public var queues: [String] = ["default"]
    /// Jobs run at once by this process.
    public var concurrency: Int = 50
    /// Most jobs taken by one claim statement.
    public var claimBatch: Int = 100
    /// Jobs claimed beyond the free slots, so a freed slot starts its next job without
    /// waiting for a claim (nil: twice `claimBatch`; 0: never). Only while jobs are short,
    /// and never more than about `claimAheadWork` of work for the slots: a job claimed ahead
    /// of long ones would wait for them while another worker sits idle. Jobs claimed ahead
    /// and not started are handed back at shutdown. Each claim commits (a WAL flush, about
    /// 2.5 ms here whatever its size), so big claims are what refill 32 slots of 1 ms jobs
    /// 20,000 times a second.
    public var claimAhead: Int?
    /// The most work, in time, claimed ahead of the slots (by the moving average run time).
    public var claimAheadWork: Duration = .milliseconds(20)
    /// Claim loops, each with its own connection, claiming side by side: one claim's latency
    /// (about 2.6 ms for 47 jobs here) then does not cap the rate at which slots refill.
    public var claimLoops: Int = 2
    /// Claim ahead only while the moving average of job run time is below this.
    public var claimAheadBelow: Duration = .milliseconds(50)
    /// A claim from the top of the queue slower than this makes the next claims start after
    /// the last job claimed (see `Worker.ClaimCursor`)…
    public var slowClaim: Duration = .milliseconds(5)
    /// …and claims start from the top again this often.
    public var claimFromTopEvery: Duration = .milliseconds(200)
    /// Kinds under a concurrency limit (`cs.kind_limits`) are claimed when the ordinary claim
    /// comes back short, and at least this often while it does not.
    public var limitedClaimEvery: Duration = .milliseconds(250)
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
    /// How often the leader checks whether the claim index has bloated (and rebuilds it).
    public var claimIndexCheckInterval: Duration = .seconds(300)
    /// Completed jobs are deleted after this long: an hour, so a queue running 2,000 jobs/s
    /// keeps about 7 million finished rows rather than 170 million (a day).
    public var keepCompleted: Duration = .seconds(3600)
    /// Discarded and cancelled jobs are kept longer, for post-mortems.
    public var keepDiscarded: Duration = .seconds(7 * 24 * 3600)
    /// On SIGTERM, running jobs get this long to finish before they are released.
    public var shutdownGrace: Duration = .seconds(30)
    public var retry = RetryPolicy()
    /// Take part in leader election (and so in maintenance and cron).
    public var maintenance = true
    /// Connections in the pool that handlers share.
    public var poolSize: Int = 10
    /// Connections for heartbeats, elections and maintenance (kept apart from handlers').
    public var controlPoolSize: Int = 3
    /// How the sessions behind the database URL are shared (`CS_POOLING`).
    public var pooling: PoolingMode = .session
    /// Where to LISTEN for new jobs and cancel requests: a direct or session-pooled URL
    /// (`CS_LISTEN_URL`). Nil: the main URL, unless that is a transaction pooler, where
    /// LISTEN cannot work and the worker relies on polling instead.
    public var listenURL: String?
    /// A unique id: host, pid and a random suffix.
    public var workerID: String = WorkerConfiguration.makeWorkerID()

    public init() {}

    /// The least room worth a claim: a quarter of a batch, or half a batch while jobs
    /// claimed ahead are in hand (fewer, bigger claims, each one a commit).
    func claimThreshold(buffered: Int) -> Int {
        let quarter = max(1, min(claimBatch, concurrency) / 4)
        return buffered == 0 ? quarter : max(quarter, claimBatch / 2)
    }

    /// Jobs that may be claimed ahead now, given the moving average run time of a job.
    func claimAhead(averageRunSeconds avg: Double) -> Int {
        let cap = max(0, claimAhead ?? 2 * claimBatch)
        guard avg < claimAheadBelow.seconds else { return 0 }
        guard avg > 0 else { return cap }
        return min(cap, Int(Double(concurrency) * claimAheadWork.seconds / avg))
    }

    /// The most database connections this process opens at once, and what for.
    public var connectionBudget: ConnectionBudget {
        ConnectionBudget(handlers: poolSize, control: controlPoolSize, producer: max(1, claimLoops), completer: 1,
                         listener: listensThroughMainURL || listenURL != nil ? 1 : 0)
    }

    /// True when the listener uses the main URL.
    var listensThroughMainURL: Bool { listenURL == nil && pooling == .session }

    public static func makeWorkerID() -> String {
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
        let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 16)
        return "\(host)-\(getpid())-\(suffix)"
    }
}

/// The connections one worker process may hold: the figure to multiply by processes when
/// sizing `max_connections` or a pooler (README, "Scale out").
public struct ConnectionBudget: Sendable, Equatable, CustomStringConvertible {
    public var handlers: Int
    public var control: Int
    public var producer: Int
    public var completer: Int
    public var listener: Int
    public init(handlers: Int, control: Int, producer: Int, completer: Int, listener: Int) {
        self.handlers = handlers; self.control = control; self.producer = producer
        self.completer = completer; self.listener = listener
    }
    public var total: Int { handlers + control + producer + completer + listener }
    public var description: String {
        "\(total) (handlers \(handlers) + control \(control) + producer \(producer) + completer \(completer) + listener \(listener))"
    }
}
