// Locked: the one lock box — a value behind an NSLock. (Synchronization.Mutex needs macOS 15;
// the package targets 14.)
import Foundation

/// A lock-protected value for state shared between threads and tasks.
public final class Locked<Value>: @unchecked Sendable {
    // Safe: `value` is only read or written inside `withLock`, under `lock`.
    private let lock = NSLock()
    private var value: Value

    public init(_ value: Value) { self.value = value }

    public func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
