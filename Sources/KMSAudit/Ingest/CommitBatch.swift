import Foundation
import GRDB

/// Groups many files into one SQLite transaction while keeping each file atomic with a
/// SAVEPOINT: a file's events and ledger row are released together or rolled back together,
/// and the outer transaction commits every 5000 files, 50k events or second, whichever comes
/// first. One commit per file rewrote the same index pages into the WAL for every file (12k
/// files: 860k page writes); a kill loses at most the uncommitted batch, which the next run
/// reads again.
///
/// A file whose decoding already succeeded when the writer starts it gets no savepoint: only
/// bad input ever rolls a file back (a database error abandons the whole batch), and a
/// savepoint costs a copy of every page the file changes into SQLite's sub-journal plus two
/// statements (7% of ingest CPU on a trail of small files). The savepoint statements are
/// prepared once (`cachedStatement`) instead of parsed on every call.
final class CommitBatch {
    private let db: Database
    private var open = false
    private var files = 0
    private var events = 0
    private var openedAt = Date()
    /// Whether the current file runs inside `SAVEPOINT file`.
    private var inSavepoint = false

    /// Files per transaction. The event count and time bounds are what limit the work a crash
    /// loses; 500 files (a few thousand events of a typical trail) committed ~8 times a second
    /// and rewrote the same index pages each time.
    static let maxFiles = 5000
    static let maxEvents = 50_000
    static let maxSeconds = 1.0

    init(_ db: Database) { self.db = db }

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
        if undoable { try run("SAVEPOINT file") }
        inSavepoint = undoable
    }

    func endFile() throws {
        if inSavepoint { try run("RELEASE SAVEPOINT file") }
        inSavepoint = false
        files += 1
    }

    /// Drops everything of the current file, keeps the rest of the batch.
    func undoFile() throws {
        precondition(inSavepoint, "undoFile for a file begun with undoable: false")
        try run("ROLLBACK TO SAVEPOINT file")
        try run("RELEASE SAVEPOINT file")
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
        if files >= Self.maxFiles || events >= Self.maxEvents || Date().timeIntervalSince(openedAt) >= Self.maxSeconds {
            try commit()
        }
    }

    func commit() throws {
        guard open else { return }
        try db.execute(sql: "COMMIT")
        open = false
    }

    private func run(_ sql: String) throws {
        try db.cachedStatement(sql: sql).execute()
    }

    /// After an error: nothing of the open batch is kept.
    func abandon() {
        guard open else { return }
        try? db.execute(sql: "ROLLBACK")
        open = false
    }
}
