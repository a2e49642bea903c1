/// Why the database could not be used. These end the command with exit status 2.
public enum DatabaseFailure: Error, Equatable, CustomStringConvertible, Sendable {
    case cannotOpen(path: String, reason: String)
    /// Another kmsaudit holds the lock on this database.
    case locked(path: String, waitedSeconds: Int)
    /// A statement tried to write through a read-only connection (`kmsaudit query`).
    case readOnly(reason: String)
    case sql(reason: String)

    public var description: String {
        switch self {
        case .cannotOpen(let p, let r): return "\(p): cannot open database: \(r)"
        case .locked(let p, let w):
            return "\(p): another kmsaudit is using this database (waited \(w) s; see --wait)"
        case .readOnly(let r): return "the database is opened read-only: \(r)"
        case .sql(let r): return "database error: \(r)"
        }
    }
}
