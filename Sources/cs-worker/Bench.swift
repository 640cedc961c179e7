// `cs-worker bench …`: benchmarks (release build), each ending in one machine-readable line.
import ArgumentParser
import Basics
import Benchmarks
import Foundation

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Benchmarks; run them from a release build.",
                                                    subcommands: [QueueBench.self, StreamBench.self, FleetBench.self, DeliveryBench.self, ScoringBench.self, EventsBench.self, ReportsBench.self, ConsoleBench.self, PrivacyBench.self, BenchModel.self])

    struct QueueBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "queue",
            abstract: "Bulk-enqueue N no-op jobs, drain them with W workers, compare with the raw SQL ceiling.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Jobs to drain per run.") var jobs: Int = 200_000
        @Option(help: "Worker processes.") var workers: Int = 2
        @Option(help: "Concurrency per worker.") var concurrency: Int = 1000
        @Option(help: "Jobs per claim.") var batch: Int = 100
        @Option(help: "Runs (medians are reported).") var runs: Int = 3
        @Option(help: "Single inserts timed for enqueue-to-start latency.") var latencySamples: Int = 300
        @Option(help: "Also drain through a private PgBouncer transaction pool of this many server connections (needs pgbouncer).")
        var pgbouncer: Int?
        @Option(help: "Claim loops per worker (default: the worker's).") var claimLoops: Int?

        func run() async throws {
            var bench = QueueBenchmark(url: try global.url(), jobs: jobs, workers: workers, concurrency: concurrency,
                                       batch: batch, runs: runs, latencySamples: latencySamples,
                                       pgbouncerPool: pgbouncer, logger: global.logger())
            bench.claimLoops = claimLoops
            let result = try await bench.run()
            print(result.summaryLine)
        }
    }

    struct FleetBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "fleet",
            abstract: "P worker processes drain N jobs through a PgBouncer transaction pool of S server connections, against the same processes direct.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Jobs to drain per run.") var jobs: Int = 200_000
        @Option(help: "Worker processes.") var processes: Int = 16
        @Option(help: "PgBouncer server connections (default_pool_size).") var serverPool: Int = 8
        @Option(help: "Concurrency per process.") var concurrency: Int = 64
        @Option(help: "Jobs per claim.") var batch: Int = 64
        @Option(help: "Runs, direct and pooled alternating (medians are reported).") var runs: Int = 3

        func run() async throws {
            let result = try await FleetBenchmark(url: try global.url(), jobs: jobs, processes: processes, serverPool: serverPool,
                                                  concurrency: concurrency, batch: batch, runs: runs, logger: global.logger()).run()
            print(result.summaryLine)
        }
    }

    struct DeliveryBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "delivery",
            abstract: "Deliver N messages to a loopback HTTP sink and to a loopback SMTP server with W in-process workers.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "HTTP deliveries.") var messages: Int = 10_000
        @Option(help: "SMTP deliveries (0 to skip).") var smtpMessages: Int = 2_000
        @Option(help: "Workers.") var workers: Int = 8

        func run() async throws {
            let result = try await DeliveryBenchmark.run(url: try global.url(), messages: messages, smtpMessages: smtpMessages,
                                                         workers: workers, logger: global.logger())
            print(result.summaryLine)
        }
    }

    struct ScoringBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "scoring",
            abstract: "Seed a private database with N accounts and score them all.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Accounts.") var accounts: Int = 100_000

        func run() async throws {
            let logger = global.logger()
            let dbURL = try await BenchSupport.privateDatabase(named: "cs_bench_scoring", url: try global.url(), logger: logger)
            let result = try await ScoringBenchmark.run(url: dbURL, accounts: accounts, logger: logger)
            print(String(format: "seeded %d accounts (%d activity rows) in %.1f s; scored in %.2f s = %.0f accounts/s "
                         + "(measures %.2f s, compute %.2f s, writes %.2f s, summed over concurrent batches)",
                         result.accounts, result.activityRows, result.seedSeconds, result.seconds, result.accountsPerSecond,
                         result.measureSeconds, result.computeSeconds, result.writeSeconds))
            print(result.line)
        }
    }

    struct EventsBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "events",
            abstract: "Seed N accounts; time full rescoring from rollups; failed invoices at a steady rate → score and Slack; COPY cost of the rollup trigger.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Accounts.") var accounts: Int = 100_000
        @Option(help: "Signals (failed invoices, one per account).") var events: Int = 1_000
        @Option(help: "Signals per second.") var rate: Double = 50
        @Option(help: "Full rescoring runs (the median is reported).") var rescoreRuns: Int = 3
        @Option(help: "Activity rows per timed COPY (0 skips).") var copyRows: Int = 1_000_000
        @Option(help: "COPY runs with and without the trigger each.") var copyRuns: Int = 3

        func run() async throws {
            let r = try await EventsBenchmark.run(url: try global.url(), accounts: accounts, events: events, ratePerSecond: rate,
                                                  rescoreRuns: rescoreRuns, copyRows: copyRows, copyRuns: copyRuns,
                                                  logger: global.logger())
            print(String(format: "signal → score p50 %.1f ms p99 %.1f ms; signal → Slack p50 %.1f ms p99 %.1f ms; "
                         + "full rescore %.3f s (runs %@); COPY %d rows %.2f s with trigger, %.2f s without",
                         r.scoreP50Ms, r.scoreP99Ms, r.deliveryP50Ms, r.deliveryP99Ms, r.fullRescoreSeconds,
                         r.fullRescoreRuns.map { String(format: "%.3f", $0) }.joined(separator: ", "), r.copyRows,
                         r.copyWithSeconds, r.copyWithoutSeconds))
            print(r.line)
        }
    }

    struct ReportsBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "reports",
            abstract: "Seed a private database with N accounts (24 months of MRR history), then time every report kind.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Accounts.") var accounts: Int = 100_000
        @Option(help: "Runs per kind (medians are reported).") var runs: Int = 3

        func run() async throws {
            let logger = global.logger()
            let dbURL = try await BenchSupport.privateDatabase(named: "cs_bench_reports", url: try global.url(), logger: logger)
            let result = try await ReportsBenchmark.run(url: dbURL, accounts: accounts, runs: runs, logger: logger) { print($0) }
            print(result.line)
        }
    }

    struct PrivacyBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "privacy",
            abstract: "Purge N expired activity rows while a worker drains jobs and a writer writes; time erasure and export of one account of 100,000.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Accounts seeded.") var accounts: Int = 100_000
        @Option(help: "Expired activity rows to purge.") var rows: Int = 10_000_000

        func run() async throws {
            let logger = global.logger()
            let dbURL = try await BenchSupport.privateDatabase(named: "cs_bench_privacy", url: try global.url(), logger: logger)
            let result = try await PrivacyBenchmark.run(url: dbURL, accounts: accounts, expiredRows: rows, logger: logger) { print($0) }
            print(result.line)
        }
    }

    struct ConsoleBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "console",
            abstract: "Seed a private database with N accounts and 200,000 jobs, serve the console, and load each page with wrk: p50/p95 and req/s per page.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Accounts.") var accounts: Int = 100_000
        @Option(help: "Seconds of load per page.") var seconds: Int = 10
        @Option(help: "Concurrent connections wrk keeps open.") var connections: Int = 4

        func run() async throws {
            let logger = global.logger()
            let dbURL = try await BenchSupport.privateDatabase(named: "cs_bench_console", url: try global.url(), logger: logger)
            let result = try await ConsoleBenchmark.run(url: dbURL, accounts: accounts, seconds: seconds, connections: connections,
                                                        logger: logger) { print($0) }
            print(result.withinTargets ? "every page within its p95 target" : "SOME PAGE MISSED ITS p95 TARGET")
            print(result.line)
        }
    }

    struct StreamBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "stream",
            abstract: "A steady stream into a freshly migrated table (batches of up to 128 every 25 ms at a fixed rate, 32 slots of 1 ms jobs, 256-byte payloads) through warm-up, clean, pinned-horizon and recovery phases; then capacity with a ready backlog.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Jobs offered per second.") var rate: Double = 2000
        @Option(help: "Worker slots.") var slots: Int = 32
        @Option(help: "Milliseconds each job takes.") var jobMs: Int = 1
        @Option(help: "Phase lengths in seconds: warm-up, clean, pinned, recovery.") var warmup: Double = 30
        @Option var clean: Double = 60
        @Option var pinned: Double = 120
        @Option var recovery: Double = 90
        @Option(help: "Capacity mode: seconds measured (0 skips it).") var capacitySeconds: Double = 20
        @Option(help: "Capacity mode: jobs kept ready.") var capacityDepth: Int = 2000
        @Flag(help: "Only the capacity mode.") var capacityOnly = false
        @Option(help: "Worker claim loops (default: the worker's).") var claimLoops: Int?
        @Option(help: "Jobs claimed ahead of free slots (default: the worker's).") var claimAhead: Int?

        func run() async throws {
            let logger = global.logger()
            let url = try global.url()
            var bench = StreamBenchmark(url: "", logger: logger)
            let (loops, ahead) = (claimLoops, claimAhead)
            bench.configure = { cfg in
                if let loops { cfg.claimLoops = loops }
                if let ahead { cfg.claimAhead = ahead }
            }
            bench.rate = rate
            bench.slots = slots
            bench.jobMilliseconds = jobMs
            bench.phases = [StreamPhase(name: "warmup", seconds: warmup), StreamPhase(name: "clean", seconds: clean),
                            StreamPhase(name: "pinned", seconds: pinned, pinned: true), StreamPhase(name: "recovery", seconds: recovery)]
            bench.progress = { line in print(line) }
            var streamLine: String?
            if !capacityOnly {
                bench.url = try await BenchSupport.privateDatabase(named: "cs_bench_stream", url: url, logger: logger)
                print("stream: \(Int(rate)) jobs/s offered into a freshly migrated cs.jobs (no ANALYZE), \(slots) slots of \(jobMs) ms jobs")
                let r = try await bench.run()
                print("phase     offered  completed  ratio  claim p50/p95/p99 ms      e2e p99 ms  peak ready  dead tuples  table MB  indexes MB  claim index MB")
                for p in r.phases {
                    print(String(format: "%-9@ %7d  %9d  %5.3f  %7.1f/%7.1f/%7.1f  %10.1f  %10d  %11d  %8.1f  %10.1f  %14.2f",
                                 p.name, p.offered, p.completed, p.ratio, p.claimP50, p.claimP95, p.claimP99, p.endToEndP99,
                                 p.peakDepth, p.deadTuples, p.tableMB, p.indexesMB, p.claimIndexMB))
                }
                print(String(format: "exactly once: %d of %d jobs ran once, %d extra runs, %d never ran; CPU per job: worker %.1f µs, postgres %.1f µs",
                             r.ranOnce, r.offered, r.duplicateRuns, r.neverRan, r.workerCPUPerJobMicros, r.postgresCPUPerJobMicros))
                streamLine = r.line
            }
            var capacityLine: String?
            if capacitySeconds > 0 {
                bench.url = try await BenchSupport.privateDatabase(named: "cs_bench_stream_capacity", url: url, logger: logger)
                bench.progress = { line in print(line) }
                let jobsPerSecond = try await bench.capacity(depth: capacityDepth, seconds: capacitySeconds)
                capacityLine = String(format: "capacity: slots=%d job_ms=%d jobs_per_s=%.0f", slots, jobMs, jobsPerSecond)
            }
            if let streamLine { print(streamLine) }
            if let capacityLine { print(capacityLine) }
        }
    }
}
