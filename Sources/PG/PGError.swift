// PGError: every failure of the PostgreSQL layer, with the server's own fields.
import Basics
import CLibpq

/// A failure talking to PostgreSQL. Callers switch on `code`; logs get everything else.
///
/// `query` is the SQL text only, never its parameters (they may hold personal data).
public struct PGError: CodedError {
    public typealias Code = ErrorCode<PGError>

    public var code: Code
    /// The five-character SQLSTATE, when the server sent one (`23505` unique violation…).
    public var sqlState: String?
    public var message: String
    public var detail: String?
    public var hint: String?
    /// The SQL text that failed, without its parameters.
    public var query: String?

    public init(_ code: Code, _ message: String, sqlState: String? = nil, detail: String? = nil,
                hint: String? = nil, query: String? = nil) {
        self.code = code; self.message = message; self.sqlState = sqlState
        self.detail = detail; self.hint = hint; self.query = query
    }

    /// True for errors that a fresh connection may not repeat: lost connections and
    /// the server's own "go away" states (shutdown, too many connections, recovery).
    public var isConnectionProblem: Bool {
        if code == .connectionLost || code == .connectionFailed { return true }
        guard let s = sqlState else { return false }
        return s.hasPrefix("08") || s == "57P01" || s == "57P02" || s == "57P03" || s == "53300"
    }

    /// The server's DETAIL of data exceptions and integrity violations quotes the values
    /// (`Failing row contains (…)`, `Key (email)=(…) already exists`), which may be personal
    /// data: `description`, and so every log line and stored error, leaves it out.
    public var detailCarriesValues: Bool {
        guard let s = sqlState else { return detail?.hasPrefix("Failing row contains") ?? false }
        return s.hasPrefix("22") || s.hasPrefix("23")
    }

    /// A data exception (class 22) or a syntax / undefined-object error (class 42): the
    /// same statement with the same input will fail the same way, so retrying is pointless.
    public var isPermanent: Bool {
        guard let s = sqlState else { return false }
        return s.hasPrefix("22") || s.hasPrefix("42")
    }

    /// A unique constraint refused the row.
    public var isUniqueViolation: Bool { sqlState == "23505" }

    public var description: String {
        var s = "PGError(\(code)"
        if let sqlState { s += ", SQLSTATE \(sqlState)" }
        s += "): \(message)"
        if let detail, !detailCarriesValues { s += " DETAIL: \(detail)" }
        if let hint { s += " HINT: \(hint)" }
        if let query { s += " QUERY: \(query.prefix(200))" }
        return s
    }

    /// Builds an error from a failed result, reading the server's fields.
    static func from(result: OpaquePointer?, connection: OpaquePointer?, query: String?) -> PGError {
        func field(_ f: Int32) -> String? {
            guard let result, let p = PQresultErrorField(result, f) else { return nil }
            return String(cString: p)
        }
        let sqlState = field(Int32(UInt8(ascii: "C")))
        let primary = field(Int32(UInt8(ascii: "M")))
        let connMessage = connection.flatMap { PQerrorMessage($0) }.map { String(cString: $0) } ?? ""
        let lost = connection.map { PQstatus($0) == CONNECTION_BAD } ?? true
        let code: Code = sqlState != nil ? .server : (lost ? .connectionLost : .server)
        let message = (primary ?? connMessage).trimmingCharacters(in: .whitespacesAndNewlines)
        return PGError(code, message.isEmpty ? "unknown libpq error" : message, sqlState: sqlState,
                       detail: field(Int32(UInt8(ascii: "D"))), hint: field(Int32(UInt8(ascii: "H"))),
                       query: query)
    }
}

extension ErrorCode where Domain == PGError {
    /// The connection could not be opened (bad URL, server down, auth refused).
    public static let connectionFailed = Self("connectionFailed")
    /// An open connection broke: the server restarted, the network dropped.
    public static let connectionLost = Self("connectionLost")
    /// The server answered with an error: see `sqlState`.
    public static let server = Self("server")
    /// A value could not be decoded into the Swift type asked for.
    public static let decoding = Self("decoding")
    /// The caller used the API wrongly (for example a statement inside a broken transaction).
    public static let usage = Self("usage")
    /// The call was cancelled before it finished.
    public static let cancelled = Self("cancelled")
}
