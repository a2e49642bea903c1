/// Why the database could not be used. These end the command with exit status 2.
package enum DatabaseFailure: Error, Equatable, CustomStringConvertible, Sendable {
    case cannotOpen(path: String, reason: String)
    /// Only `ingest` and `audit` create a database: for any other command a missing file is a
    /// mistyped path, not an empty (clean) audit.
    case noDatabase(path: String)
    /// Nothing at the path yet, but a first load is building it (`FirstLoad`), or was
    /// interrupted and continues with the next ingest.
    case firstLoadUnfinished(path: String)
    /// `check` on a database that holds no ingested file: "0 findings" would mean nothing.
    case nothingIngested(path: String)
    /// Another kmsaudit holds the lock on this database.
    case locked(path: String, waitedSeconds: Int)
    /// A statement tried to write through a read-only connection (`kmsaudit query`).
    case readOnly(reason: String)
    /// Any other database failure, in one line (a GRDB `DatabaseError`, from GRDB itself or from
    /// the C-API layer in Store/SQLite/, becomes one through `from`).
    case sql(reason: String)

    package var description: String {
        switch self {
        case .cannotOpen(let p, let r): return "\(p): cannot open database: \(r)"
        case .noDatabase(let p): return "no database at \(p) (run kmsaudit ingest first)"
        case .firstLoadUnfinished(let p):
            return "no database at \(p) yet: its first load is being built in \(FirstLoad.buildingPath(for: p)) and moves into place when done (an interrupted one continues with the next kmsaudit ingest)"
        case .nothingIngested(let p): return "no ingested file in \(p) (run kmsaudit ingest first)"
        case .locked(let p, let w):
            return "\(p): another kmsaudit is using this database (waited \(w) s; see --wait)"
        case .readOnly(let r): return "the database is opened read-only: \(r)"
        case .sql(let r): return "database error: \(r)"
        }
    }
}
