// LearningError: the typed errors thrown by the Learning module, each with enough context to act on.
import Basics

/// Everything that can go wrong while parsing, encoding, training or scoring.
public enum LearningError: CodedError, Equatable {
    /// The input had no rows (or no columns) where some were required.
    case emptyData(context: String)
    /// Two inputs that must line up did not.
    case dimensionMismatch(expected: Int, actual: Int, context: String)
    /// A column the caller or a fitted encoder needs is absent.
    case missingColumn(String)
    /// Training labels contain a single class, so nothing can be learned.
    case singleClass(context: String)
    /// A hyper-parameter or argument is out of range.
    case invalidParameter(name: String, reason: String)
    /// The CSV text is malformed at the given 1-based line.
    case malformedCSV(line: Int, reason: String)
    /// A row index given by the caller is outside the table.
    case rowOutOfRange(row: Int, rowCount: Int)
    /// The optimiser could not make progress (for example a singular system).
    case numerical(context: String)

    public var description: String {
        switch self {
        case .emptyData(let context): return "empty data: \(context)"
        case .dimensionMismatch(let expected, let actual, let context):
            return "dimension mismatch in \(context): expected \(expected), got \(actual)"
        case .missingColumn(let name): return "missing column '\(name)'"
        case .singleClass(let context): return "labels contain a single class: \(context)"
        case .invalidParameter(let name, let reason): return "invalid parameter \(name): \(reason)"
        case .malformedCSV(let line, let reason): return "malformed CSV at line \(line): \(reason)"
        case .rowOutOfRange(let row, let rowCount): return "row \(row) out of range 0..<\(rowCount)"
        case .numerical(let context): return "numerical failure: \(context)"
        }
    }

    /// The case as a code, so Learning's errors read like every other module's.
    public var code: ErrorCode<LearningError> {
        switch self {
        case .emptyData: return .emptyData
        case .dimensionMismatch: return .dimensionMismatch
        case .missingColumn: return .missingColumn
        case .singleClass: return .singleClass
        case .invalidParameter: return .invalidParameter
        case .malformedCSV: return .malformedCSV
        case .rowOutOfRange: return .rowOutOfRange
        case .numerical: return .numerical
        }
    }

    public var message: String { description }
}

/// Learning keeps its errors an enum with associated values (its API throws them typed:
/// `throws(LearningError)`); the codes mirror the cases.
extension ErrorCode where Domain == LearningError {
    public static let emptyData = Self("emptyData")
    public static let dimensionMismatch = Self("dimensionMismatch")
    public static let missingColumn = Self("missingColumn")
    public static let singleClass = Self("singleClass")
    public static let invalidParameter = Self("invalidParameter")
    public static let malformedCSV = Self("malformedCSV")
    public static let rowOutOfRange = Self("rowOutOfRange")
    public static let numerical = Self("numerical")
}
