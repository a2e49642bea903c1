import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Ingest into a database that does not exist yet builds it beside its final path
/// (`FILE.building`), with the rollback journal, and renames it into place when the load is done.
///
/// Why: in WAL mode every page is written twice (to the log, then by the checkpoint), which is
/// the price of letting the analyst read while the nightly job writes. A first load has no
/// readers to let in: nothing can read a database that does not exist yet. With the rollback
/// journal a page added at the end of the file is written once, and only pages that existed
/// before a commit are copied to the journal. On the 2M-record benchmark trail: 2.1 GB written
/// instead of 4.1 GB for a 1.53 GB database, and 13 s instead of 17 s (docs/DESIGN.md, "First
/// load"). Every later ingest works on the database in place, in WAL mode.
///
/// A killed first load leaves `FILE.building` with everything it committed (SQLite rolls back
/// the unfinished batch when the file is next opened); the next run continues it and then
/// renames it. Call with the `DatabaseLock` of `path` held, so that two runs never build at once.
package enum FirstLoad {
    /// Where a first load builds the database at `path` until the load is done.
    package static func buildingPath(for path: String) -> String { path + buildingSuffix }

    /// The database at `path` (or its building file) and every file kmsaudit or SQLite keeps
    /// beside it, in either journal mode: what ingest must not read as input when the database
    /// sits in a folder it walks.
    package static func companionFiles(of path: String) -> [String] {
        let base = path.hasSuffix(buildingSuffix) ? String(path.dropLast(buildingSuffix.count)) : path
        return ["", "-wal", "-shm", "-journal", ".lock", buildingSuffix, buildingSuffix + "-journal"].map { base + $0 }
    }

    private static let buildingSuffix = ".building"

    /// Runs `ingest` on the database at `path` and returns its result with that database, open
    /// in WAL mode at `path`. When nothing is at `path` yet, `ingest` runs on the building file
    /// (a new one, or the one an interrupted first load left), which then becomes `path`. If
    /// `ingest` throws, the building file stays for the next run and nothing is at `path`.
    package static func ingest<T>(into path: String, _ ingest: (AuditDatabase) throws -> T) throws -> (result: T, database: AuditDatabase) {
        if FileManager.default.fileExists(atPath: path) {
            let database = try AuditDatabase(path: path)
            return (try ingest(database), database)
        }
        let building = buildingPath(for: path)
        let database = try AuditDatabase(path: building, journal: .rollback)
        let result: T
        do {
            result = try ingest(database)
        } catch {
            try? database.close()
            throw error
        }
        try finish(database, as: path)
        return (result, try AuditDatabase(path: path))
    }

    /// Switches the built file to WAL (recorded in its header, so every later connection opens it
    /// so), closes it, forces it to disk and renames it to `path`: a crash leaves either the
    /// building file or the whole database, never a part of one at `path`.
    static func finish(_ database: AuditDatabase, as path: String) throws {
        let building = database.path
        do {
            try database.queue.writeWithoutTransaction { db in
                _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
            }
            try database.close()
        } catch {
            throw DatabaseFailure.cannotOpen(path: building, reason: "cannot finish the first load: \(error)")
        }
        try sync(building)
        guard rename(building, path) == 0 else {
            throw DatabaseFailure.cannotOpen(path: path, reason: "cannot rename \(building) into place: \(String(cString: strerror(errno)))")
        }
        try sync((path as NSString).deletingLastPathComponent.isEmpty ? "." : (path as NSString).deletingLastPathComponent)
    }

    /// fsync of a file or a folder (a rename is durable once its folder is synced).
    private static func sync(_ path: String) throws {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw DatabaseFailure.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw DatabaseFailure.cannotOpen(path: path, reason: "fsync: \(String(cString: strerror(errno)))") }
    }
}
