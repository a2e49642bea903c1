import Foundation
import GRDB

/// Inserts events through the one SQLite C-API layer (`SQLiteStatement`) on GRDB's connection:
/// statements prepared once and bound per row (about twice GRDB's statement API, which is used
/// everywhere else).
///
/// Event IDs are kept unique by `EventIDStore`, not by an index on `events`: IDs are random
/// UUIDs, and a unique index took every insert to a random leaf, each leaf written out again and
/// again (DESIGN: "Event IDs in sorted batches"). Here a stored event's ID waits in `pending`
/// (which also finds a re-delivery within the batch) and `flushIDs()` adds the batch's IDs in
/// sorted order to the store's small recent table. An ID the flush finds already stored came
/// from an earlier batch: that copy is a re-delivery or a clash after all, and leaves `events`
/// again (`LateDuplicates`).
final class EventWriter {
    enum Outcome { case stored, duplicate, clash }

    private let insertEvent: SQLiteStatement
    private let selectRawByRow: SQLiteStatement
    private let insertDuplicate: SQLiteStatement
    private var ids: EventIDStore
    private let selectNewCopy: SQLiteStatement
    private let deleteEvent: SQLiteStatement
    private let recountFile: SQLiteStatement
    private var pending = PendingEventIDs()

    /// When the pending IDs reach this many bytes (about 200,000 UUIDs), they are flushed
    /// without waiting for the commit: memory stays bounded whatever the batch holds.
    static let flushBytes = 16 << 20
    private let flushBytes: Int

    /// The text columns in `EventChunk.Field` order (bound as parameters 1...20), then the rest.
    private static let columns = [
        "event_id", "event_time", "event_source", "event_name", "event_type", "aws_region", "account",
        "principal", "principal_type", "principal_account", "session_name", "invoked_by", "source_ip",
        "user_agent", "key_ref", "key_arn", "error_code", "error_message", "shared_event_id", "raw",
        "via_rds", "succeeded", "file_id", "record_index",
    ]

    private let db: Database

    init(_ db: Database, flushBytes: Int = EventWriter.flushBytes, idMergeMinimum: Int? = nil) throws {
        self.db = db
        self.flushBytes = flushBytes
        ids = try EventIDStore(db, minimumToMerge: idMergeMinimum)
        let placeholders = Array(repeating: "?", count: Self.columns.count).joined(separator: ",")
        insertEvent = try SQLiteStatement(db, """
            INSERT INTO events (\(Self.columns.joined(separator: ","))) VALUES (\(placeholders))
            """)
        selectRawByRow = try SQLiteStatement(db, "SELECT raw FROM events WHERE id = ?")
        insertDuplicate = try SQLiteStatement(db,
            "INSERT INTO event_duplicates (event_id, file_id, record_index, kind, raw) VALUES (?,?,?,?,?)")
        selectNewCopy = try SQLiteStatement(db, "SELECT raw, file_id, record_index FROM events WHERE id = ?")
        deleteEvent = try SQLiteStatement(db, "DELETE FROM events WHERE id = ?")
        recountFile = try SQLiteStatement(db, """
            UPDATE files SET events_stored = events_stored - 1, duplicates = duplicates + ?,
                clashes = clashes + ? WHERE id = ?
            """)
    }

    /// How many events of a chunk were stored, re-deliveries or clashes.
    struct Tally {
        var stored = 0
        var duplicates = 0
        var clashes = 0
    }

    /// Events a file counted as stored that a flush then found stored by an earlier batch.
    /// For the file being written they are handed back at `endFile()`; for a file already
    /// finished its ledger row is corrected at once and the run's totals take them at the end.
    struct LateDuplicates {
        var duplicates = 0
        var clashes = 0
    }

    /// The file whose events are being inserted, if any.
    private var currentFile: Int64?
    private var lateInCurrentFile = LateDuplicates()
    private(set) var lateInFinishedFiles = LateDuplicates()

    func beginFile(_ fileID: Int64) {
        currentFile = fileID
        lateInCurrentFile = LateDuplicates()
    }

    /// The current file's late duplicates, for its ledger row and the run's totals.
    func endFile() -> LateDuplicates {
        defer {
            currentFile = nil
            lateInCurrentFile = LateDuplicates()
        }
        return lateInCurrentFile
    }

    /// Stores each event of the chunk, or records it as a duplicate delivery (same eventID, same
    /// content) or a clash (same eventID, different content: docs/rules/DECISIONS.md #14 keeps the first copy).
    func insert(_ chunk: EventChunk, fileID: Int64, into tally: inout Tally) throws {
        try insertAll(chunk, fileID: fileID, into: &tally)
        // Within a large file too: memory stays bounded by `flushBytes` whatever the file holds.
        if wantsFlush { try flushIDs() }
    }

