// WakeSignal: a coalescing "something changed" flag one task can wait on.
import Foundation

/// Many signals before a wait count as one. Used to wake the producer (a slot freed, a
/// NOTIFY arrived, the poll timer fired) and the completer (an outcome arrived).
///
/// `@unchecked Sendable`: `pending` and `waiter` are only touched under `lock`.
final class WakeSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var pending = false
    private var waiter: CheckedContinuation<Void, Never>?

    func signal() {
        lock.lock()
        if let w = waiter {
            waiter = nil
            lock.unlock()
            w.resume()
        } else {
            pending = true
            lock.unlock()
        }
    }

    /// Returns at once if signalled since the last wait, else at the next signal, or when
    /// the waiting task is cancelled (callers check `Task.isCancelled` to tell which).
    func wait() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                lock.lock()
                if pending || Task.isCancelled {
                    pending = false
                    lock.unlock()
                    c.resume()
                } else {
                    waiter = c
                    lock.unlock()
                }
            }
        } onCancel: {
            signal()
        }
    }
}
