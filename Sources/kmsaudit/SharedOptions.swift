import ArgumentParser
import Foundation
import KMSAudit

/// `--wait`, for every command that takes the database's writer lock (`DatabaseLock`).
struct LockOptions: ParsableArguments {
    @Option(help: "Seconds to wait for another kmsaudit using the same database.")
    var wait: Int = 0
}

/// How log files are read: shared by `ingest` and `audit`, so the nightly job can be tuned the
/// same way as a manual ingest.
struct ReadingOptions: ParsableArguments {
    @Option(help: "Most bytes one file may inflate to (gzip bomb guard), e.g. 4G, 512M.")
    var maxInflatedSize: ByteSize = ByteSize(4 << 30)

    @Option(help: "Largest single record accepted, e.g. 16M.")
    var maxRecordSize: ByteSize = ByteSize(16 << 20)

    @Option(help: "Decoding threads (the writer is one more). Default: this machine's cores.")
    var threads: Int?

    @Flag(help: .hidden)
    var noHashing = false

    @Flag(help: "Store records from every event source, not only kms, rds and backup.")
    var allSources = false

    func ingestOptions(paths: [String]) -> IngestOptions {
        IngestOptions(
            paths: paths,
            limits: ReaderLimits(maxInflatedBytes: maxInflatedSize.bytes, maxRecordBytes: Int(maxRecordSize.bytes),
                                 hashing: !noHashing),
            storeAllSources: allSources, threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
    }
}
