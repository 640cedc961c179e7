// ModelError: what goes wrong in the churn-model integration (sources, training, registry), with context.

/// A churn-model failure. Callers switch on `code`; `message` names the source, column or model involved
/// (never row values, which may be personal data).
public struct ModelError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A closed set of codes that can grow without breaking callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        let name: String
        /// A relation or column name is malformed, or names nothing that exists.
        public static let invalidIdentifier = Code(name: "invalidIdentifier")
        /// A column exists but cannot be used as asked (type, label).
        public static let unusableColumn = Code(name: "unusableColumn")
        /// The data cannot train or evaluate a model (no rows, one class).
        public static let insufficientData = Code(name: "insufficientData")
        /// No model with that id, or no champion when one is required.
        public static let notFound = Code(name: "notFound")
        /// A stored model or profile does not decode.
        public static let corruptModel = Code(name: "corruptModel")
        /// The Learning library refused (see the message).
        public static let learning = Code(name: "learning")
        /// A caller argument is out of range.
        public static let invalidArgument = Code(name: "invalidArgument")
        public var description: String { name }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "ModelError(\(code)): \(message)" }
}
