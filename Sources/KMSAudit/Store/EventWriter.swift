import Foundation
import GRDB
import GRDBSQLite

/// Inserts events through SQLite's C API on GRDB's connection: statements prepared once and
/// bound per row (about twice GRDB's statement API, which is used everywhere else).
final class EventWriter {
    enum Outcome { case stored, duplicate, clash }

    private let connection: OpaquePointer
    private let insertEvent: OpaquePointer
    private let selectRaw: OpaquePointer
    private let insertDuplicate: OpaquePointer

    /// The text columns in `EventChunk.Field` order (bound as parameters 1...20), then the rest.
    private static let columns = [
        "event_id", "event_time", "event_source", "event_name", "event_type", "aws_region", "account",
        "principal", "principal_type", "principal_account", "session_name", "invoked_by", "source_ip",
        "user_agent", "key_ref", "key_arn", "error_code", "error_message", "shared_event_id", "raw",
        "via_rds", "succeeded", "file_id", "record_index",
    ]

    init(_ db: Database) throws {
        guard let connection = db.sqliteConnection else { throw DatabaseFailure.sql(reason: "connection closed") }
        self.connection = connection
        let placeholders = Array(repeating: "?", count: Self.columns.count).joined(separator: ",")
        insertEvent = try Self.prepare(connection, """
            INSERT INTO events (\(Self.columns.joined(separator: ","))) VALUES (\(placeholders))
            ON CONFLICT(event_id) DO NOTHING
            """)
        selectRaw = try Self.prepare(connection, "SELECT raw FROM events WHERE event_id = ?")
        insertDuplicate = try Self.prepare(connection,
            "INSERT INTO event_duplicates (event_id, file_id, record_index, kind, raw) VALUES (?,?,?,?,?)")
    }

    deinit {
        sqlite3_finalize(insertEvent)
        sqlite3_finalize(selectRaw)
        sqlite3_finalize(insertDuplicate)
    }

    /// How many events of a chunk were stored, re-deliveries or clashes.
    struct Tally {
        var stored = 0
        var duplicates = 0
        var clashes = 0
    }

    /// Stores each event of the chunk, or records it as a duplicate delivery (same eventID, same
    /// content) or a clash (same eventID, different content: docs/rules/DECISIONS.md #14 keeps the first copy).
    func insert(_ chunk: EventChunk, fileID: Int64, into tally: inout Tally) throws {
        try chunk.bytes.withUnsafeBytes { bytes in
            // The text is bound with SQLITE_STATIC: SQLite reads it in place from `bytes`, which
            // outlives every step below; the bindings are cleared before `bytes` goes away.
            // (sqlite3_clear_bindings has no failure: it always returns SQLITE_OK.)
            defer { sqlite3_clear_bindings(insertEvent) }
            for i in 0..<chunk.count {
                switch try insert(chunk, i, bytes, fileID: fileID) {
                case .stored: tally.stored += 1
                case .duplicate: tally.duplicates += 1
                case .clash: tally.clashes += 1
                }
            }
        }
    }

    private func insert(_ chunk: EventChunk, _ i: Int, _ bytes: UnsafeRawBufferPointer, fileID: Int64) throws -> Outcome {
        let c = connection
        let s = insertEvent
        for field in EventChunk.Field.allCases {
            try bindStatic(s, Int32(field.rawValue + 1), chunk.span(i, field), bytes)
        }
        let scalars = chunk.scalars[i]
        try SQLiteCall.bindInt64(c, s, 21, scalars.viaRDS ? 1 : 0)
        try SQLiteCall.bindInt64(c, s, 22, scalars.succeeded ? 1 : 0)
        try SQLiteCall.bindInt64(c, s, 23, fileID)
        try SQLiteCall.bindInt64(c, s, 24, Int64(scalars.recordIndex))
        try SQLiteCall.execute(c, s)
        if sqlite3_changes(connection) == 1 { return .stored }

        // Rare: the eventID is already stored. Compare content to tell a re-delivery from a clash.
        let id = chunk.span(i, .eventID)
        let raw = chunk.span(i, .raw)
        let rawBytes = UnsafeRawBufferPointer(rebasing: bytes[raw.start..<(raw.start + raw.count)])
        let idBytes = UnsafeRawBufferPointer(rebasing: bytes[id.start..<(id.start + id.count)])
        try SQLiteCall.bindText(c, selectRaw, 1, idBytes)
        var same = false
        do {
            if try SQLiteCall.step(c, selectRaw), let p = sqlite3_column_blob(selectRaw, 0) {
                let n = Int(sqlite3_column_bytes(selectRaw, 0))
                same = n == raw.count && (n == 0 || memcmp(rawBytes.baseAddress!, p, n) == 0)
                if !same {
                    // The same record re-serialised (other spacing, member order) is a duplicate too.
                    same = JSONEquivalence.equivalent(Array(UnsafeRawBufferPointer(start: p, count: n)), Array(rawBytes))
                }
            }
        } catch {
            SQLiteCall.resetAfterFailure(selectRaw)
            throw error
        }
        try SQLiteCall.reset(c, selectRaw)
        let outcome: Outcome = same ? .duplicate : .clash
        let d = insertDuplicate
        try SQLiteCall.bindText(c, d, 1, idBytes)
        try SQLiteCall.bindInt64(c, d, 2, fileID)
        try SQLiteCall.bindInt64(c, d, 3, Int64(scalars.recordIndex))
        try (same ? "duplicate" : "clash").withCString { try SQLiteCall.bindText(c, d, 4, $0, strlen($0), SQLiteCall.transient) }
        if same { try SQLiteCall.bindNull(c, d, 5) } else { try SQLiteCall.bindText(c, d, 5, rawBytes) }
        try SQLiteCall.execute(c, d)
        return outcome
    }

    // MARK: - C API helpers

    /// Binds a span of `bytes` without SQLite copying it: `bytes` must stay unchanged until the
    /// statement is re-bound or its bindings are cleared.
    @inline(__always)
    private func bindStatic(_ s: OpaquePointer, _ i: Int32, _ span: EventChunk.Span, _ bytes: UnsafeRawBufferPointer) throws {
        if span.count < 0 {
            try SQLiteCall.bindNull(connection, s, i)
        } else if span.count == 0 {
            try SQLiteCall.check(sqlite3_bind_text(s, i, "", 0, SQLiteCall.transient), connection, s)
        } else {
            // Kept in release builds: the pointer below is not bounds-checked.
            precondition(span.start >= 0 && span.count <= bytes.count - span.start, "span outside its chunk")
            let p = (bytes.baseAddress! + span.start).assumingMemoryBound(to: CChar.self)
            try SQLiteCall.bindText(connection, s, i, p, span.count, nil)  // nil destructor = SQLITE_STATIC
        }
    }

    private static func prepare(_ c: OpaquePointer, _ sql: String) throws -> OpaquePointer {
        try SQLiteCall.prepare(c, sql)
    }
}
