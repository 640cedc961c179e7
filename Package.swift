// swift-tools-version:6.0
// cs-worker: a PostgreSQL-backed job worker for customer success.
// Layers (arrows point down; docs/ARCHITECTURE.md draws them):
//   Basics -> CLibpq/CCurl -> PG/Transport -> Queue -> Delivery
//          -> Health, Interventions, Churn (<- Learning), Reports, Monitoring -> Success (wiring), Web -> cs-worker
//   Loopback, Demo and Benchmarks are linked only by the executable and the tests.
import PackageDescription

let log: Target.Dependency = .product(name: "Logging", package: "swift-log")
let lifecycle: Target.Dependency = .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
// The metrics API only (no backend): counters cost nothing until `work --http` bootstraps Prometheus.
let metrics: Target.Dependency = .product(name: "CoreMetrics", package: "swift-metrics")

let package = Package(
    name: "cs-worker",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "cs-worker", targets: ["cs-worker"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    ],
    targets: [
        // Value types every layer shares: seeded random numbers, a lock box, JSON values and
        // coding, backoff, durations, hashing. No I/O.
        .target(name: "Basics"),

        // C libraries: module maps and tiny shims only.
        .systemLibrary(name: "CLibpq", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),

        // Thin, safe Swift over the C libraries. No domain words.
        .target(name: "PG", dependencies: ["CLibpq", "Basics", log]),
        .target(name: "Transport", dependencies: ["CCurl", "Basics", log]),

        // The job engine.
        .target(name: "Queue", dependencies: ["PG", "Basics", log, lifecycle, metrics]),

        // Channels and the outbox.
        .target(name: "Delivery", dependencies: [
            "Queue", "PG", "Transport", "Basics", log, metrics, .product(name: "Crypto", package: "swift-crypto"),
        ]),

        // Pure Swift machine learning: no database, no network.
        .target(name: "Learning", dependencies: ["Basics"]),

        // The customer-success domain, one module per concern.
        .target(name: "Health", dependencies: ["PG", "Basics", log]),
        .target(name: "Interventions", dependencies: ["PG", "Basics", log]),
        .target(name: "Churn", dependencies: ["PG", "Queue", "Learning", "Basics", log]),
        // Reports: figures computed by SQL functions, rendered as HTML (inline SVG), JSON and CSV.
        .target(name: "Reports", dependencies: ["PG", "Basics", log]),
        // Retention purges and the audit log (SQL in sql/0014_privacy.sql).
        .target(name: "Privacy", dependencies: ["PG", "Basics", log]),
        // The self-monitor: health checks, alerts and their escalation (SQL in sql/0012_operate.sql).
        .target(name: "Monitoring", dependencies: ["PG", "Basics", log]),
        // Wiring of the domain into the queue: job kinds and default schedules.
        .target(name: "Success", dependencies: [
            "Health", "Interventions", "Churn", "Reports", "Monitoring", "Privacy", "Queue", "PG", "Basics", log, metrics,
        ]),

        // The HTTP listener (Hummingbird): /metrics in the Prometheus text format, /healthz,
        // /readyz; the web console's pages hang off the same router.
        .target(name: "Web", dependencies: [
            "Monitoring", "Queue", "PG", "Basics", log, lifecycle, metrics,
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Prometheus", package: "swift-prometheus"),
        ]),
        // The web console: server-rendered pages for operators and CS leads on the same listener.
        .target(name: "Console", dependencies: [
            "Reports", "Monitoring", "Privacy", "Delivery", "Queue", "PG", "Basics", log,
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),

        // One loopback HTTP and one SMTP sink, for the demo, the benchmarks and the tests.
        .target(name: "Loopback", dependencies: ["Basics"]),
        // Demo data and the end-to-end demo run (`ops/demo.sh`).
        .target(name: "Demo", dependencies: [
            "Success", "Health", "Interventions", "Churn", "Reports", "Delivery", "Queue", "PG", "Basics", "Loopback", log,
        ]),
        // Benchmarks driven by `cs-worker bench ...`.
        .target(name: "Benchmarks", dependencies: [
            "PG", "Queue", "Transport", "Delivery", "Learning", "Health", "Interventions", "Churn", "Reports", "Success", "Demo",
            "Console", "Web", "Privacy", "Loopback", "Basics", log,
        ], path: "Benchmarks"),

        // The executable: argument parsing and wiring only.
        .executableTarget(name: "cs-worker", dependencies: [
            "PG", "Queue", "Transport", "Delivery", "Learning", "Health", "Interventions", "Churn", "Reports", "Monitoring",
            "Success", "Web", "Console", "Privacy", "Demo", "Benchmarks", "Basics", lifecycle,
            .product(name: "ArgumentParser", package: "swift-argument-parser"), log,
        ]),

        // Shared test fixtures: private databases, the built binary; re-exports Loopback.
        .target(name: "TestSupport", dependencies: ["PG", "Queue", "Loopback", "Basics", log], path: "Tests/TestSupport"),

        .testTarget(name: "PGTests", dependencies: ["PG", "TestSupport"]),
        .testTarget(name: "QueueTests", dependencies: ["Queue", "PG", "Benchmarks", "TestSupport"]),
        .testTarget(name: "TransportTests", dependencies: ["Transport", "TestSupport"]),
        .testTarget(name: "DeliveryTests", dependencies: ["Delivery", "Queue", "PG", "Transport", "Basics", "TestSupport"]),
        .testTarget(name: "LearningTests", dependencies: ["Learning", "Benchmarks"], resources: [.copy("Fixtures")]),
        .testTarget(name: "OperateTests", dependencies: [
            "Monitoring", "Web", "Console", "Privacy", "Delivery", "Queue", "PG", "Transport", "Basics", "TestSupport",
        ]),
        .testTarget(name: "PrivacyTests", dependencies: ["Privacy", "PG", "TestSupport"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "Interventions", "PG", "Basics", "TestSupport"]),
        .testTarget(name: "SuccessTests", dependencies: [
            "Success", "Health", "Interventions", "Churn", "Reports", "Demo", "Delivery", "Queue", "PG", "Learning", "Basics",
            "Transport", "Loopback", "Benchmarks", "TestSupport",
        ]),
    ],
    swiftLanguageModes: [.v6]
)
