// ModelJSON: the JSON encoders used for cs.models columns (snake_case for figures, exact for models).
import Foundation
import Learning
import PG

enum ModelJSON {
    /// Figures operators read with `->>`: snake_case keys, sorted.
    static func figures<T: Encodable>(_ value: T) throws -> JSONText {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return JSONText(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// Models and profiles that are decoded again: the types' own keys.
    static func exact<T: Encodable>(_ value: T) throws -> JSONText {
        try JSONText(encoding: value)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String, what: String) throws -> T {
        do { return try JSONDecoder().decode(type, from: Data(text.utf8)) } catch {
            throw ModelError(.corruptModel, "\(what) does not decode: \(error)")
        }
    }
}
