import GRDB

/// The `files` table: one row per input file, the memory that makes ingest incremental.
enum FilesLedger {
    struct Known {
        var id: Int64
        var size: Int64
        var mtimeNs: Int64
        var status: String
        var sha256: String?
    }

    /// Every file already recorded, by path.
    static func load(_ db: Database) throws -> [String: Known] {
        var known: [String: Known] = [:]
        let rows = try Row.fetchCursor(db, sql: "SELECT id, path, size, mtime_ns, status, sha256 FROM files")
        while let row = try rows.next() {
            known[row["path"]] = Known(id: row["id"], size: row["size"], mtimeNs: row["mtime_ns"],
                                       status: row["status"], sha256: row["sha256"])
        }
        return known
    }

    /// What the ledger records of one file after an attempt to ingest it.
    struct Entry {
        var file: DiscoveredFile
        var status: String
        /// Overrides the kind decided by name (`policy`, `inventory` are known only by content).
        var kind: String?
        var format: String?
        var sha256: String?
        var contentSHA256: String?
        var contentBytes: Int64?
        var gzip: Bool?
        var error: InputError?
        var recordsRead = 0
        var eventsStored = 0
        var duplicates = 0
        var clashes = 0
        var otherRecords = 0
        var recordsRejected = 0
        var firstEventTime: String?
        var lastEventTime: String?
    }

    /// Writes ledger rows during one ingest: twice per file, so the statements are prepared
    /// once and bound through the C API (`SQLiteStatement`); re-parsing them per file cost more
    /// CPU than inserting the file's events.
    ///
    /// A file read starts with a plain INSERT (a new path) or an UPDATE by id (a known one) and
    /// ends with an UPDATE by id, not with `INSERT ... ON CONFLICT DO UPDATE`: SQLite runs an
    /// upsert in a statement transaction whose journal copies each page it touches (the files
    /// row and two index leaves, 48 KiB with 16 KiB pages), and past 64 KiB that journal moves to
    /// a temporary file for the rest of the batch: 0.86 GB written to /var/tmp for 13,000 files,
    /// 1.2-1.4 GB for the 200k and 2M benchmark trails. An UPDATE of unindexed columns by rowid,
    /// and an INSERT whose constraints are checked before it writes, need no such journal.
    final class Writer {
        private let upsertStatement: SQLiteStatement
        private let insertStatement: SQLiteStatement
        private let updateStatement: SQLiteStatement
        private let insertSourceCount: SQLiteStatement

        init(_ db: Database) throws {
            upsertStatement = try SQLiteStatement(db, FilesLedger.upsertSQL)
            insertStatement = try SQLiteStatement(db, FilesLedger.insertSQL)
            updateStatement = try SQLiteStatement(db, FilesLedger.updateSQL)
            insertSourceCount = try SQLiteStatement(db,
                "INSERT INTO source_counts (file_id, event_source, records, stored) VALUES (?,?,?,?)")
        }

        /// Starts a file's row: updates the known row `previous` (keeping its id) or inserts a
        /// new one. Returns the row's id.
        func begin(_ e: Entry, previous: Int64?, runID: Int64, now: String) throws -> Int64 {
            if let previous {
                try update(e, id: previous, runID: runID, now: now)
                return previous
            }
            try insertStatement.bind(Self.values(e, runID: runID, now: now))
            try insertStatement.run()
            return insertStatement.lastInsertedRowID
        }

        /// Rewrites the row `id` (its path stays).
        func update(_ e: Entry, id: Int64, runID: Int64, now: String) throws {
            try updateStatement.bind(Array(Self.values(e, runID: runID, now: now).dropFirst(2)) + [id])
            try updateStatement.run()
        }

        /// The values of `upsertSQL`'s and `insertSQL`'s columns, in order.
        private static func values(_ e: Entry, runID: Int64, now: String) -> [Bindable?] {
            [
                e.file.path, e.file.objectKey, e.kind ?? e.file.kind.rawValue, e.format, e.file.account, e.file.region,
                e.file.deliveredAt, e.file.size, e.file.mtimeNs, e.sha256, e.contentSHA256, e.contentBytes,
                e.gzip, e.status, e.error?.kind, e.error?.description, e.recordsRead, e.eventsStored,
                e.duplicates, e.clashes, e.otherRecords, e.recordsRejected, e.firstEventTime, e.lastEventTime, runID, now,
            ]
        }

        /// Inserts or replaces the row for `entry.file.path`, keeping its id.
        func upsert(_ e: Entry, runID: Int64, now: String) throws {
            try upsertStatement.bind(Self.values(e, runID: runID, now: now))
            try upsertStatement.run()
        }

