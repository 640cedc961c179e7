// ReportError: why a report could not be made, with its context.
import Basics

/// A report request the worker refuses, or a document it cannot read.
public struct ReportError: CodedError {
    public var code: ErrorCode<ReportError>
    public var message: String
    public init(_ code: ErrorCode<ReportError>, _ message: String) { self.code = code; self.message = message }
    public var description: String { "report \(code): \(message)" }

    static func invalidPeriod(_ m: String) -> ReportError { ReportError(.invalidPeriod, m) }
    static func invalidParameter(_ m: String) -> ReportError { ReportError(.invalidParameter, m) }
}

extension ErrorCode where Domain == ReportError {
    public static let invalidPeriod = ErrorCode("invalid_period")
    public static let invalidParameter = ErrorCode("invalid_parameter")
    public static let unknownKind = ErrorCode("unknown_kind")
    /// The SQL function returned something that is not a version-1 document.
    public static let malformedDocument = ErrorCode("malformed_document")
    public static let notFound = ErrorCode("not_found")
}
