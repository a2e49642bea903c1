import GRDB
import GRDBSQLite

/// One statement prepared once through SQLite's C API on GRDB's connection, for the writes
/// that run per file on the ingest hot path (the files ledger, per-source counts).
///
/// Why not GRDB's cached statements: for a 26-column upsert, GRDB's argument boxing, cursor
/// and bookkeeping cost about as much as SQLite's own work. Text is bound with
/// SQLITE_TRANSIENT (SQLite copies it), so callers pass ordinary Strings.
final class SQLiteStatement {
    private let connection: OpaquePointer
    private let statement: OpaquePointer

    init(_ db: Database, _ sql: String) throws {
        guard let connection = db.sqliteConnection else { throw DatabaseFailure.sql(reason: "connection closed") }
        var statement: OpaquePointer?
        guard sqlite3_prepare_v3(connection, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil) == SQLITE_OK,
              let statement else {
            throw DatabaseFailure.sql(reason: String(cString: sqlite3_errmsg(connection)))
        }
        self.connection = connection
        self.statement = statement
    }

    deinit { sqlite3_finalize(statement) }

    /// Binds `values` to parameters 1, 2, ...; nil binds NULL.
    func bind(_ values: [Bindable?]) {
        sqlite3_reset(statement)
        for (i, value) in values.enumerated() {
            let index = Int32(i + 1)
            switch value {
            case nil: sqlite3_bind_null(statement, index)
            case let text as String:
                var text = text
                text.withUTF8 { utf8 in
                    if let base = utf8.baseAddress, utf8.count > 0 {
                        base.withMemoryRebound(to: CChar.self, capacity: utf8.count) {
                            _ = sqlite3_bind_text(statement, index, $0, Int32(utf8.count), Self.transient)
                        }
                    } else {
                        sqlite3_bind_text(statement, index, "", 0, Self.transient)  // a null pointer would bind NULL
                    }
                }
            case let number as Int: sqlite3_bind_int64(statement, index, Int64(number))
            case let number as Int64: sqlite3_bind_int64(statement, index, number)
            case let flag as Bool: sqlite3_bind_int(statement, index, flag ? 1 : 0)
            default: preconditionFailure("unsupported binding \(type(of: value))")
            }
        }
    }

    /// Runs the bound statement to completion; returns the first column of its first row as
    /// an integer, or nil when it returns no row.
    @discardableResult
    func run() throws -> Int64? {
        defer { sqlite3_reset(statement) }
        var first: Int64?
        while true {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_DONE { return first }
            guard rc == SQLITE_ROW else { throw DatabaseFailure.sql(reason: String(cString: sqlite3_errmsg(connection))) }
            if first == nil { first = sqlite3_column_int64(statement, 0) }
        }
    }

    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
}

/// The value types `SQLiteStatement.bind` accepts.
protocol Bindable {}
extension String: Bindable {}
extension Int: Bindable {}
extension Int64: Bindable {}
extension Bool: Bindable {}
