import Foundation
import GRDB

/// The kmsaudit SQLite database: opened in WAL mode, schema migrated to the current version.
public final class AuditDatabase {
    public let path: String
    public let queue: DatabaseQueue

    /// Opens (creating if needed) and migrates. `readonly` opens an existing database without
    /// migrating, for `kmsaudit query`: any write then fails with SQLite's readonly error.
    public init(path: String, readonly: Bool = false) throws {
        self.path = path
        var config = Configuration()
        config.readonly = readonly
        config.busyMode = .timeout(30)
        if !readonly { config.journalMode = .wal }
        config.prepareDatabase { db in
            // NORMAL is durable in WAL mode except for the last commits on power loss, which
            // an incremental re-run repairs; it avoids an fsync per file.
            if !db.configuration.readonly {
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
            }
            try db.execute(sql: "PRAGMA cache_size = -65536")
            try db.execute(sql: "PRAGMA temp_store = MEMORY")
        }
        if readonly && !FileManager.default.fileExists(atPath: path) {
            throw DatabaseFailure.cannotOpen(path: path, reason: "no such file")
        }
        do {
            queue = try DatabaseQueue(path: path, configuration: config)
            if !readonly { try SchemaMigrations.migrator.migrate(queue) }
        } catch let error as DatabaseError {
            throw DatabaseFailure.cannotOpen(path: path, reason: error.message ?? "\(error)")
        }
    }

    /// The schema version (the last applied migration), for `--json` summaries and reports.
    public func schemaVersion() throws -> String? {
        try queue.read { db in try SchemaMigrations.migrator.appliedMigrations(db).last }
    }
}
