// ModelCompute: runs CPU-heavy model work (training, batch scoring) on a dedicated thread.
import Foundation

/// Training a boosted model takes seconds of CPU. The cooperative pool has as many threads as cores
/// (two here), so doing it on the pool would stall every other task of the worker (heartbeats,
/// claims, deliveries). `run` moves the work to a fresh thread and suspends the caller until it ends.
public enum ModelCompute {
    /// Runs `body` on its own thread with a large stack (tree growing recurses) and returns its result.
    public static func run<T: Sendable>(_ name: String, _ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, Error>) in
            let thread = Thread {
                do { continuation.resume(returning: try body()) } catch { continuation.resume(throwing: error) }
            }
            thread.name = name
            thread.stackSize = 16 << 20
            thread.start()
        }
    }
}
