import Foundation
import GRDB

/// Groups many files into one SQLite transaction while keeping each file atomic with a
/// SAVEPOINT: a file's events and ledger row are released together or rolled back together,
/// and the outer transaction commits every 10 seconds (or 100,000 files, or a million events),
/// whichever comes first. The time bound is `IngestOptions.commitInterval` (the hidden
/// `--commit-interval` of `kmsaudit ingest`), lowered by the crash test to see many batches. Every commit writes out each index
/// page changed since the last one, and new event IDs are random UUIDs that touch most pages of
/// their index: on a 2M-record trail, commits every second wrote 2.7 GB to the database and
/// 1.1 GB to the journal for a 1.3 GB result (ingest 9.2-9.7 s; every 10 s: 8.1-8.2 s). A kill
/// loses at most the uncommitted batch, which the next run reads again. Readers never wait for
/// a batch (WAL): they see the database as of the last commit.
///
/// A file whose decoding already succeeded when the writer starts it gets no savepoint (the
/// writer waits for a file that fits its handoff to settle, `FileHandoff.settle()`): only
/// bad input ever rolls a file back (a database error abandons the whole batch), and a
/// savepoint costs a copy of every page the file changes into SQLite's sub-journal plus two
/// statements (7% of ingest CPU on a trail of small files). The savepoint statements are
/// prepared once (`cachedStatement`) instead of parsed on every call.
///
/// The batch's event IDs (`EventWriter`) go into `event_ids` in sorted order between files and
/// before each commit, in the same transaction as their events; a rolled-back file takes its IDs
/// with it.
final class CommitBatch {
    private let db: Database
    private let writer: EventWriter?
    private var open = false
    private var files = 0
    private var events = 0
    private var openedAt = Date()
    /// Whether the current file runs inside `SAVEPOINT file`.
    private var inSavepoint = false

    /// The batch bounds: the time bound is what limits the work a crash loses and how long a
    /// reader of the database may wait; the others only cap a batch on a very fast machine.
    static let maxFiles = 100_000
    static let maxEvents = 1_000_000
    static let defaultSeconds = 10.0
    private let maxSeconds: Double

    init(_ db: Database, maxSeconds: Double = CommitBatch.defaultSeconds, writer: EventWriter? = nil) {
        self.db = db
        self.writer = writer
        self.maxSeconds = maxSeconds
    }

    /// Starts a file's writes. `undoable: false` when nothing of the file can be rolled back
    /// (its decoding already succeeded): then no savepoint is opened.
    func beginFile(undoable: Bool = true) throws {
        if !open {
            try db.execute(sql: "BEGIN IMMEDIATE")
            open = true
            files = 0
            events = 0
            openedAt = Date()
        }
        if undoable {
            try run("SAVEPOINT file")
            writer?.savepointOpened()
        }
        inSavepoint = undoable
    }

    func endFile() throws {
        if inSavepoint {
            try run("RELEASE SAVEPOINT file")
            writer?.savepointReleased()
        }
        inSavepoint = false
        files += 1
    }

    /// Drops everything of the current file, keeps the rest of the batch.
    func undoFile() throws {
        precondition(inSavepoint, "undoFile for a file begun with undoable: false")
        try run("ROLLBACK TO SAVEPOINT file")
        try run("RELEASE SAVEPOINT file")
        writer?.savepointRolledBack()
        inSavepoint = false
    }

    /// A small write that belongs to one file (a skipped or failed file's ledger row).
    func file(_ body: () throws -> Void) throws {
        try beginFile()
        do { try body() } catch { try? undoFile(); throw error }
        try endFile()
    }

    func commitIfDue(events added: Int) throws {
        events += added
        guard open else { return }
        if files >= Self.maxFiles || events >= Self.maxEvents || Date().timeIntervalSince(openedAt) >= maxSeconds {
            try commit()
        } else if let writer, writer.wantsFlush {
            try writer.flushIDs()
        }
    }

    /// Commits, then checkpoints the log while no batch is open (`WALCheckpoints`): the log
    /// then holds about one batch, however long the ingest.
    func commit() throws {
        guard open else { return }
        try writer?.flushIDs()
        try db.execute(sql: "COMMIT")
        open = false
        try WALCheckpoints.passive(db)
    }

    private func run(_ sql: String) throws {
        try db.cachedStatement(sql: sql).execute()
    }

    /// After an error: nothing of the open batch is kept.
    func abandon() {
        guard open else { return }
        try? db.execute(sql: "ROLLBACK")
        writer?.discardPending()
        open = false
    }
}
