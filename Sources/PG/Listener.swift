// Listener: LISTEN on a dedicated connection and deliver NOTIFYs as an async stream.
import Basics
import CLibpq
import Foundation
import Logging

/// What a `Listener` reports.
public enum ListenerEvent: Sendable, Equatable {
    /// A NOTIFY arrived on `channel`.
    case notification(channel: String, payload: String)
    /// The listener (re)connected and is listening: notifications sent while it was
    /// away are lost, so a consumer should re-check the state it cares about.
    case connected
}

/// Keeps one connection LISTENing on fixed channels, reconnecting with backoff when the
/// server goes away. Runs on its own thread (it waits on the socket with `poll`).
///
/// `@unchecked Sendable`: the libpq handle lives only on the listener thread; `stopped`
/// is guarded by `lock`.
public final class Listener: @unchecked Sendable {
    public let events: AsyncStream<ListenerEvent>
    private let continuation: AsyncStream<ListenerEvent>.Continuation
    private let url: String
    private let channels: [String]
    private let logger: Logger
    private let lock = NSLock()
    private var stopped = false
    private var thread: Thread?

    /// Starts listening at once. Channel names are quoted as identifiers.
    public init(url: String, channels: [String], logger: Logger) {
        self.url = url
        self.channels = channels
        self.logger = logger
        (events, continuation) = AsyncStream.makeStream(of: ListenerEvent.self, bufferingPolicy: .bufferingNewest(4096))
        let t = Thread { [weak self] in self?.loop() }
        t.name = "pg-listen"
        t.stackSize = 256 * 1024
        thread = t
        t.start()
    }

    deinit { stop() }

    /// Stops listening and finishes the event stream (within ~100 ms).
    public func stop() {
        lock.withLock { stopped = true }
    }

    private var isStopped: Bool { lock.withLock { stopped } }

    private func loop() {
        var handle: OpaquePointer?
        var attempt = 0
        let backoff = Backoff(base: .milliseconds(100), cap: .seconds(5))
        defer {
            if let handle { PQfinish(handle) }
            continuation.finish()
        }
        while !isStopped {
            if handle == nil {
                handle = connect()
                if handle == nil {
                    let d = backoff.delay(attempt: attempt)
                    attempt += 1
                    sleepChecking(d)
                    continue
                }
                attempt = 0
                continuation.yield(.connected)
            }
            guard let h = handle else { continue }
            var pfd = pollfd(fd: PQsocket(h), events: Int16(POLLIN), revents: 0)
            let rc = poll(&pfd, 1, 100)
            if rc < 0 && errno != EINTR { PQfinish(h); handle = nil; continue }
            if PQconsumeInput(h) == 0 || PQstatus(h) != CONNECTION_OK {
                logger.warning("listener lost its connection; reconnecting")
                PQfinish(h)
                handle = nil
                continue
            }
            while let n = PQnotifies(h) {
                let channel = String(cString: n.pointee.relname)
                let payload = String(cString: n.pointee.extra)
                PQfreemem(n)
                continuation.yield(.notification(channel: channel, payload: payload))
            }
        }
    }

    private func connect() -> OpaquePointer? {
        let keys = ["dbname", "fallback_application_name", "connect_timeout"]
        let values = [url, "cs-worker-listener", "5"]
        let h = withCStrings(keys) { k in withCStrings(values) { v in PQconnectdbParams(k, v, 1) } }
        guard let h, PQstatus(h) == CONNECTION_OK else {
            if let h {
                logger.debug("listener connect failed", metadata: ["error": "\(Connection.redact(String(cString: PQerrorMessage(h))))"])
                PQfinish(h)
            }
            return nil
        }
        PQsetNoticeProcessor(h, { _, _ in }, nil)
        let sql = channels.map { "LISTEN \"\($0.replacingOccurrences(of: "\"", with: "\"\""))\";" }.joined()
        let r = PQexec(h, sql)
        defer { if let r { PQclear(r) } }
        guard let r, PQresultStatus(r) == PGRES_COMMAND_OK else { PQfinish(h); return nil }
        return h
    }

    private func sleepChecking(_ d: Duration) {
        let deadline = ContinuousClock.now + d
        while !isStopped && ContinuousClock.now < deadline { usleep(20_000) }
    }
}
