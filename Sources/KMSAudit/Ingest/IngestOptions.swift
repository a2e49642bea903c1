/// What `kmsaudit ingest` was asked to do.
public struct IngestOptions: Sendable {
    public var paths: [String]
    public var limits: ReaderLimits
    /// Store every record, not only kms/rds/backup ones.
    public var storeAllSources: Bool
    /// Decoding threads; the writer is one more.
    public var threads: Int
    /// Files never treated as input (the database itself and its -wal, -shm and .lock files,
    /// which often sit beside the logs).
    public var excludedPaths: Set<String> = []
    /// Seconds between commits of the batch transaction (see `CommitBatch`): a test and tuning
    /// knob (`--commit-interval`, hidden); 10 s by default.
    public var commitInterval: Double = 10

    public init(paths: [String], limits: ReaderLimits = ReaderLimits(), storeAllSources: Bool = false, threads: Int = 2) {
        self.paths = paths
        self.limits = limits
        self.storeAllSources = storeAllSources
        self.threads = max(1, threads)
    }
}

/// What one ingest did: printed as one line, or as JSON with `--json`.
public struct IngestSummary: Codable, Sendable, Equatable {
    public var runID: Int64
    public var filesSeen = 0
    public var filesRead = 0
    public var filesUnchanged = 0
    public var filesFailed = 0
    public var filesSkipped = 0
    public var digestFiles = 0
    public var recordsRead = 0
    public var eventsStored = 0
    public var duplicates = 0
    public var clashes = 0
    /// Valid JSON records that are not valid CloudTrail records (kept in `rejected_records`).
    public var recordsRejected = 0
    public var contentBytes: Int64 = 0
    public var seconds = 0.0
    /// One line per failed file: file, where, what.
    public var failures: [String] = []
    /// One line per rejected record.
    public var warnings: [String] = []

    /// 0 all files ok, 3 some failed (the rest landed).
    public var exitStatus: Int32 { filesFailed > 0 ? 3 : 0 }

    public var line: String {
        let rate = seconds > 0 ? Double(recordsRead) / seconds : 0
        return "ingest: \(filesSeen) files (\(filesRead) read, \(filesUnchanged) unchanged, \(filesSkipped) skipped, "
            + "\(filesFailed) failed), \(recordsRead) records read, \(eventsStored) events stored, "
            + "\(duplicates) duplicates, \(clashes) clashes, \(recordsRejected) records rejected, "
            + String(format: "%.1f s, %.0f records/s", seconds, rate)
    }
}
