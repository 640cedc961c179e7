// PgBouncer: Loopback's real PgBouncer in front of the test server.
import Foundation
import Loopback
import PG

extension LoopbackPgBouncer {
    /// A PgBouncer in `mode` in front of the server named by DATABASE_URL.
    public static func start(mode: PoolingMode, poolSize: Int = 8) async throws -> LoopbackPgBouncer {
        try await LoopbackPgBouncer(upstreamURL: try TestEnvironment.adminURL, poolMode: mode.rawValue, poolSize: poolSize)
    }
}
