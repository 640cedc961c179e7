// JobTracker: the jobs this worker is running now, their deadlines and why one was stopped.
import Foundation

/// Why a running job's task was cancelled by the worker.
enum StopReason: Sendable {
    case timeout(Duration)
    case cancelRequested
    case shutdown
}

/// In-flight bookkeeping shared by the producer (starts), the executor (finishes), the
/// timeout watchdog and cancellation (stops).
///
/// `@unchecked Sendable`: `running` is only touched under `lock`.
final class JobTracker: @unchecked Sendable {
    struct Entry {
        var task: Task<Void, Never>?
        let deadline: ContinuousClock.Instant
        let timeout: Duration
        var reason: StopReason?
    }

    private let lock = NSLock()
    private var running: [Int64: Entry] = [:]
    private let idle = WakeSignal()

    var count: Int { lock.withLock { running.count } }

    /// Records a job before its task starts, so a cancel that races the start is not lost.
    func begin(_ id: Int64, timeout: Duration) {
        lock.withLock { running[id] = Entry(task: nil, deadline: .now + timeout, timeout: timeout, reason: nil) }
    }

    func attach(_ id: Int64, task: Task<Void, Never>) {
        let cancelNow: Bool = lock.withLock {
            guard running[id] != nil else { return false }
            running[id]?.task = task
            return running[id]?.reason != nil
        }
        if cancelNow { task.cancel() }
    }

    /// Removes the job and returns why it was stopped, if it was.
    func end(_ id: Int64) -> StopReason? {
        let (reason, empty): (StopReason?, Bool) = lock.withLock {
            let r = running.removeValue(forKey: id)?.reason
            return (r, running.isEmpty)
        }
        if empty { idle.signal() }
        return reason
    }

    /// Stops one job (operator cancel). Returns false when this worker does not run it.
    @discardableResult
    func stop(_ id: Int64, reason: StopReason) -> Bool {
        let task: Task<Void, Never>?? = lock.withLock {
            guard running[id] != nil else { return .none }
            if running[id]?.reason == nil { running[id]?.reason = reason }
            return .some(running[id]?.task)
        }
        guard let task else { return false }
        task?.cancel()
        return true
    }

    /// Stops every job past its deadline.
    func expire(now: ContinuousClock.Instant = .now) {
        let overdue: [Task<Void, Never>] = lock.withLock {
            var tasks: [Task<Void, Never>] = []
            for (id, e) in running where e.reason == nil && e.deadline <= now {
                running[id]?.reason = .timeout(e.timeout)
                if let t = e.task { tasks.append(t) }
            }
            return tasks
        }
        overdue.forEach { $0.cancel() }
    }

    /// Stops everything still running (end of the shutdown grace period).
    func stopAll(reason: StopReason) {
        let tasks: [Task<Void, Never>] = lock.withLock {
            for id in running.keys where running[id]?.reason == nil { running[id]?.reason = reason }
            return running.values.compactMap(\.task)
        }
        tasks.forEach { $0.cancel() }
    }

    /// Waits until nothing runs, `deadline` passes or the caller is cancelled; returns
    /// true when idle. Wakes on the last job's end, not by polling.
    func waitUntilIdle(deadline: ContinuousClock.Instant) async -> Bool {
        if count == 0 { return true }
        return await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                while self.count > 0 {
                    await self.idle.wait()
                    if Task.isCancelled { return self.count == 0 }
                }
                return true
            }
            group.addTask {
                do { try await Task.sleep(until: deadline, clock: .continuous) } catch {}
                return self.count == 0
            }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }
}
