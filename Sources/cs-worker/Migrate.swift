// `cs-worker migrate`: apply sql/ migrations.
import ArgumentParser
import Foundation
import PG

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply the numbered SQL migrations in sql/ (safe to run concurrently).")
    @OptionGroup var global: GlobalOptions
    @Option(help: "Folder of NNNN_name.sql files (default: sql/ of this checkout, or $CS_SQL_DIR).")
    var dir: String?

    func run() async throws {
        let logger = global.logger()
        guard let folder = dir.map({ URL(fileURLWithPath: $0) }) ?? Migrator.locateDirectory() else {
            throw CommandFailure(description: "sql/ folder not found: pass --dir or set CS_SQL_DIR")
        }
        let migrator = try Migrator(directory: folder, logger: logger)
        let applied = try await global.withDatabase { db in try await db.withConnection { try await migrator.migrate($0) } }
        print(applied.isEmpty ? "up to date (\(migrator.migrations.count) migrations)" : "applied: \(applied.map(String.init).joined(separator: ", "))")
    }
}
