import GRDB

/// Which row holds each stored event ID, in two tables (migration v22): new IDs go into the
/// small `event_ids_recent`, which is merged into the large `event_ids_merged` only once it has
/// grown to an eighth of it (or past what the page cache holds, while the store is small).
///
/// Why: event IDs are random UUIDs, so a batch of them sorted still lands on nearly every leaf of
/// one large table, and every flush (one per commit and per 16 MiB of IDs) rewrote the whole
/// table: at 20M records a first load wrote 29-30 GB with one table, 25.5-25.8 GB with two
/// (same time). The recent table stays
/// small enough for the page cache, and each merge rewrites the large table once for an eighth of
/// its size in new IDs (DESIGN, "Recent event IDs"). Users read both through the `event_ids`
/// view; code that looks an ID up uses `rowOf`, which reads each table by its key.
final class EventIDStore {
    private let inMerged: SQLiteStatement
    private let insertRecent: SQLiteStatement
    private let selectStoredRaw: SQLiteStatement
    private let minimumToMerge: Int

    /// `minimumToMerge` (a test knob) replaces the page cache's capacity as the least number
    /// of recent IDs worth a merge.
    init(_ db: Database, minimumToMerge: Int? = nil) throws {
        inMerged = try SQLiteStatement(db, "SELECT 1 FROM event_ids_merged WHERE event_id = ?")
        insertRecent = try SQLiteStatement(db,
            "INSERT INTO event_ids_recent (event_id, event_row) VALUES (?, ?) ON CONFLICT(event_id) DO NOTHING")
        selectStoredRaw = try SQLiteStatement(db, "SELECT raw FROM events WHERE id = \(Self.rowOf("?1"))")
        self.minimumToMerge = try minimumToMerge ?? Self.cacheIDs(db)
    }

    /// SQL for the `events` row that holds the ID `expression` evaluates to (NULL if none): a
    /// lookup by key in each table. (A join on the `event_ids` view also reads each table by its
    /// key; a LEFT JOIN on it is not flattened by SQLite and reads the whole view.)
    static func rowOf(_ expression: String) -> String {
        """
        coalesce((SELECT event_row FROM event_ids_merged WHERE event_id = \(expression)),
                 (SELECT event_row FROM event_ids_recent WHERE event_id = \(expression)))
        """
    }

    /// Records that `id` is stored in row `row`; false when it was stored before (by an earlier
    /// batch), in which case nothing changes.
    func add(_ id: UnsafeRawBufferPointer, row: Int64) throws -> Bool {
        defer { inMerged.clearBindings(); insertRecent.clearBindings() }
        try inMerged.bindTextInPlace(1, id)
        let merged: Bool
        do {
            merged = try inMerged.step()
        } catch {
            inMerged.resetAfterFailure()
            throw error
        }
        try inMerged.reset()
        if merged { return false }
        try insertRecent.bindTextInPlace(1, id)
        try insertRecent.bindInt64(2, row)
        try insertRecent.execute()
        return insertRecent.changes > 0
    }

    /// The stored record (raw JSON) of `id`, if an event with that ID is stored.
    func storedRecord(_ id: UnsafeRawBufferPointer) throws -> [UInt8]? {
        defer { selectStoredRaw.clearBindings() }
        try selectStoredRaw.bindText(1, id)
        var stored: [UInt8]?
        do {
            if try selectStoredRaw.step() { stored = selectStoredRaw.row.blobBytes(0).map { Array($0) } }
        } catch {
            selectStoredRaw.resetAfterFailure()
            throw error
        }
        try selectStoredRaw.reset()
        return stored
    }

    /// Moves the recent IDs into the large table, in key order, once they are at least
    /// `minimumToMerge` and an eighth of what the large table holds. Runs in the caller's
    /// transaction: a rollback takes a merge back with everything else.
    func mergeIfDue(_ db: Database) throws {
        let recent = try Int.fetchOne(db, sql: "SELECT count(*) FROM event_ids_recent") ?? 0
        guard recent >= minimumToMerge else { return }
        // Rows of `events` stand in for the large table's size (it holds one ID per stored
        // event that is not recent), read from the rowid b-tree's last key instead of a count.
        let events = try Int.fetchOne(db, sql: "SELECT max(id) FROM events") ?? 0
        guard recent >= (events - recent) / 8 else { return }
        try db.execute(sql: """
            INSERT INTO event_ids_merged (event_id, event_row)
                SELECT event_id, event_row FROM event_ids_recent ORDER BY event_id;
            DELETE FROM event_ids_recent;
            """)
    }

    /// How many IDs the connection's page cache holds (about 64 bytes an ID in the table).
    static func cacheIDs(_ db: Database) throws -> Int {
        let size = try Int.fetchOne(db, sql: "PRAGMA cache_size") ?? -2000
        let pageSize = try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 4096
        let bytes = size < 0 ? -size * 1024 : size * pageSize
        return max(1, bytes / 64)
    }
}
