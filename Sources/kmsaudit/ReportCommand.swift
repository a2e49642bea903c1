import ArgumentParser
import Foundation
import KMSAudit

struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Write the report of a check run as HTML, CSV or JSON.",
        discussion: """
            Reports the latest `check` run unless --run names another. html and json write one \
            file (--out), or stdout without --out. csv writes findings.csv, evidence.csv and \
            databases.csv: into --out when it is a directory (or ends with /), else next to --out as \
            NAME-findings.csv, NAME-evidence.csv and NAME-databases.csv (NAME = --out without .csv), else into the \
            current directory. The database is opened read-only.
            Exit status: 0 written, 2 usage or database error, or no such run.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case html, csv, json
    }

    @OptionGroup var database: DatabaseOptions

    @Option(name: .customLong("run"), help: "The check run to report (default: the latest).")
    var runID: Int64?

    @Option(help: "html, csv or json.")
    var format: Format

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
                switch format {
                case .html: try emit(try HTMLReport.render(model))
                case .json: try emit(try JSONReport.render(model))
                case .csv:
                    let (findings, evidence, databases) = csvPaths()
                    try FileManager.default.createDirectory(at: findings.deletingLastPathComponent(),
                                                            withIntermediateDirectories: true)
                    try CSVReport.writeFindings(model, to: findings)
                    try CSVReport.writeEvidence(model, db: conn, to: evidence)
                    try CSVReport.writeDatabases(model, to: databases)
                    print(findings.path)
                    print(evidence.path)
                    print(databases.path)
                }
            }
        } catch let error as ReportError {
            throw UserFacingError(message: error.description, status: 2)
        }
    }

    /// One file atomically (a cron job's `latest.html` is never half written), or stdout.
    private func emit(_ text: String) throws {
        guard let out else {
            FileHandle.standardOutput.write(Data(text.utf8))
            return
        }
        let url = URL(fileURLWithPath: out)
        do {
            try Data(text.utf8).write(to: url, options: .atomic)
        } catch {
            throw UserFacingError(message: "\(out): cannot write the report: \(error.localizedDescription)", status: 2)
        }
        print(url.path)
    }

    /// Where findings.csv, evidence.csv and databases.csv go (see the discussion above).
    func csvPaths() -> (URL, URL, URL) {
        guard let out else {
            let here = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            return (here.appendingPathComponent("findings.csv"), here.appendingPathComponent("evidence.csv"),
                    here.appendingPathComponent("databases.csv"))
        }
        var isDirectory: ObjCBool = false
        if out.hasSuffix("/") || (FileManager.default.fileExists(atPath: out, isDirectory: &isDirectory) && isDirectory.boolValue) {
            let dir = URL(fileURLWithPath: out, isDirectory: true)
            return (dir.appendingPathComponent("findings.csv"), dir.appendingPathComponent("evidence.csv"),
                    dir.appendingPathComponent("databases.csv"))
        }
        let url = URL(fileURLWithPath: out)
        let stem = url.pathExtension.lowercased() == "csv" ? url.deletingPathExtension().lastPathComponent : url.lastPathComponent
        let dir = url.deletingLastPathComponent()
        return (dir.appendingPathComponent("\(stem)-findings.csv"), dir.appendingPathComponent("\(stem)-evidence.csv"),
                dir.appendingPathComponent("\(stem)-databases.csv"))
    }
}
