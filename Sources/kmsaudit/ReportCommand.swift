import ArgumentParser
import Foundation
import KMSAudit

extension ReportFormat: ExpressibleByArgument {}

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write the report of a check run as HTML, CSV, JSON, OCSF or ASFF.",
        discussion: """
            Reports the latest `check` run unless --run names another. html, json, ocsf (OCSF 1.3.0 \
            Detection and Compliance Findings, a JSON array) and asff (a JSON array for `aws \
            securityhub batch-import-findings`) write one file (--out), or stdout without --out. csv writes findings.csv, evidence.csv and databases.csv: into \
            --out when it is a directory (or ends with /), else next to --out as \
            NAME-findings.csv, NAME-evidence.csv and NAME-databases.csv (NAME = --out without .csv), else into the \
            current directory. The database is opened read-only.
            Exit status: 0 written, 2 usage or database error, or no such run.
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Option(name: .customLong("run"), help: "The check run to report (default: the latest).")
    var runID: Int64?

    @Option(help: "html, csv, json, ocsf or asff.")
    var format: ReportFormat

    @Option(help: "Output file (html, json) or directory / file name stem (csv).")
    var out: String?

    @Option(help: "Evidence events shown per finding in html and json (0 = all; evidence.csv always has all).")
    var eventsPerFinding: Int = ReportModel.defaultEventLimit

    func validate() throws {
        guard eventsPerFinding >= 0 else { throw ValidationError("--events-per-finding must be 0 or more") }
    }

    func run() throws {
        let db = try AuditDatabase(path: database.db, readonly: true)
        let limit = eventsPerFinding == 0 ? nil : eventsPerFinding
        do {
            try db.queue.read { conn in
                let model = try ReportModel.load(db: conn, runID: runID, eventLimit: limit)
                if format == .csv {
                    let (directory, naming) = csvDestination()
                    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                    for url in try ReportWriter.write([.csv], model, db: conn, into: directory, namings: [naming]) {
                        print(url.path)
                    }
                } else {
                    try emit(try ReportWriter.render(format, model, db: conn)[0].data)
                }
            }
        } catch let error as ReportError {
            throw UserFacingError(message: error.description, status: 2)
        } catch let error as ReportWriteError {
            throw UserFacingError(message: error.description, status: 2)
        }
    }

    /// One file atomically (a cron job's `latest.html` is never half written), or stdout.
    private func emit(_ data: Data) throws {
        guard let out else {
            FileHandle.standardOutput.write(data)
            return
        }
        let url = URL(fileURLWithPath: out)
        try ReportWriter.writeAtomically(data, to: url)
        print(url.path)
    }

    /// Where findings.csv, evidence.csv and databases.csv go (see the discussion above): a folder
    /// of their own (--out DIR/, or the current directory), or NAME-*.csv beside --out NAME.csv.
    func csvDestination() -> (URL, ReportWriter.Naming) {
        guard let out else {
            return (URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true), .folder)
        }
        var isDirectory: ObjCBool = false
        if out.hasSuffix("/") || (FileManager.default.fileExists(atPath: out, isDirectory: &isDirectory) && isDirectory.boolValue) {
            return (URL(fileURLWithPath: out, isDirectory: true), .folder)
        }
        let url = URL(fileURLWithPath: out)
        let stem = url.pathExtension.lowercased() == "csv" ? url.deletingPathExtension().lastPathComponent : url.lastPathComponent
        return (url.deletingLastPathComponent(), .prefixed(stem + "-"))
    }
}
