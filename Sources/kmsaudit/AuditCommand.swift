import ArgumentParser
import Foundation
import KMSAudit

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Ingest (incremental), check and write the reports: the nightly job.",
        discussion: """
            Writes kmsaudit-YYYY-MM-DD.html, .csv, -evidence.csv, -databases.csv, .json, .ocsf.json and .asff.json into \
            --report-dir and refreshes latest.*; with --evidence FILE.zip also the run's evidence pack. Quiet on stdout except one summary line; a progress line on a terminal only.
            Exit status: 0 no finding at or above --fail-on, 1 some, 2 usage, config or database error \
            (including: another run holds the lock for longer than --wait), 3 some input files failed \
            (the rest landed and the reports were still written).
            """)

    @Argument(help: "Files or folders of CloudTrail logs (and policy or inventory files).")
    var paths: [String]

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var check: CheckArguments
    @OptionGroup var reading: ReadingOptions
    @OptionGroup var locking: LockOptions

    @Option(help: "Folder for the reports.")
    var reportDir: String = "Reports"

    @Option(help: "Also write the run's evidence pack (zip) here; see `kmsaudit help evidence`.")
    var evidence: String?

    @Flag(help: "No progress line.")
    var quiet = false

    func validate() throws {
        for path in paths where !FileManager.default.fileExists(atPath: path) {
            throw ValidationError("no such file or folder: \(path)")
        }
    }

    func run() throws {
        let lock = try DatabaseLock(databasePath: database.db, waitSeconds: locking.wait)
        let checkOptions = try check.options()
        let options = AuditJob.Options(ingest: reading.ingestOptions(paths: paths), check: checkOptions, reportDirectory: reportDir)
        let (result, db) = try AuditJob.run(databasePath: database.db, options, progress: ProgressLine(quiet: quiet))
        var packLines: String?
        if let evidence {
            packLines = try writePack(db, out: evidence,
                                      options: EvidencePack.Options(runID: result.check.runID,
                                                                    publicKeys: try loadPublicKeys(check.publicKeys)))
        }
        withExtendedLifetime(lock) {}
        for line in result.ingest.failures {
            FileHandle.standardError.write(Data(("kmsaudit: " + line + "\n").utf8))
        }
        print(result.line)
        if let packLines { print("evidence pack: " + packLines) }
        if result.exitStatus != 0 { throw ExitCode(result.exitStatus) }
    }
}
