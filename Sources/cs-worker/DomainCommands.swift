// `cs-worker explain ACCOUNT` and `cs-worker demo seed|run`: the customer-success domain.
import ArgumentParser
import Basics
import Demo
import Foundation
import Health
import PG
import Queue
import Success

struct Explain: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Explain an account's latest health score: components, weights, raw values, what moved.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Account id.") var account: Int64

    func run() async throws {
        let explanation = try await global.withDatabase { db in
            try await HealthExplanation.load(accountID: account, database: db)
        }
        guard let explanation else {
            print("account \(account) has no health score yet (run score_accounts)")
            throw ExitCode(2)
        }
        print(explanation.render())
    }
}

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "Demo data and the end-to-end demo.", subcommands: [Seed.self, Run.self])

    struct Seed: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Generate accounts and 12 months of behaviour with a hidden churn process.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Accounts to generate.") var accounts: Int = 5_000
        @Option(help: "Seed: the same seed gives the same data.") var seed: UInt64 = 1

        func validate() throws { guard accounts > 0 else { throw ValidationError("--accounts must be positive") } }

        func run() async throws {
            let s = try await global.withDatabase(maxConnections: 4) { db in
                try await DemoSeeder(database: db, logger: global.logger()).seed(accounts: accounts, seed: seed, endDate: nil)
            }
            print(String(format: "seeded %d accounts (%d churned) in %.1f s: ", s.accounts, s.churned, s.seconds)
                  + s.rows.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
        }
    }

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Seed (if empty), train, predict, score, evaluate interventions, deliver to loopback sinks, generate the reports; print a summary.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "Accounts to generate when cs.accounts is empty.") var accounts: Int = 5_000
        @Option(help: "Seed for the demo data.") var seed: UInt64 = 1
        @Option(help: "Folder for the reports as HTML files (with index.html).") var reportsDir: String = "demo-reports"

        func run() async throws {
            let logger = global.logger()
            let dir = URL(fileURLWithPath: reportsDir).standardizedFileURL
            try await DemoRun(url: try global.url(), accounts: accounts, seed: seed, reportsDirectory: dir, logger: logger).run { registry, workerID in
                try JobKinds.registerAll(in: registry, workerID: workerID, logger: logger)
            }
        }
    }
}
