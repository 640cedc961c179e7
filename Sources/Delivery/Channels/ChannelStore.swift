// ChannelStore: reading and writing cs.channels from Swift (the CLI and the demo use it).
import Basics
import PG

/// Channel configuration in the database. Writes validate first, so a row that
/// could never send is refused when it is saved rather than when an alert is due.
public enum ChannelStore {
    /// Creates or replaces `channel` (by name) and returns its `warnings` (allowed but
    /// unwise settings, for the caller to show). Throws `DeliveryError(.configuration)` for a
    /// channel missing what its type needs.
    @discardableResult
    public static func save(_ channel: Channel, on connection: Connection) async throws -> [String] {
        try channel.validate()
        try await connection.execute(DeliveryStatements.UpsertChannel(channel: channel))
        return channel.warnings
    }

    /// `save(_:on:)` on a pooled connection.
    @discardableResult
    public static func save(_ channel: Channel, database: Database) async throws -> [String] {
        try await database.withConnection { try await save(channel, on: $0) }
    }

    /// The channel named `name`, or nil.
    public static func channel(named name: String, database: Database) async throws -> Channel? {
        try await database.first(DeliveryStatements.Channels(name: name))
    }

    /// Every channel, by name.
    public static func all(database: Database) async throws -> [Channel] {
        try await database.rows(DeliveryStatements.Channels(name: nil))
    }

    /// Turns a channel on or off; deliveries to a disabled channel fail permanently.
    /// Returns false when there is no such channel.
    @discardableResult
    public static func setEnabled(_ enabled: Bool, channel name: String, database: Database) async throws -> Bool {
        try await database.execute(DeliveryStatements.SetChannelEnabled(name: name, enabled: enabled)) > 0
    }
}
