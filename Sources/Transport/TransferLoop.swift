// TransferLoop: the dedicated thread running libcurl's multi interface.
// libcurl calls block, so they never run on Swift's cooperative pool: async callers only
// append to `inbox` and poke curl_multi_wakeup; this thread does every curl call.
import Basics
import CCurl
import Foundation
import Logging

/// Owns the multi handle, every easy handle and the thread that drives them.
///
/// `@unchecked Sendable` is safe because the non-Sendable state (`multi`, `active`, `pool`,
/// and all `CURL *` inside them) is touched only by the loop thread in `run()`, and
/// `multi` is freed only after `inbox.closed` is set. Other threads touch only `inbox`
/// (under its lock) and call `curl_multi_wakeup`, which libcurl documents as callable from
/// any thread; they do so under the same lock, so never after the multi handle is freed.
final class TransferLoop: @unchecked Sendable {
    private struct Inbox {
        var adds: [TransferTicket] = []
        var cancels: [UInt64] = []
        var stopRequested = false
        var cancelInFlight = false
        /// Set by the loop right before it frees the multi handle.
        var closed = false
        var exitWaiters: [CheckedContinuation<Void, Never>] = []
        var nextID: UInt64 = 1
    }

    private let multi: UnsafeMutableRawPointer
    private let inbox = Locked(Inbox())
    private let configuration: CurlClient.Configuration
    private let logger: Logger

    // Loop-thread only.
    private var active: [UInt64: ActiveTransfer] = [:]
    private var pool: [EasyHandle] = []

    init?(configuration: CurlClient.Configuration, logger: Logger) {
        guard CurlGlobal.isReady, let m = curl_multi_init() else { return nil }
        multi = m
        self.configuration = configuration
        self.logger = logger
        _ = cs_curl_multi_setopt_long(m, CURLMOPT_MAX_TOTAL_CONNECTIONS, configuration.maxConnections)
        _ = cs_curl_multi_setopt_long(m, CURLMOPT_MAX_HOST_CONNECTIONS, configuration.maxHostConnections)
        _ = cs_curl_multi_setopt_long(m, CURLMOPT_MAXCONNECTS, max(configuration.maxConnections, 1))
    }

    /// Starts the thread. Separate from init so the thread never sees a half-built object.
    func start() {
        let thread = Thread { [self] in run() }
        thread.name = "curl-transfer-loop"
        thread.start()
    }

    func makeTicket(_ payload: TransferPayload) -> TransferTicket {
        let id = inbox.withLock { box -> UInt64 in
            defer { box.nextID &+= 1 }
            return box.nextID
        }
        return TransferTicket(id: id, payload: payload)
    }

    /// Queues a ticket for the loop. Returns false once shutdown has begun.
    func enqueue(_ ticket: TransferTicket) -> Bool {
        inbox.withLock { box in
            guard !box.stopRequested else { return false }
            let wasIdle = box.adds.isEmpty && box.cancels.isEmpty
            box.adds.append(ticket)
            // One wakeup per batch: the loop drains the whole inbox each time it wakes.
            if wasIdle { _ = curl_multi_wakeup(multi) }
            return true
        }
    }

    /// Asks the loop to remove a cancelled transfer's handle (its waiter was already resumed).
    func cancel(_ id: UInt64) {
        inbox.withLock { box in
            guard !box.closed else { return }
            let wasIdle = box.adds.isEmpty && box.cancels.isEmpty
            box.cancels.append(id)
            if wasIdle { _ = curl_multi_wakeup(multi) }
        }
    }

    /// Stops accepting work; the loop exits once in-flight transfers are done (or aborted).
    func requestStop(cancelInFlight: Bool) {
        inbox.withLock { box in
            guard !box.closed else { return }
            box.stopRequested = true
            box.cancelInFlight = box.cancelInFlight || cancelInFlight
            _ = curl_multi_wakeup(multi)
        }
    }

