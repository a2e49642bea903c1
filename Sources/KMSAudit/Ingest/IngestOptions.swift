/// What `kmsaudit ingest` was asked to do.
package struct IngestOptions: Sendable {
    package var paths: [String]
    package var limits: ReaderLimits
    /// Store every record, not only kms/rds/backup ones.
    package var storeAllSources: Bool
    /// Decoding threads; the writer is one more.
    package var threads: Int
    /// Files never treated as input (the database itself and its -wal, -shm and .lock files,
    /// which often sit beside the logs).
    package var excludedPaths: Set<String> = []
    /// Seconds between commits of the batch transaction (see `CommitBatch`): a test and tuning
    /// knob (`--commit-interval`, hidden); 10 s by default.
    package var commitInterval: Double = 10
    /// Bytes of event IDs held before they go into `event_ids` (`EventWriter.flushBytes`): a
    /// test knob, so that a small file crosses a flush.
    package var eventIDFlushBytes = EventWriter.flushBytes
    /// The least number of recent event IDs merged into the large table (`EventIDStore`); nil
    /// follows the page cache. A test knob, so that a small trail crosses merges.
    package var eventIDMergeMinimum: Int?

    package init(paths: [String], limits: ReaderLimits = ReaderLimits(), storeAllSources: Bool = false, threads: Int = 2) {
        self.paths = paths
        self.limits = limits
        self.storeAllSources = storeAllSources
        self.threads = max(1, threads)
    }
}

/// What one ingest did: printed as one line, or as JSON with `--json`.
package struct IngestSummary: Codable, Sendable, Equatable {
    package var runID: Int64
    package var filesSeen = 0
    package var filesRead = 0
    package var filesUnchanged = 0
    package var filesFailed = 0
    package var filesSkipped = 0
    package var digestFiles = 0
    package var recordsRead = 0
    package var eventsStored = 0
    package var duplicates = 0
    package var clashes = 0
    /// Valid JSON records that are not valid CloudTrail records (kept in `rejected_records`).
    package var recordsRejected = 0
    package var contentBytes: Int64 = 0
    package var seconds = 0.0
    /// Bytes this run wrote to storage (database, log, checkpoints), for the benchmark's
    /// write-amplification figure; nil where the kernel does not count them.
    package var bytesWritten: Int64?
    /// One line per failed file: file, where, what.
    package var failures: [String] = []
    /// One line per rejected record.
    package var warnings: [String] = []

    /// 0 all files ok, 3 some failed (the rest landed).
    package var exitStatus: Int32 { filesFailed > 0 ? 3 : 0 }

    package var line: String {
        let rate = seconds > 0 ? Double(recordsRead) / seconds : 0
        return "ingest: \(filesSeen) files (\(filesRead) read, \(filesUnchanged) unchanged, \(filesSkipped) skipped, "
            + "\(filesFailed) failed), \(recordsRead) records read, \(eventsStored) events stored, "
            + "\(duplicates) duplicates, \(clashes) clashes, \(recordsRejected) records rejected, "
            + String(format: "%.1f s, %.0f records/s", seconds, rate)
    }
}
