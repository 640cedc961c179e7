// SMTPRequest: one SMTP submission (envelope + already-formatted message bytes).
// Building the RFC 5322 message is the caller's job; this only carries it.

/// One message to hand to an SMTP server.
///
/// `message` is sent verbatim (libcurl performs the dot-stuffing), so it must already be a
/// complete RFC 5322 message with CRLF line endings.
public struct SMTPRequest: Sendable {
    /// `smtp://host:port` (plain, optionally upgraded with STARTTLS) or `smtps://host:port` (implicit TLS).
    public var url: String
    /// Demand STARTTLS on `smtp://` (`CURLUSESSL_ALL`): the transfer fails rather than sending in clear.
    public var requireTLS: Bool
    public var username: String?
    /// Never logged, never put in errors.
    public var password: String?
    /// Envelope sender, a bare address (`alerts@example.com`); angle brackets are added.
    public var mailFrom: String
    /// Envelope recipients, bare addresses. If any is refused, the whole transfer fails.
    public var recipients: [String]
    public var message: [UInt8]
    /// Name sent in EHLO; curl's default is used when nil.
    public var heloName: String?
    public var connectTimeout: Duration
    public var timeout: Duration
    public var caBundlePath: String?

    /// Printable ASCII with no space and no angle bracket: what may stand between `<` and
    /// `>` in MAIL FROM and RCPT TO without changing the command.
    public static func isSafeEnvelopeAddress(_ address: String) -> Bool {
        !address.isEmpty && address.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7f && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ">") }
    }

    public init(url: String, requireTLS: Bool = false, username: String? = nil, password: String? = nil,
                mailFrom: String, recipients: [String], message: [UInt8], heloName: String? = nil,
                connectTimeout: Duration = .seconds(5), timeout: Duration = .seconds(30),
                caBundlePath: String? = nil) {
        self.url = url
        self.requireTLS = requireTLS
        self.username = username
        self.password = password
        self.mailFrom = mailFrom
        self.recipients = recipients
        self.message = message
        self.heloName = heloName
        self.connectTimeout = connectTimeout
        self.timeout = timeout
        self.caBundlePath = caBundlePath
    }
}
