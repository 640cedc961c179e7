// DatabaseURL: small edits to libpq connection strings (which database to use).
import CLibpq
import Foundation

public enum DatabaseURL {
    /// The same server and credentials, another database. Works for URLs
    /// (`postgresql://u@h:5432/db?x=y`) and key/value strings (`host=h dbname=db`).
    public static func replacingDatabase(in url: String, with database: String) -> String {
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://"),
           var comps = URLComponents(string: url) {
            comps.path = "/" + database
            return comps.string ?? url
        }
        return url + " dbname='\(database.replacingOccurrences(of: "'", with: "\\'"))'"
    }

    /// Checks that `url` is a libpq connection string (a `postgresql://` URL or
    /// `key=value` pairs) without connecting; throws `.usage` with libpq's reason.
    public static func validate(_ url: String) throws {
        let trimmed = url.trimmingCharacters(in: .whitespaces)
        let looksRight = trimmed.hasPrefix("postgresql://") || trimmed.hasPrefix("postgres://") || trimmed.contains("=")
        var message: UnsafeMutablePointer<CChar>?
        let parsed = PQconninfoParse(trimmed, &message)
        defer {
            if let parsed { PQconninfoFree(parsed) }
            if let message { PQfreemem(message) }
        }
        guard looksRight, parsed != nil else {
            let why = message.map { Connection.redact(String(cString: $0).trimmingCharacters(in: .whitespacesAndNewlines)) }
            throw PGError(.usage, "the database URL is neither a postgresql:// URL nor key=value pairs"
                          + (why.map { " (\($0))" } ?? ""))
        }
    }

    /// The URL with any password replaced, fit for a log line.
    public static func redacted(_ url: String) -> String { Connection.redact(url) }

    /// Quotes an identifier (a database or role name) for DDL, which cannot take parameters.
    public static func quoteIdentifier(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// `schema.name` → `"schema"."name"` (each part quoted; a name without a dot is quoted whole).
    public static func quoteQualified(_ name: String) -> String {
        guard let dot = name.firstIndex(of: ".") else { return quoteIdentifier(name) }
        return quoteIdentifier(String(name[..<dot])) + "." + quoteIdentifier(String(name[name.index(after: dot)...]))
    }
}
