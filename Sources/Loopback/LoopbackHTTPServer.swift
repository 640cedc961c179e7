// LoopbackHTTPServer: a real HTTP/1.1 server on 127.0.0.1 for tests, no mocks.
// One thread accepts; one thread per connection serves keep-alive requests with
// Content-Length bodies (what libcurl sends). Simple and robust beats clever here.
import Basics
import Foundation

/// A scripted HTTP/1.1 server on an OS-assigned loopback port.
///
/// Every request is recorded; the handler decides the answer (status, headers, body,
/// delay, or dropping the connection). Stops on `stop()` or deinit.
///
///     let server = try LoopbackHTTPServer { req in .text(200, "ok") }
///     let url = server.url("/services/T0/B0/secret")
public final class LoopbackHTTPServer: Sendable {
    public typealias Handler = @Sendable (RecordedRequest) -> Response

    public let port: UInt16
    private let core: Core

    /// Starts listening immediately. `record: false` skips keeping requests (for benchmarks).
    public init(record: Bool = true, handler: @escaping Handler = { _ in .text(200, "ok") }) throws {
        let (fd, port) = try LoopbackSocket.listen()
        self.port = port
        core = Core(listenFD: fd, record: record, handler: handler)
        let core = self.core
        let thread = Thread { core.acceptLoop() }
        thread.name = "loopback-http-accept"
        thread.start()
    }

    deinit { core.stop() }

    /// `http://127.0.0.1:<port>`
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// `baseURL + path`; `path` should start with "/".
    public func url(_ path: String) -> String { baseURL + path }

    /// Every request received so far, in arrival order.
    public var requests: [RecordedRequest] { core.state.withLock { $0.requests } }

    /// How many requests were answered or dropped (counted even when not recording).
    public var requestCount: Int { core.state.withLock { $0.count } }

    /// How many TCP connections were accepted.
    public var connectionCount: Int { core.state.withLock { $0.nextConnectionID - 1 } }

    /// Stops accepting and hangs up every open connection.
    public func stop() { core.stop() }
}

extension LoopbackHTTPServer {
    /// The shared state behind the server; the threads hold this, not the server, so the
    /// server's deinit runs when the test lets go of it.
    final class Core: @unchecked Sendable {
        // Safe: mutable state lives in `state` (lock-protected); the rest is immutable.
        struct State {
            var requests: [RecordedRequest] = []
            var count = 0
            var connections: Set<Int32> = []
            var nextConnectionID = 1
            var stopped = false
        }

        let listenFD: Int32
        let record: Bool
        let handler: Handler
        let state = Locked(State())

        init(listenFD: Int32, record: Bool, handler: @escaping Handler) {
            self.listenFD = listenFD
            self.record = record
            self.handler = handler
        }

        var isStopped: Bool { state.withLock { $0.stopped } }

        func stop() {
            state.withLock { s in
                guard !s.stopped else { return }
                s.stopped = true
                // Only shut down here: each fd is closed by its owning thread, so a number
                // is never closed twice or after reuse.
                for fd in s.connections { LoopbackSocket.shutdownBoth(fd) }
            }
        }

        func acceptLoop() {
            defer { LoopbackSocket.closeFD(listenFD) }
            while !isStopped {
                guard LoopbackSocket.waitReadable(listenFD, timeoutMilliseconds: 100) else { continue }
                let fd = LoopbackSocket.accept(listenFD)
                guard fd >= 0 else { continue }
                let id = state.withLock { s -> Int? in
                    guard !s.stopped else { return nil }
                    s.connections.insert(fd)
                    defer { s.nextConnectionID += 1 }
                    return s.nextConnectionID
                }
                guard let id else { LoopbackSocket.closeFD(fd); break }
                let thread = Thread { [self] in serve(fd, connectionID: id) }
                thread.name = "loopback-http-conn"
                thread.start()
            }
        }

        func serve(_ fd: Int32, connectionID: Int) {
            defer {
                state.withLock { _ = $0.connections.remove(fd) }
                LoopbackSocket.closeFD(fd)
            }
            var parser = LoopbackHTTPParser()
            let chunk = UnsafeMutableRawBufferPointer.allocate(byteCount: 65536, alignment: 1)
            defer { chunk.deallocate() }
            while true {
                switch parser.next() {
                case .needMore:
                    let n = LoopbackSocket.receive(fd, into: chunk)
                    if n <= 0 { return }
                    parser.append(UnsafeRawBufferPointer(rebasing: chunk[0..<n]))
                case .expectContinue:
                    guard LoopbackSocket.sendAll(fd, Array("HTTP/1.1 100 Continue\r\n\r\n".utf8)) else { return }
                case .malformed:
                    _ = LoopbackSocket.sendAll(fd, Array("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8))
                    return
                case .request(let head, let body):
                    let request = RecordedRequest(method: head.method, path: head.target, headers: head.headers,
                                                  body: body, connectionID: connectionID)
                    state.withLock { s in
                        s.count += 1
                        if record { s.requests.append(request) }
                    }
                    let response = handler(request)
                    if response.delay > .zero && !sleep(response.delay) { return }
                    if response.dropConnection { return }
                    let close = head.wantsClose
                    guard LoopbackSocket.sendAll(fd, Self.serialize(response, close: close, head: head.method == "HEAD")) else { return }
                    if close { return }
                }
            }
        }

        /// Sleeps in slices so `stop()` is not held up; false if stopped meanwhile.
        private func sleep(_ d: Duration) -> Bool {
            let end = ContinuousClock.now + d
            while true {
                let remaining = end - ContinuousClock.now
                if remaining <= .zero { break }
                if isStopped { return false }
                let seconds = remaining.seconds
                Thread.sleep(forTimeInterval: min(0.02, seconds))
            }
            return !isStopped
        }

        static func serialize(_ r: Response, close: Bool, head: Bool) -> [UInt8] {
            var text = "HTTP/1.1 \(r.status) \(reason(r.status))\r\n"
            for h in r.headers { text += "\(h.name): \(h.value)\r\n" }
            text += "Content-Length: \(r.body.count)\r\n"
            if close { text += "Connection: close\r\n" }
            text += "\r\n"
            var out = Array(text.utf8)
            if !head { out += r.body }
            return out
        }

        static func reason(_ status: Int) -> String {
            switch status {
            case 200: "OK"
            case 201: "Created"
            case 202: "Accepted"
            case 204: "No Content"
            case 301: "Moved Permanently"
            case 302: "Found"
            case 400: "Bad Request"
            case 401: "Unauthorized"
            case 403: "Forbidden"
            case 404: "Not Found"
            case 410: "Gone"
            case 429: "Too Many Requests"
            case 500: "Internal Server Error"
            case 502: "Bad Gateway"
            case 503: "Service Unavailable"
            default: "Status"
            }
        }
    }
}
