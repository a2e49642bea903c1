import Foundation
import GRDB
import ZIPFoundation

/// One zip archive per audit for the compliance team: the reports of a check run (HTML and its
/// PDF, JSON, CSV, OCSF, ASFF), the integrity verdict, the ledger of every input file with its
/// SHA-256, the config and rule files exactly as the run read them, the tool version, and a
/// `MANIFEST` with the SHA-256 of every other member. `verify` checks a pack against its
/// MANIFEST. Members and format: docs/EVIDENCE.md.
package enum EvidencePack {
    package static let manifestName = "MANIFEST"
    package static let pdfName = "report.pdf"
    package static let noPDFName = "report-pdf-unavailable.txt"

    package struct Options: Sendable {
        /// The check run to pack (default: the latest).
        package var runID: Int64?
        /// Digest-signing public keys for the integrity check (`verify --public-keys`).
        package var publicKeys: PublicKeySet?
        /// Digest signatures kept aside (`verify --signatures`).
        package var signatures: [String: String]?
        /// Seconds Chromium may take to print the PDF.
        package var pdfTimeout: TimeInterval
        package init(runID: Int64? = nil, publicKeys: PublicKeySet? = nil, signatures: [String: String]? = nil,
                    pdfTimeout: TimeInterval = 120) {
            self.runID = runID
            self.publicKeys = publicKeys
            self.signatures = signatures
            self.pdfTimeout = pdfTimeout
        }
    }

    package struct Written: Sendable {
        package var path: String
        /// SHA-256 of the archive file: record it (in a ticket, a signed mail) to pin the pack.
        package var sha256: String
        package var runID: Int64
        package var members: [String]
        /// Why there is no PDF, nil when there is one.
        package var pdfUnavailable: String?
        package var integrityClean: Bool
    }

    /// Runs the integrity check (as `kmsaudit verify` does, so the caller holds the database
    /// lock), renders the run's reports, and writes the archive atomically to `path`.
    package static func write(database: AuditDatabase, to path: String, options: Options = Options()) throws -> Written {
        let (integrity, sideFiles) = try IntegrityChecker.verify(database: database, publicKeys: options.publicKeys,
                                                                 signatures: options.signatures, window: (nil, nil))
        var members: [(name: String, data: Data)] = []
        var runID: Int64 = 0
        var runToolVersion = ""
        try database.queue.read { db in
            // Every evidence event, not the on-screen cap: the pack is the record.
            let model = try ReportModel.load(db: db, runID: options.runID, eventLimit: nil)
            runID = model.run.id
            runToolVersion = model.run.toolVersion
            for format in [ReportFormat.html, .json, .csv, .ocsf, .asff] {
                for part in try ReportWriter.render(format, model, db: db) {
                    members.append((ReportWriter.fileName(format, part.role, .folder), part.data))
                }
            }
            members.append(("inputs.csv", Data(try ledger(db).utf8)))
            members += try runTexts(db, runID: model.run.id, configPath: model.run.configPath)
        }
        members.append(("integrity.txt", Data(integrity.verdict(publicKeys: options.publicKeys, sideFiles: sideFiles).utf8)))
        members.append(("VERSION", Data("""
            kmsaudit \(KMSAuditVersion.current) wrote this pack
            kmsaudit \(runToolVersion) ran check run \(runID)
            OCSF schema \(OCSFReport.schemaVersion); ASFF schema \(ASFFReport.schemaVersion)

            """.utf8)))

        var pdfUnavailable: String?
        let html = members.first { $0.name == "report.html" }!.data
        switch HeadlessChromium.printToPDF(html: html, timeout: options.pdfTimeout) {
        case .success(let pdf): members.append((pdfName, pdf))
        case .failure(let why):
            pdfUnavailable = why.reason
            members.append((noPDFName, Data("""
                No PDF of report.html is in this pack: \(why.reason).
                report.html is the same report; print it from a browser (A4) to make one.

                """.utf8)))
        }
        members.sort { $0.name < $1.name }
        let manifest = manifestText(members, runID: runID, pdfUnavailable: pdfUnavailable)
        members.insert((manifestName, Data(manifest.utf8)), at: 0)

        try writeArchive(members, to: path)
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw EvidencePackError.cannotWrite(path: path, reason: "the archive cannot be read back")
        }
        return Written(path: path, sha256: Hashing.sha256Hex(Array(bytes)), runID: runID,
                       members: members.map(\.name), pdfUnavailable: pdfUnavailable, integrityClean: integrity.isClean)
    }

    /// `sha256sum` format (two spaces between hash and name), so `sha256sum -c MANIFEST` in the
    /// unzipped folder checks it too; `#` lines say what the pack is.
    static func manifestText(_ members: [(name: String, data: Data)], runID: Int64, pdfUnavailable: String?) -> String {
        var text = """
            # kmsaudit evidence pack: SHA-256 of every member but this one (sha256sum format)
            # tool: kmsaudit \(KMSAuditVersion.current)
            # check run: \(runID)
            # written: \(TimeFormats.canonical(Date()))

            """
        if let pdfUnavailable { text += "# pdf: not included: \(pdfUnavailable)\n" } else { text += "# pdf: included (\(pdfName))\n" }
        for member in members {
            text += Hashing.sha256Hex(Array(member.data)) + "  " + member.name + "\n"
        }
        return text
    }

    /// The files ledger: every input file the database has read, with its SHA-256.
    static func ledger(_ db: Database) throws -> String {
        let columns = ["path", "object_key", "kind", "format", "account", "region", "size", "mtime_ns", "sha256",
                       "content_sha256", "status", "error_kind", "error", "records_read", "events_stored",
                       "first_event_time", "last_event_time", "ingested_at"]
        let rows = try Row.fetchAll(db, sql: "SELECT \(columns.joined(separator: ", ")) FROM files ORDER BY path")
            .map { row in
                columns.map { column -> String in
                    let value: DatabaseValue = row[column]
                    switch value.storage {
                    case .null: return ""
                    case .int64(let i): return String(i)
                    case .double(let d): return String(d)
                    case .string(let s): return s
                    case .blob(let b): return Hashing.hex(b)
                    }
                }
            }
        return CSVReport.table(columns: columns, rows: rows)
    }

    /// The config file and each rule file as the run read them (`runs.config_text`, `run_rules`).
    static func runTexts(_ db: Database, runID: Int64, configPath: String?) throws -> [(name: String, data: Data)] {
        var out: [(name: String, data: Data)] = []
        let config = try String.fetchOne(db, sql: "SELECT config_text FROM runs WHERE id = ?", arguments: [runID])
        if let config {
            out.append(("config.yaml", Data(config.utf8)))
        } else {
            let why = configPath == nil
                ? "Check run \(runID) used no config file: every setting had its default (docs/CONFIG.md).\n"
                : "Check run \(runID) read \(configPath!), but its text was not recorded (a run made before kmsaudit recorded it).\n"
            out.append(("config-none.txt", Data(why.utf8)))
        }
        let rules = try Row.fetchAll(db, sql: """
            SELECT r.rule_id, t.text FROM run_rules r JOIN rule_texts t ON t.sha256 = r.sha256
            WHERE r.run_id = ? ORDER BY r.rule_id
            """, arguments: [runID])
        if rules.isEmpty {
            out.append(("rules/NOT-RECORDED.txt",
                        Data("Check run \(runID) was made before kmsaudit recorded its rules' text.\n".utf8)))
        }
        for row in rules {
            out.append(("rules/\(safeName(row["rule_id"])).sql", Data((row["text"] as String).utf8)))
        }
        return out
    }

    /// A user's rule id as a file name: letters, digits, `.`, `-`, `_`; anything else `_`.
    static func safeName(_ id: String) -> String {
        let cleaned = String(id.unicodeScalars.map { scalar -> Character in
            let ok = scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || "._-".unicodeScalars.contains(scalar))
            return ok ? Character(scalar) : "_"
        })
        return cleaned.hasPrefix(".") ? "_" + cleaned.dropFirst() : cleaned
    }

    /// Writes the members through a temporary file renamed into place.
    static func writeArchive(_ members: [(name: String, data: Data)], to path: String) throws {
        let url = URL(fileURLWithPath: path)
        let temp = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        try? FileManager.default.removeItem(at: temp)
        do {
            let archive = try Archive(url: temp, accessMode: .create)
            for member in members {
                let data = member.data
                try archive.addEntry(with: member.name, type: .file, uncompressedSize: Int64(data.count),
                                     compressionMethod: .deflate) { position, size in
                    data.subdata(in: Int(position)..<Int(position) + size)
                }
            }
        } catch {
            try? FileManager.default.removeItem(at: temp)
            throw EvidencePackError.cannotWrite(path: path, reason: "\(error)")
        }
        guard rename(temp.path, url.path) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temp)
            throw EvidencePackError.cannotWrite(path: path, reason: reason)
        }
    }
}

/// Why a pack could not be written or read.
package enum EvidencePackError: Error, CustomStringConvertible, Sendable, Equatable {
    case cannotWrite(path: String, reason: String)
    /// The file is not a zip archive (or not readable as one).
    case notAZip(path: String, reason: String)

    package var description: String {
        switch self {
        case .cannotWrite(let path, let reason): return "\(path): cannot write the evidence pack: \(reason)"
        case .notAZip(let path, let reason): return "\(path): not a readable zip archive: \(reason)"
        }
    }
}
