// JSONCoding: the one JSON encoder and decoder set-up — snake_case keys, ISO-8601 dates,
// sorted keys, unescaped slashes — so job arguments, jsonb columns and CLI output agree.
import Foundation

public enum JSONCoding {
    /// Sorted keys and unescaped slashes, so equal values give equal bytes.
    /// `snakeCase` maps `accountIds` to `account_ids` (job arguments, stored models).
    public static func encoder(snakeCase: Bool = true, pretty: Bool = false) -> JSONEncoder {
        let encoder = JSONEncoder()
        if snakeCase { encoder.keyEncodingStrategy = .convertToSnakeCase }
        encoder.outputFormatting = pretty ? [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
                                          : [.sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }

    /// The decoder matching `encoder(snakeCase:)`.
    public static func decoder(snakeCase: Bool = true) -> JSONDecoder {
        let decoder = JSONDecoder()
        if snakeCase { decoder.keyDecodingStrategy = .convertFromSnakeCase }
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }

    /// `value` as JSON text.
    public static func string<T: Encodable>(_ value: T, snakeCase: Bool = true) throws -> String {
        String(decoding: try encoder(snakeCase: snakeCase).encode(value), as: UTF8.self)
    }
}
