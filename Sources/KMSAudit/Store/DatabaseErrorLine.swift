import GRDB

extension DatabaseFailure {
    /// A GRDB error that escaped as `.sql`: SQLite's result code and message on one line, never
    /// the statement (GRDB's description quotes it whole: many lines, and log text in its
    /// arguments). Nil for any other error.
    package static func from(_ error: Error) -> DatabaseFailure? {
        guard let e = error as? DatabaseError else { return nil }
        let message = (e.message ?? "").split(whereSeparator: \.isNewline).joined(separator: " ")
        return .sql(reason: "SQLite error \(e.extendedResultCode.rawValue): \(message)")
    }
}
