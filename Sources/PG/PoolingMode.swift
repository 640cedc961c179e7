// PoolingMode: whether session state survives between statements on one connection.

/// How the server sessions behind a database URL are shared, which decides what a
/// connection may rely on.
///
/// Through a transaction pooler (PgBouncer `pool_mode = transaction`) two statements of one
/// client outside a transaction may run on different server sessions, so named prepared
/// statements, `SET`, `LISTEN` and session advisory locks either vanish or land on another
/// client's session. In `.transaction` mode a connection keeps no session state: every
/// statement goes unnamed (parsed and planned each time), settings are made per transaction.
public enum PoolingMode: String, Sendable, CaseIterable, CustomStringConvertible {
    /// A direct server or a session pooler: session state holds for the connection's life.
    case session
    /// A transaction pooler: nothing may outlive a transaction.
    case transaction

    public var description: String { rawValue }

    /// Reads `CS_POOLING` values (`session`, `transaction`); nil for anything else.
    public init?(setting: String) {
        self.init(rawValue: setting.trimmingCharacters(in: .whitespaces).lowercased())
    }
}
