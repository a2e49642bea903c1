import Foundation
import GRDB
import CSQLiteSetup

/// The kmsaudit SQLite database: a rollback journal with full syncs, schema migrated to the
/// current version.
package final class AuditDatabase {
    package let path: String
    package let queue: DatabaseQueue

    /// Opens (creating if needed) and migrates. `readonly` opens an existing database without
    /// migrating, for `kmsaudit query`: any write then fails with SQLite's readonly error.
    package init(path: String, readonly: Bool = false) throws {
        _ = Self.processSetup
        self.path = path
        var config = Configuration()
        config.readonly = readonly
        // A writer waits out a long ad-hoc query rather than failing the nightly run; the
        // commit that blocks a reader lasts milliseconds.
        config.busyMode = .timeout(readonly ? 30 : 300)
        config.prepareDatabase { db in
            if !db.configuration.readonly {
                // 16 KiB pages for a new database (a no-op for an existing one). Events are
                // ~1.5 KB rows, mostly the raw record: in 4 KiB pages they packed two per page.
                // On a 2M-record trail: database 1.55 -> 1.33 GB, ingest CPU -14%, same query
                // speed; 32 and 64 KiB were no faster.
                try db.execute(sql: "PRAGMA page_size = 16384")
                // A rollback journal, not WAL: ingest appends, and appended pages need no
                // journal, while WAL wrote every page twice (log, then checkpoint) and re-read
                // it. 2M-record ingest: 12.3 -> 11.2 s. FULL syncs the journal before the
                // database is touched, so a power loss cannot corrupt it (NORMAL can, in this
                // mode); `BackgroundWriteback` keeps those syncs short. A WAL database from
                // an earlier version is switched over when nothing else has it open.
                try db.execute(sql: "PRAGMA journal_mode = TRUNCATE")
                try db.execute(sql: "PRAGMA synchronous = FULL")
            }
            // 32 MiB: ingest was as fast as with 64 MiB, and with 16 KiB pages a 64 MiB cache
            // made the heap grow to ~300 MB (glibc), over the 150 MB memory budget.
            try db.execute(sql: "PRAGMA cache_size = -32768")
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
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

    /// Throws `noDatabase` when nothing is at `path`. Every command but `ingest` and `audit`
    /// calls this before it opens (or locks) the database: a mistyped path must not become a
    /// new, empty database that then audits clean.
    package static func requireExisting(_ path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw DatabaseFailure.noDatabase(path: path) }
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

    /// Kernel writeback of the database and its journal started while a long write runs (see
    /// `BackgroundWriteback`); call `finish()` on it when the write is done.
    func startBackgroundWriteback() -> BackgroundWriteback {
        let writeback = BackgroundWriteback(paths: [path, path + "-journal"])
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