    private func insertAll(_ chunk: EventChunk, fileID: Int64, into tally: inout Tally) throws {
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
        let id = chunk.span(i, .eventID)
        let scalars = chunk.scalars[i]
        precondition(id.start >= 0 && id.count >= 0 && id.count <= bytes.count - id.start, "event ID outside its chunk")
        let idBytes = UnsafeRawBufferPointer(rebasing: bytes[id.start..<(id.start + id.count)])
        let idHash = PendingEventIDs.hash(idBytes)
        if let earlier = pending.row(for: idBytes, hash: idHash) {
            // Rare: stored earlier in this batch. Compare content to tell a re-delivery from a clash.
            let raw = chunk.span(i, .raw)
            let rawBytes = UnsafeRawBufferPointer(rebasing: bytes[raw.start..<(raw.start + raw.count)])
            try selectRawByRow.bindInt64(1, earlier)
            let same: Bool
            do {
                same = try selectRawByRow.step() && Self.sameRecord(selectRawByRow.row.blobBytes(0), rawBytes)
            } catch {
                selectRawByRow.resetAfterFailure()
                throw error
            }
            try selectRawByRow.reset()
            try recordDuplicate(idBytes, fileID: fileID, recordIndex: Int64(scalars.recordIndex), same: same,
                                raw: rawBytes)
            return same ? .duplicate : .clash
        }

        let s = insertEvent
        for field in EventChunk.Field.allCases {
            try bindInPlace(s, Int32(field.rawValue + 1), chunk.span(i, field), bytes)
        }
        try s.bindInt64(21, scalars.viaRDS ? 1 : 0)
        try s.bindInt64(22, scalars.succeeded ? 1 : 0)
        try s.bindInt64(23, fileID)
        try s.bindInt64(24, Int64(scalars.recordIndex))
        try s.execute()
        pending.add(idBytes, hash: idHash, row: s.lastInsertedRowID)
        return .stored
    }

    /// Whether two texts are the same record: byte for byte, or the same JSON re-serialised
    /// (other spacing, member order).
    private static func sameRecord(_ stored: UnsafeRawBufferPointer?, _ raw: UnsafeRawBufferPointer) -> Bool {
        guard let stored else { return false }
        let n = stored.count
        if n == raw.count && (n == 0 || memcmp(raw.baseAddress!, stored.baseAddress!, n) == 0) { return true }
        return JSONEquivalence.equivalent(Array(stored), Array(raw))
    }

    private func recordDuplicate(_ id: UnsafeRawBufferPointer, fileID: Int64, recordIndex: Int64, same: Bool,
                                 raw: UnsafeRawBufferPointer) throws {
        let d = insertDuplicate
        try d.bindText(1, id)
        try d.bindInt64(2, fileID)
        try d.bindInt64(3, recordIndex)
        try d.bindText(4, same ? "duplicate" : "clash")
        if same { try d.bindNull(5) } else { try d.bindText(5, raw) }
        try d.execute()
    }

    // MARK: - The batch's IDs

    /// A file's savepoint, as the IDs see it: the pending IDs when it opened, and, once a flush
    /// within the file has written other files' IDs inside the savepoint, those IDs and the late
    /// counts as they were (a rollback takes the rows back, so they must wait again).
    private struct Savepoint {
        var mark: Int
        var beforeFlush: (pending: PendingEventIDs, late: LateDuplicates)?
    }

    private var savepoint: Savepoint?

    func savepointOpened() { savepoint = Savepoint(mark: pending.mark) }

    func savepointReleased() { savepoint = nil }

    /// The file's savepoint was rolled back: its IDs are forgotten, other files' IDs wait again.
    func savepointRolledBack() {
        if let saved = savepoint?.beforeFlush {
            pending = saved.pending
            lateInFinishedFiles = saved.late
        } else if let mark = savepoint?.mark {
            pending.truncate(to: mark)
        }
        savepoint = nil
        currentFile = nil
        lateInCurrentFile = LateDuplicates()
    }

    /// After the batch's transaction was rolled back: its IDs are gone with its events.
    func discardPending() {
        pending.removeAll()
        savepoint = nil
    }

    /// Whether the pending IDs should be flushed before the batch commits (see `flushBytes`).
    var wantsFlush: Bool { pending.byteCount >= flushBytes }

    /// Adds the pending IDs to `EventIDStore` in sorted order: before each commit, between
    /// files, and within a file when they pass `flushBytes`.
    func flushIDs() throws {
        guard pending.count > 0 else { return }
        if let mark = savepoint?.mark, savepoint?.beforeFlush == nil, mark > 0 {
            // Rare: a file large enough to stream crosses a flush while other files' IDs wait.
            var before = pending
            before.truncate(to: mark)
            savepoint?.beforeFlush = (before, lateInFinishedFiles)
        }
        try pending.forEachSorted { id, row in
            if try !ids.add(id, row: row) { try storedBefore(id, newRow: row) }
        }
        pending.removeAll()
        try ids.mergeIfDue(db)
    }

    /// `newRow`'s ID was stored by an earlier batch: keep that copy, record this one as a
    /// re-delivery or a clash, and correct its file's counts.
    private func storedBefore(_ id: UnsafeRawBufferPointer, newRow: Int64) throws {
        let stored = try ids.storedRecord(id)

        try selectNewCopy.bindInt64(1, newRow)
        var fileID: Int64 = 0
        do {
            guard try selectNewCopy.step() else {
                preconditionFailure("event row \(newRow) of the batch is gone")
            }
            let row = selectNewCopy.row
            fileID = row.int64(1)
            let raw = row.blobBytes(0) ?? UnsafeRawBufferPointer(start: nil, count: 0)
            let same = stored.map { stored in stored.withUnsafeBytes { Self.sameRecord($0, raw) } } ?? false
            try recordDuplicate(id, fileID: fileID, recordIndex: row.int64(2), same: same, raw: raw)
            if fileID == currentFile {
                if same { lateInCurrentFile.duplicates += 1 } else { lateInCurrentFile.clashes += 1 }
            } else {
                if same { lateInFinishedFiles.duplicates += 1 } else { lateInFinishedFiles.clashes += 1 }
                try recountFile.bindInt64(1, same ? 1 : 0)
                try recountFile.bindInt64(2, same ? 0 : 1)
                try recountFile.bindInt64(3, fileID)
                try recountFile.execute()
            }
        } catch {
            selectNewCopy.resetAfterFailure()
            throw error
        }
        try selectNewCopy.reset()
        try deleteEvent.bindInt64(1, newRow)
        try deleteEvent.execute()
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
