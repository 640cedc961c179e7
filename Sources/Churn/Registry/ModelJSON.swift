// ModelJSON: the JSON encoders used for cs.models columns (snake_case for figures, exact for models).
import Basics
import Foundation
import Learning
import PG

enum ModelJSON {
    /// Figures operators read with `->>`: snake_case keys, sorted.
    static func figures<T: Encodable>(_ value: T) throws -> JSONText {
        JSONText(try JSONCoding.string(value))
    }

    /// Models and profiles that are decoded again: the types' own keys.
    static func exact<T: Encodable>(_ value: T) throws -> JSONText {
        try JSONText(encoding: value)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ text: String, what: String) throws -> T {
        do { return try JSONCoding.decoder(snakeCase: false).decode(type, from: Data(text.utf8)) } catch {
            throw ModelError(.corruptModel, "\(what) does not decode: \(error)")
        }
    }
}
