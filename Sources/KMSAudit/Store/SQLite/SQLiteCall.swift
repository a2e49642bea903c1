import GRDB
import GRDBSQLite

/// The checked calls into SQLite's C API: the only code outside GRDB (and the `CSQLiteSetup`
/// shim) that names a `sqlite3_` function. Every prepare, bind, step and reset result is looked
/// at, and a failure becomes GRDB's `DatabaseError` carrying SQLite's result code, message and
/// the statement's SQL, exactly as if GRDB had run it; lengths go through `Int32(exactly:)`, so a
/// value too large for SQLite is an error, never a trap or a silently shortened bind.
///
/// GRDB's rule for `Database.sqliteConnection` holds here: the connection and statements are
/// used only inside the database-access closure that handed out the `Database` they came from.
enum SQLiteCall {
    /// SQLITE_TRANSIENT: SQLite copies the bytes before the bind returns.
    static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

    /// The connection of `db`, or an error once it is closed.
    static func connection(_ db: Database) throws -> OpaquePointer {
        guard let connection = db.sqliteConnection else {
            throw DatabaseError(resultCode: .SQLITE_MISUSE, message: "the database connection is closed")
        }
        return connection
    }

    /// The error for result code `rc` on `connection`, with the statement's SQL.
    static func failure(_ rc: Int32, _ connection: OpaquePointer?, _ statement: OpaquePointer?) -> DatabaseError {
        let message = connection.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
            ?? String(cString: sqlite3_errstr(rc))
        let sql = statement.flatMap { sqlite3_sql($0) }.map { String(cString: $0) }
        return DatabaseError(resultCode: ResultCode(rawValue: rc), message: message, sql: sql)
    }

    /// Throws unless `rc` is SQLITE_OK.
    @inline(__always)
    static func check(_ rc: Int32, _ connection: OpaquePointer, _ statement: OpaquePointer?) throws {
        if rc != SQLITE_OK { throw failure(rc, connection, statement) }
    }

