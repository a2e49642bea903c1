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

/// The one place reports are rendered, named and written: `kmsaudit report`, `kmsaudit audit`
/// and the evidence pack all come through here, so a format (or a file of one) is added once.
/// (`kmsaudit verify` writes no report file: it prints the integrity verdict.)
package enum ReportWriter {
    /// One rendered file of a format; `fileName` names it by its role.
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

    /// How the files of one rendering are named.
    package enum Naming: Sendable, Equatable {
        /// `STEM.EXT`, `STEM-evidence.csv`, `STEM-databases.csv`: `audit`'s dated and `latest` files.
        case stem(String)
        /// `PREFIXfindings.csv`, `PREFIXevidence.csv`, `PREFIXdatabases.csv`, `PREFIXfindings.EXT`
        /// and `PREFIXreport.html`: the evidence pack and `report --format csv --out DIR/` (prefix
        /// ""), `report --format csv --out NAME.csv` (prefix "NAME-").
        case prefixed(String)

        /// A folder of their own: the fixed names without a prefix.
        package static let folder = Naming.prefixed("")
    }

    /// The file name of `role` of `format` under `naming`.
    package static func fileName(_ format: ReportFormat, _ role: Part.Role, _ naming: Naming) -> String {
        switch (naming, role) {
        case (.stem(let stem), .main): return stem + "." + format.fileExtension
        case (.stem(let stem), .evidence): return stem + "-evidence.csv"
        case (.stem(let stem), .databases): return stem + "-databases.csv"
        case (.prefixed(let prefix), .main): return prefix + (format == .html ? "report.html" : "findings." + format.fileExtension)
        case (.prefixed(let prefix), .evidence): return prefix + "evidence.csv"
        case (.prefixed(let prefix), .databases): return prefix + "databases.csv"
        }
    }

    /// Renders each of `formats` once and writes its files into `directory` under every one of
    /// `namings` (`audit`: dated and `latest`), each atomically. Returns the files written.
    package static func write(_ formats: [ReportFormat], _ model: ReportModel, db: Database, into directory: URL,
                              namings: [Naming]) throws -> [URL] {
        var rendered: [(ReportFormat, Part)] = []
        for format in formats {
            for part in try render(format, model, db: db) { rendered.append((format, part)) }
        }
        var written: [URL] = []
        for naming in namings {
            for (format, part) in rendered {
                let url = directory.appendingPathComponent(fileName(format, part.role, naming))
                try writeAtomically(part.data, to: url)
                written.append(url)
            }
        }
        return written
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
