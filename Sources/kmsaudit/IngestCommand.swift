import ArgumentParser
import Foundation
import KMSAudit

struct IngestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Read CloudTrail logs (streaming) and store KMS, RDS and Backup events in SQLite.",
        discussion: """
            Accepts CloudTrail .json.gz files (multi-member gzip too), plain .json, NDJSON and \
            `aws cloudtrail lookup-events` output; directories are walked recursively. Files already \
            ingested and unchanged are skipped; changed files are re-read and reconciled. A broken \
            file is reported on one line, recorded as failed, and nothing of it is stored. A database \
            that does not exist yet is built as FILE.building and renamed to FILE when the load is \
            done (a killed first load is continued by the next run).
            Exit status: 0 all files ok, 3 some files failed (the rest landed), 2 usage or database error.
            """
    )

    @Argument(help: "Files or directories to ingest.")
    var paths: [String]

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var reading: ReadingOptions
    @OptionGroup var locking: LockOptions

    /// Seconds between commits (default 10): a test and tuning knob, not for everyday use.
    @Option(help: .hidden)
    var commitInterval: Double?

    @Flag(help: "No progress line (for cron).")
    var quiet = false

    @Flag(help: "Print the summary as JSON on stdout.")
    var json = false

    func validate() throws {
        for path in paths where !FileManager.default.fileExists(atPath: path) {
            throw ValidationError("no such file or folder: \(path)")
        }
        if let commitInterval, !(commitInterval >= 0 && commitInterval.isFinite) {
            throw ValidationError("--commit-interval must be 0 or more seconds")
        }
    }

    func run() throws {
        let lock = try DatabaseLock(databasePath: database.db, waitSeconds: locking.wait)
        var options = reading.ingestOptions(paths: paths)
        if let commitInterval { options.commitInterval = commitInterval }
        let (summary, _) = try FirstLoad.ingest(into: database.db) { db in
            try Ingestor(database: db, options: options, progress: ProgressLine(quiet: quiet), hooks: .standard).run()
        }
        withExtendedLifetime(lock) {}
        for failure in summary.warnings.prefix(20) + summary.failures {
            FileHandle.standardError.write(Data(("kmsaudit: " + failure + "\n").utf8))
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        } else {
            print(summary.line)
        }
        if summary.exitStatus != 0 { throw ExitCode(summary.exitStatus) }
    }
}

/// A byte count given as `4G`, `512M`, `64K` or plain bytes.
struct ByteSize: ExpressibleByArgument {
    var bytes: Int64
    init(_ bytes: Int64) { self.bytes = bytes }
    init?(argument: String) {
        let units: [Character: Int64] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
        var text = argument.uppercased()
        if text.hasSuffix("B") { text.removeLast() }
        var multiplier: Int64 = 1
        if let last = text.last, let unit = units[last] { multiplier = unit; text.removeLast() }
        guard let value = Int64(text), value > 0 else { return nil }
        bytes = value * multiplier
    }
    var defaultValueDescription: String { "\(bytes)" }
}
