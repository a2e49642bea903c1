import GRDB

/// When the write-ahead log is copied back into the database file: after each committed batch
/// and when a writing command ends, never in the middle of a batch, and never waiting for a
/// reader.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses its threshold, so a commit
/// could stall on it; and a checkpoint that waits for readers would bring back the very wait
/// WAL removes. A passive checkpoint copies every frame no reader still needs and returns:
/// behind a 10-minute query the log keeps the frames that query's snapshot pins and grows by
/// what the job writes meanwhile; the next checkpoint after the query ends catches up, and the
/// log restarts from its beginning (cut back to `logSizeLimit`).
package enum WALCheckpoints {
    /// Bytes the log keeps on disk after it restarts (`PRAGMA journal_size_limit`): big enough
    /// that a batch does not regrow it from nothing, small enough to be noise beside the database.
    package static let logSizeLimit = 64 << 20

    /// How far a checkpoint got: `frames` in the log, `copied` of them into the database.
    package struct Outcome: Sendable {
        package var frames: Int
        package var copied: Int
        /// False when a reader's snapshot still needs frames the checkpoint could not copy.
        package var complete: Bool { copied >= frames }
    }

    /// Copies what no reader still needs; returns at once when nothing is in the log. On a
    /// database not in WAL mode (a read-only connection to an old file) this does nothing.
    @discardableResult
    package static func passive(_ db: Database) throws -> Outcome {
        let result = try db.checkpoint(.passive)
        // -1/-1: not in WAL mode.
        return Outcome(frames: max(0, result.walFrameCount), copied: max(0, result.checkpointedFrameCount))
    }
}
