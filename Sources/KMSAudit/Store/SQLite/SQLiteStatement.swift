import GRDB
import GRDBSQLite

/// One statement prepared once through SQLite's C API on GRDB's connection, bound and stepped
/// with typed calls, for the hot paths that bypass GRDB's statements: the events insert (ingest),
/// the files ledger, the key-use evaluation's read (check), and a few per-row state writes.
///
/// Why not GRDB's cached statements: for a 24-column insert, GRDB's argument boxing, cursor and
/// bookkeeping cost about as much as SQLite's own work. Make one inside a database-access closure
/// and let it go before the closure returns (GRDB's rule for `Database.sqliteConnection`).
/// Every call's result is checked (`SQLiteCall`): a failure throws GRDB's `DatabaseError`.
final class SQLiteStatement {
    private let connection: OpaquePointer
    private let statement: OpaquePointer

    init(_ db: Database, _ sql: String) throws {
        connection = try SQLiteCall.connection(db)
        statement = try SQLiteCall.prepare(connection, sql)
    }

    deinit { SQLiteCall.finalize(statement) }

    // MARK: Typed binds (parameters count from 1)

    @inline(__always)
    func bindInt64(_ index: Int32, _ value: Int64) throws {
        try SQLiteCall.bindInt64(connection, statement, index, value)
    }

    @inline(__always)
    func bindNull(_ index: Int32) throws {
        try SQLiteCall.bindNull(connection, statement, index)
    }

    /// Binds bytes as text, copied by SQLite (an empty buffer binds '', not NULL).
    @inline(__always)
    func bindText(_ index: Int32, _ bytes: UnsafeRawBufferPointer) throws {
        if let base = bytes.baseAddress, bytes.count > 0 {
            try SQLiteCall.bindText(connection, statement, index, base.assumingMemoryBound(to: CChar.self), bytes.count,
                                    SQLiteCall.transient)
        } else {
            try SQLiteCall.bindEmptyText(connection, statement, index)
        }
    }

    /// Binds bytes as text WITHOUT a copy (SQLITE_STATIC): they must stay unchanged until the
    /// statement is re-bound or `clearBindings()` runs. An empty buffer binds ''.
    @inline(__always)
    func bindTextInPlace(_ index: Int32, _ bytes: UnsafeRawBufferPointer) throws {
        if let base = bytes.baseAddress, bytes.count > 0 {
            try SQLiteCall.bindText(connection, statement, index, base.assumingMemoryBound(to: CChar.self), bytes.count, nil)
        } else {
            try SQLiteCall.bindEmptyText(connection, statement, index)
        }
    }

    /// Binds a String's UTF-8 as text, copied.
    func bindText(_ index: Int32, _ text: String) throws {
        var text = text
        try text.withUTF8 { try bindText(index, UnsafeRawBufferPointer($0)) }
    }

    /// Drops every binding, so no parameter points at memory about to go away.
    @inline(__always)
    func clearBindings() { SQLiteCall.clearBindings(statement) }

    // MARK: Stepping

    /// One step: true with a row (read it through `row`), false when done.
    @inline(__always)
    func step() throws -> Bool { try SQLiteCall.step(connection, statement) }

    /// The current row, valid until the next `step()` or `reset()`.
    @inline(__always)
    var row: SQLiteRow { SQLiteRow.current(statement) }

    @inline(__always)
    func reset() throws { try SQLiteCall.reset(connection, statement) }

    /// Resets after an error already thrown (the reset would only repeat it).
    @inline(__always)
    func resetAfterFailure() { SQLiteCall.resetAfterFailure(statement) }

    /// Runs a statement whose rows are not wanted and resets it; the step's error, if any,
    /// wins over the reset's (which repeats it).
    @inline(__always)
    func execute() throws {
        do {
            while try step() {}
        } catch {
            resetAfterFailure()
            throw error
        }
        try reset()
    }

    /// Rows changed by the connection's last INSERT, UPDATE or DELETE.
    @inline(__always)
    var changes: Int { SQLiteCall.changes(connection) }

    /// The rowid of the connection's last successful INSERT into a rowid table.
    @inline(__always)
    var lastInsertedRowID: Int64 { SQLiteCall.lastInsertedRowID(connection) }

    // MARK: Untyped convenience (once per file or per state row, not per event)

    /// Resets, then binds `values` to parameters 1, 2, ...; nil binds NULL.
    func bind(_ values: [Bindable?]) throws {
        try reset()
        for (i, value) in values.enumerated() {
            guard let index = Int32(exactly: i + 1) else { throw SQLiteCall.failure(SQLITE_RANGE, connection, statement) }
            switch value {
            case nil: try bindNull(index)
            case let text as String: try bindText(index, text)
            case let number as Int: try bindInt64(index, Int64(number))
            case let number as Int64: try bindInt64(index, number)
            case let flag as Bool: try bindInt64(index, flag ? 1 : 0)
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
            while try step() {
                if first == nil { first = row.int64(0) }
            }
        } catch {
            resetAfterFailure()
            throw error
        }
        try reset()
        return first
    }
}

/// The value types `SQLiteStatement.bind` accepts.
protocol Bindable {}
extension String: Bindable {}
extension Int: Bindable {}
extension Int64: Bindable {}
extension Bool: Bindable {}

extension Statement {
    /// The names of this GRDB statement's parameters (`:name`), nil for an anonymous `?`.
    var parameterNames: [String?] { SQLiteCall.parameterNames(sqliteStatement) }
}
