import Foundation
import GRDB
import CSQLiteSetup

/// The kmsaudit SQLite database: write-ahead log (readers and the nightly writer never wait
/// for each other; a first load, which no one can read yet, uses the rollback journal:
/// `FirstLoad`), schema migrated to the current version.
package final class AuditDatabase {
    package let path: String
    package let queue: DatabaseQueue

    /// How commits reach the file. Every database anyone can open is in WAL mode; only a first
    /// load, which builds a file no one else knows of yet, uses the rollback journal (`FirstLoad`).
    package enum Journal: Sendable {
        case writeAheadLog
        case rollback
    }

    /// Opens (creating if needed) and migrates. `readonly` opens an existing database without
    /// migrating, for `kmsaudit query`: any write then fails with SQLite's readonly error.
    package init(path: String, readonly: Bool = false, journal: Journal = .writeAheadLog) throws {
        _ = Self.processSetup
        self.path = path
        var config = Configuration()
        config.readonly = readonly
        // In WAL mode only writers wait for each other (kmsaudit's own writers already queue on
        // `DatabaseLock`); the timeout covers an analyst's write transaction, not reads.
        config.busyMode = .timeout(readonly ? 30 : 300)
        config.prepareDatabase { db in
            if !db.configuration.readonly {
                // 16 KiB pages for a new database (a no-op for an existing one). Events are
                // ~1.5 KB rows, mostly the raw record: in 4 KiB pages they packed two per page.
                // On a 2M-record trail: database 1.55 -> 1.33 GB, ingest CPU -14%, same query
                // speed; 32 and 64 KiB were no faster.
                try db.execute(sql: "PRAGMA page_size = 16384")
                // WAL, so that the analyst and the nightly job coexist: readers never block the
                // writer and the writer never blocks readers. With the rollback journal used
                // before, a `kmsaudit query` (or a database browser left open) held the writer
                // at its commit for as long as it read: the nightly ingest waited 117 s behind
                // one and gave up after 300 s. The price is measured in docs/DESIGN.md
                // ("WAL, with the job's own checkpoints"): every page is written twice, to the log
                // and at the checkpoint.
                // NORMAL is durable enough here: a power loss can take back the last commits,
                // never corrupt the database, and ingest re-reads what the ledger lost.
                // Checkpoints are the job's (`WALCheckpoints`), not SQLite's automatic ones, so
                // that they fall between batches instead of inside one.
                switch journal {
                case .writeAheadLog:
                    try db.execute(sql: "PRAGMA journal_mode = WAL")
                    try db.execute(sql: "PRAGMA synchronous = NORMAL")
                    try db.execute(sql: "PRAGMA wal_autocheckpoint = 0")
                    // A log that grew behind a long reader is cut back to this when it restarts.
                    try db.execute(sql: "PRAGMA journal_size_limit = \(WALCheckpoints.logSizeLimit)")
                case .rollback:
                    // NORMAL still syncs the journal before the file at each commit, so a killed
                    // first load resumes from its last commit.
                    try db.execute(sql: "PRAGMA journal_mode = DELETE")
                    try db.execute(sql: "PRAGMA synchronous = NORMAL")
                }
            }
            // 32 MiB: ingest was as fast as with 64 MiB, and with 16 KiB pages a 64 MiB cache
            // made the heap grow to ~300 MB (glibc), over the 150 MB memory budget.
            try db.execute(sql: "PRAGMA cache_size = -32768")
            // Temporary files, not memory: in WAL mode an UPDATE inside a transaction keeps a
            // statement journal of every page it changes, and in memory that was +190 MB of
            // heap for the 10,000 scattered event rows ingest's alias resolution rewrites on the
            // 2M benchmark trail (over the 150 MB budget). Temporary files live in the page
            // cache anyway; the statement journal spills there past 64 KiB.
            try db.execute(sql: "PRAGMA temp_store = FILE")
            if let limit = ProcessInfo.processInfo.environment["KMSAUDIT_TRACE_SQL"].flatMap(Double.init) {
                Self.traceSlowStatements(db, slowerThan: limit)
            }
        }
        if readonly { try Self.requireExisting(path) }
        do {
            queue = try DatabaseQueue(path: path, configuration: config)
            if !readonly { try SchemaMigrations.migrator.migrate(queue) }
        } catch let error as DatabaseError {
            throw DatabaseFailure.cannotOpen(path: path, reason: error.message ?? "\(error)")
        }
    }

    /// Closes the connection; any later use of `queue` throws.
    package func close() throws {
        try queue.close()
    }

    /// Throws `noDatabase` when nothing is at `path`. Every command but `ingest` and `audit`
    /// calls this before it opens (or locks) the database: a mistyped path must not become a
    /// new, empty database that then audits clean.
    package static func requireExisting(_ path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            if FileManager.default.fileExists(atPath: FirstLoad.buildingPath(for: path)) {
                throw DatabaseFailure.firstLoadUnfinished(path: path)
            }
            throw DatabaseFailure.noDatabase(path: path)
        }
    }

    /// Throws `nothingIngested` when the files ledger holds no `ok` file: a check of such a
    /// database would report "0 findings" about no evidence at all.
    package func requireIngestedFiles() throws {
        let ok = try queue.read { db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM files WHERE status = 'ok')") }
        if ok != true { throw DatabaseFailure.nothingIngested(path: path) }
    }

    /// Once per process, before the first connection opens: SQLite's memory statistics off.
    /// With them on (Debian's default) each of SQLite's allocations takes a global mutex: 2.7%
    /// of ingest CPU, all of it on the writer thread, the longer path (0.2% after).
    private static let processSetup: Void = {
        _ = kmsaudit_sqlite_disable_memstatus()
    }()

    /// Reads through a memory map instead of `read` calls, for commands that read most of a
    /// large database (`check`): copying each page out of the page cache was 12% of its time on
    /// a 2M-record trail. Not for ingest: mapped pages count in its RSS (150 MB budget).
    /// 2 GiB is the most Debian's SQLite maps; a larger file is read past that as before.
    package func mapForReading() throws {
        try queue.inDatabase { db in try db.execute(sql: "PRAGMA mmap_size = 2147418112") }
    }

    /// Copies what the log holds into the database file, as far as readers allow, without
    /// waiting for any (`WALCheckpoints.passive`). Writing commands call it when they finish.
    package func checkpoint() throws {
        try queue.writeWithoutTransaction { db in _ = try WALCheckpoints.passive(db) }
    }

    /// Kernel writeback of the database and its log started while a long write runs (see
    /// `BackgroundWriteback`); call `finish()` on it when the write is done.
    func startBackgroundWriteback() -> BackgroundWriteback {
        let writeback = BackgroundWriteback(paths: [path, path + "-wal"])
        writeback.start()
        return writeback
    }

    /// For finding what to speed up: `KMSAUDIT_TRACE_SQL=0.05` prints each statement that took
    /// longer than 0.05 s (with its duration) to stderr.
    private static func traceSlowStatements(_ db: Database, slowerThan limit: Double) {
        db.trace(options: .profile) { event in
            guard case let .profile(statement, duration) = event, duration > limit else { return }
            let sql = statement.sql.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            FileHandle.standardError.write(Data(String(format: "sql %.3f s: %@\n", duration, String(sql.prefix(200))).utf8))
        }
    }

    /// The schema version (the last applied migration), for `--json` summaries and reports.
    package func schemaVersion() throws -> String? {
        try queue.read { db in try SchemaMigrations.migrator.appliedMigrations(db).last }
    }
}