    /// Waits until the loop thread has exited and freed every handle.
    func waitForExit() async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let done = inbox.withLock { box -> Bool in
                if box.closed { return true }
                box.exitWaiters.append(c)
                return false
            }
            if done { c.resume() }
        }
    }

    // MARK: - Loop thread

    private func run() {
        logger.debug("transfer loop started", metadata: ["maxConnections": "\(configuration.maxConnections)"])
        var stopping = false
        while true {
            let (adds, cancels, stop, abortAll) = inbox.withLock { box in
                defer { box.adds.removeAll(keepingCapacity: true); box.cancels.removeAll(keepingCapacity: true) }
                return (box.adds, box.cancels, box.stopRequested, box.cancelInFlight)
            }
            for ticket in adds { begin(ticket) }
            for id in cancels { abort(id, with: CancellationError()) }
            if stop {
                stopping = true
                if abortAll {
                    let shutdownError = TransportError(code: .shutdown, message: "transport client shut down")
                    for id in Array(active.keys) { abort(id, with: shutdownError) }
                }
            }
            if stopping && active.isEmpty { break }
            var running: Int32 = 0
            _ = curl_multi_perform(multi, &running)
            harvest()
            if stopping && active.isEmpty { break }
            _ = curl_multi_poll(multi, nil, 0, 1000, nil)
        }
        teardown()
    }

    private func begin(_ ticket: TransferTicket) {
        guard !ticket.isFinished else { return }  // cancelled while queued
        guard let easy = pool.popLast() ?? EasyHandle() else {
            ticket.finish(.failure(TransportError(code: .other, message: "curl_easy_init failed")))
            return
        }
        let transfer = ActiveTransfer(ticket: ticket, easy: easy)
        let setup = transfer.configure()
        guard setup == CURLE_OK else {
            let error = transfer.error(setup, responseCode: 0)
            recycle(transfer)
            logFailure(transfer, error)
            ticket.finish(.failure(error))
            return
        }
        let added = curl_multi_add_handle(multi, easy.raw)
        guard added == CURLM_OK else {
            let message = String(cString: curl_multi_strerror(added))
            recycle(transfer)
            ticket.finish(.failure(TransportError(code: .other, message: message, url: transfer.redacted)))
            return
        }
        active[ticket.id] = transfer
    }

    /// Collects finished transfers. Message fields are copied before the handle is removed,
    /// because removal invalidates the message.
    private func harvest() {
        var left: Int32 = 0
        while let message = curl_multi_info_read(multi, &left) {
            guard message.pointee.msg == CURLMSG_DONE, let easy = message.pointee.easy_handle else { continue }
            let code = message.pointee.data.result
            var privateData: UnsafeMutableRawPointer?
            _ = cs_curl_easy_getinfo_pointer(easy, CURLINFO_PRIVATE, &privateData)
            guard let privateData else { continue }
            let transfer = Unmanaged<ActiveTransfer>.fromOpaque(privateData).takeUnretainedValue()
            let result = transfer.outcome(code)
            _ = curl_multi_remove_handle(multi, easy)
            active[transfer.ticket.id] = nil
            recycle(transfer)
            switch result {
            case .success:
                if logger.logLevel <= .trace {
                    logger.trace("transfer done", metadata: ["transfer": "\(transfer.ticket.id)", "url": "\(transfer.redacted)"])
                }
            case .failure(let error):
                if let error = error as? TransportError { logFailure(transfer, error) }
            }
            transfer.ticket.finish(result)
        }
    }

    private func abort(_ id: UInt64, with error: any Error) {
        guard let transfer = active.removeValue(forKey: id) else { return }
        _ = curl_multi_remove_handle(multi, transfer.easy.raw)
        recycle(transfer)
        logger.debug("transfer aborted", metadata: [
            "transfer": "\(id)", "url": "\(transfer.redacted)", "reason": "\(error is CancellationError ? "cancelled" : "shutdown")",
        ])
        transfer.ticket.finish(.failure(error))
    }

    /// Frees the transfer's borrowed memory and keeps its handle for the next transfer.
    private func recycle(_ transfer: ActiveTransfer) {
        transfer.easy.reset()
        transfer.release()
        if pool.count < configuration.handlePoolSize { pool.append(transfer.easy) }
    }

    private func logFailure(_ transfer: ActiveTransfer, _ error: TransportError) {
        var metadata: Logger.Metadata = [
            "transfer": "\(transfer.ticket.id)", "url": "\(transfer.redacted)",
            "code": "\(error.code.name)", "curlCode": "\(error.curlCode)",
        ]
        if let reply = error.replyCode { metadata["replyCode"] = "\(reply)" }
        logger.debug("transfer failed", metadata: metadata)
    }

    private func teardown() {
        let waiters = inbox.withLock { box -> [CheckedContinuation<Void, Never>] in
            box.closed = true
            defer { box.exitWaiters.removeAll() }
            return box.exitWaiters
        }
        // Any ticket that raced in before stopRequested was seen is still answered.
        let leftovers = inbox.withLock { box -> [TransferTicket] in
            defer { box.adds.removeAll() }
            return box.adds
        }
        for ticket in leftovers {
            ticket.finish(.failure(TransportError(code: .shutdown, message: "transport client shut down")))
        }
        pool.removeAll()
        _ = curl_multi_cleanup(multi)
        logger.debug("transfer loop stopped")
        for w in waiters { w.resume() }
    }
}
