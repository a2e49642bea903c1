import GRDB
import GRDBSQLite

/// Checked calls into SQLite's C API, for the code that bypasses GRDB on hot paths
/// (`EventWriter`, `SQLiteStatement`, the key-use evaluation). Every prepare, bind, step and
/// reset result is looked at, and a failure becomes `DatabaseFailure.sqlite` carrying SQLite's
/// result code and message; lengths go through `Int32(exactly:)`, so a value too large for
/// SQLite is an error, never a trap or a silently shortened bind.
enum SQLiteCall {
    /// SQLITE_TRANSIENT: SQLite copies the bytes before the bind returns.
    static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

    /// The error for result code `rc` on `connection`, with the statement's SQL.
    static func failure(_ rc: Int32, _ connection: OpaquePointer?, _ statement: OpaquePointer?) -> DatabaseFailure {
        let message = connection.flatMap { sqlite3_errmsg($0) }.map { String(cString: $0) }
            ?? String(cString: sqlite3_errstr(rc))
        let sql = statement.flatMap { sqlite3_sql($0) }.map { String(cString: $0) } ?? ""
        return .sqlite(code: rc, message: message, statement: sql)
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
            let message = String(cString: sqlite3_errmsg(connection))
            throw DatabaseFailure.sqlite(code: rc == SQLITE_OK ? SQLITE_MISUSE : rc, message: message, statement: sql)
        }
        return statement
    }

    /// A byte count as SQLite's `int` length, or SQLITE_TOOBIG.
    @inline(__always)
    static func length(_ count: Int, _ statement: OpaquePointer) throws -> Int32 {
        guard let n = Int32(exactly: count) else {
            let sql = sqlite3_sql(statement).map { String(cString: $0) } ?? ""
            throw DatabaseFailure.sqlite(code: SQLITE_TOOBIG,
                                         message: "a value of \(count) bytes is larger than SQLite accepts", statement: sql)
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

    /// Binds a buffer's bytes as text, copied (an empty buffer binds '', not NULL).
    @inline(__always)
    static func bindText(_ connection: OpaquePointer, _ statement: OpaquePointer, _ index: Int32,
                         _ bytes: UnsafeRawBufferPointer) throws {
        if let base = bytes.baseAddress, bytes.count > 0 {
            try bindText(connection, statement, index, base.assumingMemoryBound(to: CChar.self), bytes.count, transient)
        } else {
            try check(sqlite3_bind_text(statement, index, "", 0, transient), connection, statement)  // a null pointer would bind NULL
        }
    }

    @inline(__always)
    static func bindInt64(_ connection: OpaquePointer, _ statement: OpaquePointer, _ index: Int32, _ value: Int64) throws {
        try check(sqlite3_bind_int64(statement, index, value), connection, statement)
    }

    @inline(__always)
    static func bindNull(_ connection: OpaquePointer, _ statement: OpaquePointer, _ index: Int32) throws {
        try check(sqlite3_bind_null(statement, index), connection, statement)
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

    /// Runs a statement that returns no rows (or whose rows are not wanted) and resets it; the
    /// step's error, if any, wins over the reset's (which repeats it).
    static func execute(_ connection: OpaquePointer, _ statement: OpaquePointer) throws {
        let rc = sqlite3_step(statement)
        if rc != SQLITE_DONE && rc != SQLITE_ROW {
            let error = failure(rc, connection, statement)
            resetAfterFailure(statement)
            throw error
        }
        try reset(connection, statement)
    }

    /// Leaves a statement reusable after an error that was already thrown or is being thrown:
    /// the reset's result only repeats that error, so it is deliberately not reported twice.
    static func resetAfterFailure(_ statement: OpaquePointer) {
        _ = sqlite3_reset(statement)
    }
}
