// ModelError: what goes wrong in the churn-model integration (sources, training, registry), with context.
import Basics

/// A churn-model failure. Callers switch on `code`; `message` names the source, column or model involved
/// (never row values, which may be personal data).
public struct ModelError: CodedError, Equatable {
    public typealias Code = ErrorCode<ModelError>

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "ModelError(\(code)): \(message)" }
}

extension ErrorCode where Domain == ModelError {
    /// A relation or column name is malformed, or names nothing that exists.
    public static let invalidIdentifier = Self("invalidIdentifier")
    /// A column exists but cannot be used as asked (type, label).
    public static let unusableColumn = Self("unusableColumn")
    /// The data cannot train or evaluate a model (no rows, one class).
    public static let insufficientData = Self("insufficientData")
    /// No model with that id, or no champion when one is required.
    public static let notFound = Self("notFound")
    /// A stored model or profile does not decode.
    public static let corruptModel = Self("corruptModel")
    /// The Learning library refused (see the message).
    public static let learning = Self("learning")
    /// A caller argument is out of range.
    public static let invalidArgument = Self("invalidArgument")
}
