// The request a LoopbackHTTPServer records and the response a test scripts for it.

extension LoopbackHTTPServer {
    /// One request exactly as it arrived, for assertions.
    public struct RecordedRequest: Sendable {
        public let method: String
        /// The request target: path plus query (`/services/T0/B0/XYZ?x=1`).
        public let path: String
        public let headers: [(name: String, value: String)]
        public let body: [UInt8]
        /// Which TCP connection carried it (1, 2, …): equal numbers prove keep-alive reuse.
        public let connectionID: Int

        /// First value of a header, case-insensitively.
        public func header(_ name: String) -> String? {
            let n = name.lowercased()
            return headers.first { $0.name.lowercased() == n }?.value
        }

        public var bodyText: String { String(decoding: body, as: UTF8.self) }
    }

    /// What the server does with a request.
    public struct Response: Sendable {
        public var status: Int
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]
        /// Wait this long before answering (to exercise client timeouts).
        public var delay: Duration
        /// Close the connection without sending anything.
        public var dropConnection: Bool

        public init(status: Int = 200, headers: [(name: String, value: String)] = [], body: [UInt8] = [],
                    delay: Duration = .zero, dropConnection: Bool = false) {
            self.status = status
            self.headers = headers
            self.body = body
            self.delay = delay
            self.dropConnection = dropConnection
        }

        /// A `text/plain` answer, like Slack's `ok` / `invalid_payload`.
        public static func text(_ status: Int, _ body: String, headers: [(name: String, value: String)] = []) -> Response {
            Response(status: status, headers: [("Content-Type", "text/plain; charset=utf-8")] + headers, body: Array(body.utf8))
        }

        /// An `application/json` answer, like PagerDuty's or Twilio's.
        public static func json(_ status: Int, _ body: String, headers: [(name: String, value: String)] = []) -> Response {
            Response(status: status, headers: [("Content-Type", "application/json")] + headers, body: Array(body.utf8))
        }

        /// A bodiless answer, like SendGrid's 202.
        public static func empty(_ status: Int) -> Response { Response(status: status) }

        /// Hang up without answering.
        public static let drop = Response(dropConnection: true)

        /// Returns a copy that waits `delay` before answering.
        public func delayed(_ delay: Duration) -> Response {
            var r = self
            r.delay = delay
            return r
        }
    }
}
