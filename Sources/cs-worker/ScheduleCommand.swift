// `cs-worker schedule add|list|remove`: cron rows in cs.schedules.
import ArgumentParser
import Foundation
import PG
import Queue

struct ScheduleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "schedule", abstract: "Manage cron schedules.",
                                                    subcommands: [Add.self, List.self, Remove.self, Defaults.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add or replace a schedule.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Schedule name.") var name: String
        @Option(help: "5-field cron expression, e.g. '0 6 * * 1-5', or @daily.") var cron: String
        @Option(help: "Job kind to enqueue.") var kind: String
        @Option(help: "Job arguments as a JSON object.") var args: String = "{}"
        @Option(help: "IANA time zone the cron fields are read in.") var tz: String = "UTC"
        @Option(help: "Queue.") var queue: String = "default"
        @Option(help: "Priority: lower runs first.") var priority: Int = 100

        func validate() throws {
            do { _ = try CronExpression(cron) } catch { throw ValidationError("\(error)") }
            guard TimeZone(identifier: tz) != nil else { throw ValidationError("unknown time zone '\(tz)'") }
        }

        func run() async throws {
            let next = try await global.withDatabase { db in
                let store = ScheduleStore(database: db)
                try await store.upsert(Schedule(name: name, cron: cron, timeZone: tz, kind: kind, argsJSON: args, queue: queue, priority: priority))
                return try await store.list().first { $0.name == name }?.nextSlot
            }
            print("schedule \(name): next run \(next.map { ISO8601DateFormatter().string(from: $0) } ?? "never")")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List schedules.")
        @OptionGroup var global: GlobalOptions
        func run() async throws {
            let list = try await global.withDatabase { try await ScheduleStore(database: $0).list() }
            let f = ISO8601DateFormatter()
            print(TextTable(header: ["name", "cron", "tz", "kind", "queue", "enabled", "last", "next"], rows: list.map { s in
                [s.name, s.cron, s.timeZone, s.kind, s.queue, s.enabled ? "yes" : "no",
                 s.lastSlot.map(f.string) ?? "-", s.nextSlot.map(f.string) ?? "-"]
            }).render())
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a schedule.")
        @OptionGroup var global: GlobalOptions
        @Argument var name: String
        func run() async throws {
            let removed = try await global.withDatabase { try await ScheduleStore(database: $0).remove(name: name) }
            print(removed ? "removed \(name)" : "no schedule named \(name)")
            if !removed { throw ExitCode(2) }
        }
    }

    struct Defaults: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add the default schedules (nightly scoring, outcomes, weekly retraining, daily drift check) that are missing.")
        @OptionGroup var global: GlobalOptions
        func run() async throws {
            let names = try await global.withDatabase { db in
                try await JobKinds.installDefaultSchedules(database: db)
                return try await ScheduleStore(database: db).list().map(\.name)
            }
            print("schedules: \(names.joined(separator: ", "))")
        }
    }
}
