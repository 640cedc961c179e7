// CurlClient: the public face of Transport. One per process, shared by every channel.
import CCurl
import Logging

/// Sends HTTP requests and SMTP messages through libcurl, from async code.
///
/// All transfers run on one dedicated thread (libcurl's multi interface), so thousands may be
/// in flight without blocking Swift's cooperative pool, and connections are reused across
/// requests to the same host. Create one at startup, share it, and `shutdown()` at exit.
public final class CurlClient: Sendable {
    /// Connection limits. Defaults suit a worker calling a handful of providers.
    public struct Configuration: Sendable {
        /// CURLMOPT_MAX_TOTAL_CONNECTIONS (and the idle connection cache size); 0 = unlimited.
        public var maxConnections: Int
        /// CURLMOPT_MAX_HOST_CONNECTIONS; 0 = unlimited. Excess transfers queue inside curl.
        public var maxHostConnections: Int
        /// How many idle easy handles to keep for reuse.
        public var handlePoolSize: Int

        public init(maxConnections: Int = 512, maxHostConnections: Int = 64, handlePoolSize: Int = 64) {
            self.maxConnections = maxConnections
            self.maxHostConnections = maxHostConnections
            self.handlePoolSize = handlePoolSize
        }
    }

    private let loop: TransferLoop

    /// Starts the transfer thread. Throws only if libcurl cannot initialise.
    public init(configuration: Configuration = Configuration(),
                logger: Logger = Logger(label: "cs-worker.transport")) throws {
        guard let loop = TransferLoop(configuration: configuration, logger: logger) else {
            throw TransportError(code: .other, curlCode: CurlGlobal.initResult,
                                 message: "libcurl initialisation failed")
        }
        self.loop = loop
        loop.start()
    }

    deinit {
        loop.requestStop(cancelInFlight: true)
    }

    /// Performs one HTTP exchange. Any HTTP status is a response; transport failures throw
    /// `TransportError`, and cancelling the task aborts the transfer with `CancellationError`.
    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        guard case .http(let response) = try await perform(.http(request)) else {
            throw TransportError(code: .other, message: "unexpected outcome kind", url: RedactedURL(request.url))
        }
        return response
    }

    /// Submits one message. Rejections (4xx/5xx at any stage) throw `TransportError` with
    /// code `.smtpRejected` and the server's `replyCode`.
    public func send(_ mail: SMTPRequest) async throws -> SMTPResponse {
        // The envelope goes into SMTP commands verbatim: a CR or LF there would pipeline
        // commands of the caller's choosing. Callers validate addresses; this is the floor.
        for address in [mail.mailFrom] + mail.recipients where !SMTPRequest.isSafeEnvelopeAddress(address) {
            throw TransportError(code: .invalidRequest, message: "envelope address with a control character, space or angle bracket refused",
                                 url: RedactedURL(mail.url))
        }
        if mail.recipients.isEmpty {
            throw TransportError(code: .invalidRequest, message: "no envelope recipient", url: RedactedURL(mail.url))
        }
        guard case .smtp(let response) = try await perform(.smtp(mail)) else {
            throw TransportError(code: .other, message: "unexpected outcome kind", url: RedactedURL(mail.url))
        }
        return response
    }

    /// Stops accepting transfers and waits for the loop thread to exit. In-flight transfers
    /// finish normally (bounded by their timeouts) unless `cancelInFlight` is true, in which
    /// case they fail with `.shutdown`. Later `send` calls throw `.shutdown`.
    public func shutdown(cancelInFlight: Bool = false) async {
        loop.requestStop(cancelInFlight: cancelInFlight)
        await loop.waitForExit()
    }

    private func perform(_ payload: TransferPayload) async throws -> TransferOutcome {
        let ticket = loop.makeTicket(payload)
        let loop = self.loop
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                guard ticket.attach(continuation) else { return }
                if !loop.enqueue(ticket) {
                    ticket.finish(.failure(TransportError(code: .shutdown, message: "transport client shut down")))
                }
            }
        } onCancel: {
            if ticket.cancel() { loop.cancel(ticket.id) }
        }
    }
}