        /// One `source_counts` row: how many records of a file came from `source`, how many were stored.
        func insertSourceCount(fileID: Int64, source: String, records: Int, stored: Int) throws {
            try insertSourceCount.bind([fileID, source, records, stored])
            try insertSourceCount.run()
        }
    }

    static let insertSQL = """
        INSERT INTO files (path, object_key, kind, format, account, region, delivered_at, size, mtime_ns,
            sha256, content_sha256, content_bytes, gzip, status, error_kind, error, records_read,
            events_stored, duplicates, clashes, other_records, records_rejected, first_event_time,
            last_event_time, ingest_run_id, ingested_at)
        VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
        """

    /// Every column of `insertSQL` but the indexed `path` and `object_key` (which follow from the
    /// path), then the id.
    static let updateSQL = """
        UPDATE files SET kind = ?1, format = ?2, account = ?3, region = ?4, delivered_at = ?5, size = ?6,
            mtime_ns = ?7, sha256 = ?8, content_sha256 = ?9, content_bytes = ?10, gzip = ?11, status = ?12,
            error_kind = ?13, error = ?14, records_read = ?15, events_stored = ?16, duplicates = ?17,
            clashes = ?18, other_records = ?19, records_rejected = ?20, first_event_time = ?21,
            last_event_time = ?22, ingest_run_id = ?23, ingested_at = ?24
        WHERE id = ?25
        """

    /// The same insert, for a path that may already have a row (a skipped or failed file's row:
    /// rare, so its statement journal does not matter).
    static let upsertSQL = insertSQL + """

        ON CONFLICT(path) DO UPDATE SET
            object_key = excluded.object_key, kind = excluded.kind, format = excluded.format,
            account = excluded.account, region = excluded.region, delivered_at = excluded.delivered_at,
            size = excluded.size, mtime_ns = excluded.mtime_ns, sha256 = excluded.sha256,
            content_sha256 = excluded.content_sha256, content_bytes = excluded.content_bytes,
            gzip = excluded.gzip, status = excluded.status, error_kind = excluded.error_kind,
            error = excluded.error, records_read = excluded.records_read,
            events_stored = excluded.events_stored, duplicates = excluded.duplicates,
            clashes = excluded.clashes, other_records = excluded.other_records,
            records_rejected = excluded.records_rejected,
            first_event_time = excluded.first_event_time, last_event_time = excluded.last_event_time,
            ingest_run_id = excluded.ingest_run_id, ingested_at = excluded.ingested_at
        """

    /// Before a changed file is read again: drop what it contributed to the ledger's tables (the
    /// other stages' rows go through `IngestHooks`). An event this file stored first that another
    /// file also delivered stays, re-attributed to that file.
    static func forgetContent(_ db: Database, fileID: Int64) throws {
        try db.execute(sql: """
            UPDATE events SET file_id = (
                SELECT d.file_id FROM event_duplicates d
                WHERE d.event_id = events.event_id AND d.kind = 'duplicate' AND d.file_id <> ?1
                ORDER BY d.rowid LIMIT 1)
            WHERE file_id = ?1 AND EXISTS (
                SELECT 1 FROM event_duplicates d
                WHERE d.event_id = events.event_id AND d.kind = 'duplicate' AND d.file_id <> ?1)
            """, arguments: [fileID])
        try db.execute(sql: """
            DELETE FROM event_duplicates WHERE rowid IN (
                SELECT d.rowid FROM event_duplicates d
                JOIN events e ON e.id = \(EventIDStore.rowOf("d.event_id"))
                WHERE e.file_id = d.file_id)
            """)
        for table in ["event_ids_recent", "event_ids_merged"] {
            try db.execute(sql: """
                DELETE FROM \(table) WHERE event_id IN (SELECT event_id FROM events WHERE file_id = ?1)
                    AND event_row IN (SELECT id FROM events WHERE file_id = ?1)
                """, arguments: [fileID])
        }
        try db.execute(sql: "DELETE FROM events WHERE file_id = ?", arguments: [fileID])
        try db.execute(sql: "DELETE FROM event_duplicates WHERE file_id = ?", arguments: [fileID])
        try db.execute(sql: "DELETE FROM source_counts WHERE file_id = ?", arguments: [fileID])
        try db.execute(sql: "DELETE FROM documents WHERE file_id = ?", arguments: [fileID])
        try db.execute(sql: "DELETE FROM rejected_records WHERE file_id = ?", arguments: [fileID])
    }
}
