import Foundation
import GRDB

/// Inserts events through the one SQLite C-API layer (`SQLiteStatement`) on GRDB's connection:
/// statements prepared once and bound per row (about twice GRDB's statement API, which is used
/// everywhere else).
final class EventWriter {
    enum Outcome { case stored, duplicate, clash }

    private let insertEvent: SQLiteStatement
    private let selectRaw: SQLiteStatement
    private let insertDuplicate: SQLiteStatement

    /// The text columns in `EventChunk.Field` order (bound as parameters 1...20), then the rest.
    private static let columns = [
        "event_id", "event_time", "event_source", "event_name", "event_type", "aws_region", "account",
        "principal", "principal_type", "principal_account", "session_name", "invoked_by", "source_ip",
        "user_agent", "key_ref", "key_arn", "error_code", "error_message", "shared_event_id", "raw",
        "via_rds", "succeeded", "file_id", "record_index",
    ]

    init(_ db: Database) throws {
        let placeholders = Array(repeating: "?", count: Self.columns.count).joined(separator: ",")
        insertEvent = try SQLiteStatement(db, """
            INSERT INTO events (\(Self.columns.joined(separator: ","))) VALUES (\(placeholders))
            ON CONFLICT(event_id) DO NOTHING
            """)
        selectRaw = try SQLiteStatement(db, "SELECT raw FROM events WHERE event_id = ?")
        insertDuplicate = try SQLiteStatement(db,
            "INSERT INTO event_duplicates (event_id, file_id, record_index, kind, raw) VALUES (?,?,?,?,?)")
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
            // The text is bound in place (SQLITE_STATIC): SQLite reads it from `bytes`, which
            // outlives every step below; the bindings are cleared before `bytes` goes away.
            defer { insertEvent.clearBindings() }
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
        let s = insertEvent
        for field in EventChunk.Field.allCases {
            try bindInPlace(s, Int32(field.rawValue + 1), chunk.span(i, field), bytes)
        }
        let scalars = chunk.scalars[i]
        try s.bindInt64(21, scalars.viaRDS ? 1 : 0)
        try s.bindInt64(22, scalars.succeeded ? 1 : 0)
        try s.bindInt64(23, fileID)
        try s.bindInt64(24, Int64(scalars.recordIndex))
        try s.execute()
        if s.changes == 1 { return .stored }

        // Rare: the eventID is already stored. Compare content to tell a re-delivery from a clash.
        let id = chunk.span(i, .eventID)
        let raw = chunk.span(i, .raw)
        let rawBytes = UnsafeRawBufferPointer(rebasing: bytes[raw.start..<(raw.start + raw.count)])
        let idBytes = UnsafeRawBufferPointer(rebasing: bytes[id.start..<(id.start + id.count)])
        try selectRaw.bindText(1, idBytes)
        var same = false
        do {
            if try selectRaw.step(), let stored = selectRaw.row.blobBytes(0) {
                let n = stored.count
                same = n == raw.count && (n == 0 || memcmp(rawBytes.baseAddress!, stored.baseAddress!, n) == 0)
                if !same {
                    // The same record re-serialised (other spacing, member order) is a duplicate too.
                    same = JSONEquivalence.equivalent(Array(stored), Array(rawBytes))
                }
            }
        } catch {
            selectRaw.resetAfterFailure()
            throw error
        }
        try selectRaw.reset()
        let outcome: Outcome = same ? .duplicate : .clash
        let d = insertDuplicate
        try d.bindText(1, idBytes)
        try d.bindInt64(2, fileID)
        try d.bindInt64(3, Int64(scalars.recordIndex))
        try d.bindText(4, same ? "duplicate" : "clash")
        if same { try d.bindNull(5) } else { try d.bindText(5, rawBytes) }
        try d.execute()
        return outcome
    }

    /// Binds a span of `bytes` in place (no copy): `bytes` must stay unchanged until the
    /// statement is re-bound or its bindings are cleared. A negative count is NULL.
    @inline(__always)
    private func bindInPlace(_ s: SQLiteStatement, _ i: Int32, _ span: EventChunk.Span, _ bytes: UnsafeRawBufferPointer) throws {
        if span.count < 0 {
            try s.bindNull(i)
        } else {
            // Kept in release builds: the slice below is not bounds-checked in release.
            precondition(span.start >= 0 && span.count <= bytes.count - span.start, "span outside its chunk")
            try s.bindTextInPlace(i, UnsafeRawBufferPointer(rebasing: bytes[span.start..<(span.start + span.count)]))
        }
    }
}
