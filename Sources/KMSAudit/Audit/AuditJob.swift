import Foundation
import GRDB

/// `kmsaudit audit`: the nightly job. Ingest (incremental), check, then the three reports,
/// date-stamped and as `latest.*`, each written to a temporary file and renamed into place so
/// that a reader never sees half a report.
package enum AuditJob {
    package struct Options {
        package var ingest: IngestOptions
        package var check: CheckOptions
        package var reportDirectory: String
        package init(ingest: IngestOptions, check: CheckOptions, reportDirectory: String = "Reports") {
            self.ingest = ingest
            self.check = check
            self.reportDirectory = reportDirectory
        }
    }

    package struct Result {
        package var ingest: IngestSummary
        package var check: CheckSummary
        /// Files written, date-stamped first.
        package var reports: [String]

        /// 3 when input files failed (findings were still written), else 1 when a finding is at
        /// or above --fail-on, else 0. (Errors that stop the job are 2, thrown.)
        package var exitStatus: Int32 { ingest.filesFailed > 0 ? 3 : check.exitStatus }

        package var line: String {
            let severities = ["critical", "high", "medium", "low"].map { "\(check.bySeverity[$0] ?? 0) \($0)" }
            return "audit: \(ingest.filesRead) files read (\(ingest.filesUnchanged) unchanged, \(ingest.filesFailed) failed), "
                + "\(ingest.eventsStored) events stored; \(check.findings) findings (\(severities.joined(separator: ", ")); "
                + "\(check.new) new, \(check.suppressed) suppressed); report \(reports.first ?? "-")"
        }
    }

    /// Returns the database too, open: a first load builds it elsewhere and moves it to
    /// `databasePath` (`FirstLoad`), so it is not open before the job.
    package static func run(databasePath: String, _ options: Options, progress: ProgressLine) throws -> (Result, AuditDatabase) {
        let (ingest, database) = try FirstLoad.ingest(into: databasePath) { db in
            try Ingestor(database: db, options: options.ingest, progress: progress, hooks: .checkFollows).run()
        }
        let check = try CheckRunner.run(database, options.check)
        let reports = try writeReports(database, runID: check.runID, directory: options.reportDirectory,
                                       date: options.check.now)
        return (Result(ingest: ingest, check: check, reports: reports), database)
    }

    /// The formats `audit` writes, each date-stamped and as `latest.*`.
    package static let formats: [ReportFormat] = [.html, .csv, .json, .ocsf, .asff]

    /// `kmsaudit-YYYY-MM-DD.{html,csv,json,ocsf.json,asff.json}` (and `-evidence.csv`, `-databases.csv`) plus
    /// `latest.*` copies, rendered by `ReportWriter` like `kmsaudit report`.
    static func writeReports(_ database: AuditDatabase, runID: Int64, directory: String, date: Date) throws -> [String] {
        let dir = URL(fileURLWithPath: directory, isDirectory: true)
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        } catch {
            throw DatabaseFailure.cannotOpen(path: directory, reason: "cannot create the report folder: \(error.localizedDescription)")
        }
        let stamp = "kmsaudit-" + String(TimeFormats.canonical(date).prefix(10))
        do {
            return try database.queue.read { db in
                let model = try ReportModel.load(db: db, runID: runID)
                return try ReportWriter.write(formats, model, db: db, into: dir, namings: [.stem(stamp), .stem("latest")])
                    .map(\.path)
            }
        } catch let error as ReportWriteError {
            throw DatabaseFailure.cannotOpen(path: error.path, reason: "cannot write the report: \(error.reason)")
        }
    }
}
