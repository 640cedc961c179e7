// CodedError: the one shape of an error in cs-worker — a code callers switch on, a message
// that names the context (a channel, a column, a SQLSTATE), never a secret or personal data.

/// A failure of one module. Each module's error is a struct with a `code` (a closed set of
/// `ErrorCode` values that can grow without breaking callers) and a `message`, plus the
/// context fields of its domain (SQLSTATE, curl code, SMTP reply, channel, scorecard…).
public protocol CodedError: Error, Sendable, CustomStringConvertible {
    associatedtype Domain
    var code: ErrorCode<Domain> { get }
    var message: String { get }
}

/// One code of the errors of `Domain` (the error type itself). Codes are declared as
/// static members in an extension `where Domain == ThatError`, so `.notFound` of one module
/// never collides with another's.
public struct ErrorCode<Domain>: Hashable, Sendable, CustomStringConvertible {
    /// The code's stable name, as logs and stored reasons show it.
    public let name: String
    public init(_ name: String) { self.name = name }
    public var description: String { name }
}
