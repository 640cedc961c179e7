// ChannelStore: reading and writing cs.channels from Swift (the CLI and the demo use it).
import Basics
import PG

/// Channel configuration in the database. Writes validate first, so a row that
/// could never send is refused when it is saved rather than when an alert is due.
public enum ChannelStore {
    /// Creates or replaces `channel` (by name). Throws `DeliveryError(.configuration)` for
    /// a channel missing what its type needs.
    public static func save(_ channel: Channel, on connection: Connection) async throws {
        try channel.validate()
        try await connection.execute(DeliverySQL.upsertChannel, [
            channel.name, channel.type.rawValue, channel.endpoint, channel.secretRef,
            JSONText(JSONValue.object(channel.options).serialized), channel.ratePerSecond, channel.burst, channel.enabled,
        ])
    }

    /// `save(_:on:)` on a pooled connection.
    public static func save(_ channel: Channel, database: Database) async throws {
        try await database.withConnection { try await save(channel, on: $0) }
    }

    /// The channel named `name`, or nil.
    public static func channel(named name: String, database: Database) async throws -> Channel? {
        guard let row = try await database.query(DeliverySQL.channel, [name]).first else { return nil }
        return try Deliverer.channel(row: row, from: 0)
    }

    /// Every channel, by name.
    public static func all(database: Database) async throws -> [Channel] {
        try await database.query(DeliverySQL.channels).map { try Deliverer.channel(row: $0, from: 0) }
    }

    /// Turns a channel on or off; deliveries to a disabled channel fail permanently.
    /// Returns false when there is no such channel.
    @discardableResult
    public static func setEnabled(_ enabled: Bool, channel name: String, database: Database) async throws -> Bool {
        try await database.execute(DeliverySQL.setChannelEnabled, [name, enabled]) > 0
    }
}
