import Foundation
import GRDB

/// The report formats `report --format`, `audit` and the evidence pack write.
package enum ReportFormat: String, CaseIterable, Sendable {
    case html, csv, json, ocsf, asff

    /// The file extension of the format's main file (`ocsf.json`: both are JSON).
    package var fileExtension: String {
        switch self {
        case .html: return "html"
        case .csv: return "csv"
        case .json: return "json"
        case .ocsf: return "ocsf.json"
        case .asff: return "asff.json"
        }
    }
}

/// The one place reports are rendered and written: `kmsaudit report`, `kmsaudit audit` and
/// the evidence pack all come through here, so a format is added once.
package enum ReportWriter {
    /// One rendered file of a format: its role decides the file name each caller gives it.
    package struct Part: Sendable {
        package enum Role: Sendable {
            /// The format's file (findings.csv for csv).
            case main
            /// evidence.csv, the second file of the csv format.
            case evidence
            /// databases.csv, the third file of the csv format (the Databases section).
            case databases
        }
        package var role: Role
        package var data: Data
    }

    /// Renders `format` from the loaded model. `db` is read for evidence.csv, which lists every
    /// evidence event rather than the model's capped selection.
    package static func render(_ format: ReportFormat, _ model: ReportModel, db: Database) throws -> [Part] {
        switch format {
        case .html: return [Part(role: .main, data: Data(try HTMLReport.render(model).utf8))]
        case .json: return [Part(role: .main, data: Data(try JSONReport.render(model).utf8))]
        case .ocsf: return [Part(role: .main, data: Data(try OCSFReport.render(model).utf8))]
        case .asff: return [Part(role: .main, data: Data(try ASFFReport.render(model).utf8))]
        case .csv:
            return [Part(role: .main, data: Data(try CSVReport.findings(model).utf8)),
                    Part(role: .evidence, data: Data(try CSVReport.evidence(model, db: db).utf8)),
                    Part(role: .databases, data: Data(try CSVReport.databases(model).utf8))]
        }
    }

    /// Writes `data` to `url` through a temporary file renamed into place, so a reader (a cron
    /// job's `latest.html`, a SIEM polling a folder) never sees half a report.
    package static func writeAtomically(_ data: Data, to url: URL) throws {
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            throw ReportWriteError(path: url.path, reason: error.localizedDescription)
        }
    }
}

/// A report file that could not be written.
package struct ReportWriteError: Error, CustomStringConvertible, Sendable {
    package var path: String
    package var reason: String
    package var description: String { "\(path): cannot write the report: \(reason)" }
}
