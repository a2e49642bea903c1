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
        self.connection = connection
        self.statement = try SQLiteCall.prepare(connection, sql)
    }

    deinit { sqlite3_finalize(statement) }

    /// Binds `values` to parameters 1, 2, ...; nil binds NULL.
    func bind(_ values: [Bindable?]) throws {
        try SQLiteCall.reset(connection, statement)
        for (i, value) in values.enumerated() {
            guard let index = Int32(exactly: i + 1) else { throw SQLiteCall.failure(SQLITE_RANGE, connection, statement) }
            switch value {
            case nil: try SQLiteCall.bindNull(connection, statement, index)
            case let text as String:
                var text = text
                try text.withUTF8 { try SQLiteCall.bindText(connection, statement, index, UnsafeRawBufferPointer($0)) }
            case let number as Int: try SQLiteCall.bindInt64(connection, statement, index, Int64(number))
            case let number as Int64: try SQLiteCall.bindInt64(connection, statement, index, number)
            case let flag as Bool: try SQLiteCall.bindInt64(connection, statement, index, flag ? 1 : 0)
            default: preconditionFailure("unsupported binding \(type(of: value))")
            }
        }
    }

    /// Runs the bound statement to completion; returns the first column of its first row as
    /// an integer, or nil when it returns no row.
    @discardableResult
    func run() throws -> Int64? {
        var first: Int64?
        do {
            while try SQLiteCall.step(connection, statement) {
                if first == nil { first = sqlite3_column_int64(statement, 0) }
            }
        } catch {
            SQLiteCall.resetAfterFailure(statement)
            throw error
        }
        try SQLiteCall.reset(connection, statement)
        return first
    }
}

/// The value types `SQLiteStatement.bind` accepts.
protocol Bindable {}
extension String: Bindable {}
extension Int: Bindable {}
extension Int64: Bindable {}
extension Bool: Bindable {}
