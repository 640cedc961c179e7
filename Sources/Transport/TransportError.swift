// TransportError: the one error type Transport throws (besides CancellationError).
// It carries enough context to decide "retry or give up" without ever holding a secret.

import Basics

/// A failed transfer, with curl's own diagnosis attached.
///
/// Callers branch on `code` (a closed set) rather than on curl's ~100 error numbers;
/// `curlCode`, `message` and `replyCode` are kept for logs and for the rare case that needs them.
/// `url` is already redacted, so the error can be logged or stored as is.
public struct TransportError: CodedError, Equatable {
    /// What went wrong, coarsely: the part callers switch on.
    public typealias Code = ErrorCode<TransportError>

    public var code: Code
    /// libcurl's `CURLcode` number (0 when the failure did not come from curl).
    public var curlCode: Int
    /// curl's error buffer text (`CURLOPT_ERRORBUFFER`), or `curl_easy_strerror` when empty.
    public var message: String
    /// The server's last reply code (`CURLINFO_RESPONSE_CODE`) when one was received: SMTP mostly.
    public var replyCode: Int?
    /// The server's last reply line (SMTP), if one was seen.
    public var replyText: String?
    /// The target, with its secret parts removed.
    public var url: RedactedURL?

    public init(code: Code, curlCode: Int = 0, message: String, replyCode: Int? = nil,
                replyText: String? = nil, url: RedactedURL? = nil) {
        self.code = code
        self.curlCode = curlCode
        self.message = message
        self.replyCode = replyCode
        self.replyText = replyText
        self.url = url
    }

    /// Whether trying again later could plausibly succeed: network trouble, SMTP 4xx at
    /// any stage (421, 450–452, and 454 "temporary authentication failure") and 503 (bad
    /// sequence of commands: a session problem, not a verdict on the message) are
    /// transient; other SMTP 5xx, 535 and friends, bad requests and TLS failures are not.
    public var isTransient: Bool {
        switch code {
        case .couldNotConnect, .timedOut, .dns, .sendFailed, .recvFailed, .shutdown:
            return true
        case .smtpRejected, .authFailed:
            guard let reply = replyCode else { return code == .smtpRejected }
            return (400..<500).contains(reply) || reply == 503
        default: // .tls, .authFailed, .invalidRequest, .responseTooLarge, .other
            return false
        }
    }

    public var description: String {
        var s = "TransportError.\(code.name)(curl \(curlCode)"
        if let replyCode { s += ", reply \(replyCode)" }
        s += "): \(message)"
        if let url { s += " [\(url)]" }
        return s
    }
}

extension ErrorCode where Domain == TransportError {
    public static let couldNotConnect = Self("couldNotConnect")
    public static let timedOut = Self("timedOut")
    public static let tls = Self("tls")
    public static let dns = Self("dns")
    public static let sendFailed = Self("sendFailed")
    public static let recvFailed = Self("recvFailed")
    /// An SMTP server answered 4xx/5xx; see `replyCode`.
    public static let smtpRejected = Self("smtpRejected")
    /// Credentials were refused (SMTP AUTH, 535 and friends).
    public static let authFailed = Self("authFailed")
    /// The request could not be expressed (bad URL, unsupported scheme, bad option).
    public static let invalidRequest = Self("invalidRequest")
    /// The response body exceeded `HTTPRequest.maxResponseBytes`.
    public static let responseTooLarge = Self("responseTooLarge")
    /// The client was shut down before the transfer completed.
    public static let shutdown = Self("shutdown")
    public static let other = Self("other")
}