    /// A statement prepared once for many executions (SQLITE_PREPARE_PERSISTENT).
    static func prepare(_ connection: OpaquePointer, _ sql: String) throws -> OpaquePointer {
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(connection, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else {
            sqlite3_finalize(statement)
            // An empty or comment-only SQL prepares to no statement with SQLITE_OK: a misuse here.
            let code = rc == SQLITE_OK ? SQLITE_MISUSE : rc
            throw DatabaseError(resultCode: ResultCode(rawValue: code),
                                message: String(cString: sqlite3_errmsg(connection)), sql: sql)
        }
        return statement
    }

    /// Frees a statement (its result repeats the last step's error, already reported).
    static func finalize(_ statement: OpaquePointer) {
        _ = sqlite3_finalize(statement)
    }

    /// A byte count as SQLite's `int` length, or SQLITE_TOOBIG.
    @inline(__always)
    static func length(_ count: Int, _ statement: OpaquePointer) throws -> Int32 {
        guard let n = Int32(exactly: count) else {
            throw DatabaseError(resultCode: .SQLITE_TOOBIG, message: "a value of \(count) bytes is larger than SQLite accepts",
                                sql: sqlite3_sql(statement).map { String(cString: $0) })
        }
        return n
    }

    /// Binds `count` bytes at `pointer` as text; `destructor` nil is SQLITE_STATIC (the bytes
    /// must stay unchanged until the statement is re-bound or its bindings are cleared).
    @inline(__always)
    static func bindText(_ connection: OpaquePointer, _ statement: OpaquePointer, _ index: Int32,
                         _ pointer: UnsafePointer<CChar>, _ count: Int, _ destructor: sqlite3_destructor_type?) throws {
        try check(sqlite3_bind_text(statement, index, pointer, try length(count, statement), destructor), connection, statement)
    }

    /// Binds the empty text '' (a null pointer would bind NULL).
    @inline(__always)
    static func bindEmptyText(_ connection: OpaquePointer, _ statement: OpaquePointer, _ index: Int32) throws {
        try check(sqlite3_bind_text(statement, index, "", 0, transient), connection, statement)
    }

    @inline(__always)
    static func bindInt64(_ connection: OpaquePointer, _ statement: OpaquePointer, _ index: Int32, _ value: Int64) throws {
        try check(sqlite3_bind_int64(statement, index, value), connection, statement)
    }

    @inline(__always)
    static func bindNull(_ connection: OpaquePointer, _ statement: OpaquePointer, _ index: Int32) throws {
        try check(sqlite3_bind_null(statement, index), connection, statement)
    }

    /// Unbinds every parameter (sqlite3_clear_bindings has no failure: it always returns SQLITE_OK).
    @inline(__always)
    static func clearBindings(_ statement: OpaquePointer) {
        _ = sqlite3_clear_bindings(statement)
    }

    /// One step: true for a row, false when done; anything else throws.
    @inline(__always)
    static func step(_ connection: OpaquePointer, _ statement: OpaquePointer) throws -> Bool {
        let rc = sqlite3_step(statement)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        throw failure(rc, connection, statement)
    }

    /// Resets a statement for its next execution. After a failed step SQLite's reset repeats
    /// that step's error; callers that already threw it reset through `resetAfterFailure`.
    @inline(__always)
    static func reset(_ connection: OpaquePointer, _ statement: OpaquePointer) throws {
        try check(sqlite3_reset(statement), connection, statement)
    }

    /// Leaves a statement reusable after an error that was already thrown or is being thrown:
    /// the reset's result only repeats that error, so it is deliberately not reported twice.
    @inline(__always)
    static func resetAfterFailure(_ statement: OpaquePointer) {
        _ = sqlite3_reset(statement)
    }

    @inline(__always)
    static func lastInsertedRowID(_ connection: OpaquePointer) -> Int64 {
        sqlite3_last_insert_rowid(connection)
    }

    /// Rows changed by the connection's last INSERT, UPDATE or DELETE.
    @inline(__always)
    static func changes(_ connection: OpaquePointer) -> Int {
        Int(sqlite3_changes(connection))
    }

    /// The names of a prepared statement's parameters (`:name`, `?1`, ...), nil for an anonymous `?`.
    static func parameterNames(_ statement: OpaquePointer) -> [String?] {
        let count = sqlite3_bind_parameter_count(statement)
        guard count > 0 else { return [] }
        return (1...count).map { i in sqlite3_bind_parameter_name(statement, i).map { String(cString: $0) } }
    }
}

/// The current row of a statement, read through the C API without boxing: valid until the
/// statement steps again or is reset, like the pointers its accessors return.
struct SQLiteRow {
    fileprivate let statement: OpaquePointer

    fileprivate init(_ statement: OpaquePointer) { self.statement = statement }

    @inline(__always)
    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }

    /// A text column as GRDB reads it (`String(cString:)`); nil for NULL.
    @inline(__always)
    func text(_ column: Int32) -> String? {
        sqlite3_column_text(statement, column).map { String(cString: $0) }
    }

    /// A text column's UTF-8 bytes in place (no String made); nil for NULL. Valid until the
    /// statement steps again or is reset.
    @inline(__always)
    func textBytes(_ column: Int32) -> UnsafeRawBufferPointer? {
        guard let text = sqlite3_column_text(statement, column) else { return nil }
        return UnsafeRawBufferPointer(start: text, count: Int(sqlite3_column_bytes(statement, column)))
    }

    /// A column's bytes as stored (text or blob) in place; nil for NULL or an empty blob.
    @inline(__always)
    func blobBytes(_ column: Int32) -> UnsafeRawBufferPointer? {
        guard let blob = sqlite3_column_blob(statement, column) else { return nil }
        return UnsafeRawBufferPointer(start: blob, count: Int(sqlite3_column_bytes(statement, column)))
    }
}

extension SQLiteRow {
    /// The current row of `statement` (only `SQLiteStatement` makes one).
    @inline(__always)
    static func current(_ statement: OpaquePointer) -> SQLiteRow { SQLiteRow(statement) }
}
