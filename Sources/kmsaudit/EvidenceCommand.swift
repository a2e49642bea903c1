import ArgumentParser
import Foundation
import KMSAudit

/// `kmsaudit evidence --out FILE.zip` writes a pack; `kmsaudit evidence verify FILE.zip` checks one.
struct EvidenceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evidence",
        abstract: "Write or verify the evidence pack (one zip archive) of a check run.",
        subcommands: [EvidenceWriteCommand.self, EvidenceVerifyCommand.self],
        defaultSubcommand: EvidenceWriteCommand.self)
}

struct EvidenceWriteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "write",
        abstract: "Write the evidence pack of a check run (the default: `kmsaudit evidence --out FILE.zip`).",
        discussion: """
            Runs the integrity check (as `verify` does), then writes one zip archive: report.html and \
            report.pdf (headless Chromium; without it report-pdf-unavailable.txt says why), \
            findings.json, findings.csv, evidence.csv, findings.ocsf.json, findings.asff.json, \
            integrity.txt, inputs.csv (every input file with its SHA-256), config.yaml and \
            rules/*.sql as the run read them, VERSION, and MANIFEST (SHA-256 of every other member). \
            Prints the archive's path and SHA-256.
            Exit status: 0 written, 2 usage or database error, or no such run.
            """)

    @OptionGroup var database: DatabaseOptions

    @Option(help: "The zip archive to write.")
    var out: String

    @Option(name: .customLong("run"), help: "The check run to pack (default: the latest).")
    var runID: Int64?

    @Option(help: "`aws cloudtrail list-public-keys` output, to verify digest signatures.")
    var publicKeys: String?

    @Option(help: "Seconds Chromium may take to print the PDF.")
    var pdfTimeout: Int = 120

    @OptionGroup var locking: LockOptions

    func run() throws {
        guard FileManager.default.fileExists(atPath: database.db) else {
            throw UserFacingError(message: "\(database.db): no such database (run kmsaudit audit first)")
        }
        let keys = try loadPublicKeys(publicKeys)
        let lock = try DatabaseLock(databasePath: database.db, waitSeconds: locking.wait)
        let db = try AuditDatabase(path: database.db)
        let written = try writePack(db, out: out,
                                    options: EvidencePack.Options(runID: runID, publicKeys: keys,
                                                                  pdfTimeout: TimeInterval(pdfTimeout)))
        withExtendedLifetime(lock) {}
        print(written)
    }
}

struct EvidenceVerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check an evidence pack against its MANIFEST.",
        discussion: """
            Prints one line per problem (missing, extra, changed or damaged member, malformed \
            MANIFEST) naming the member, then the verdict.
            Exit status: 0 intact, 1 any mismatch, 2 not a zip archive (or unreadable).
            """)

    @Argument(help: "The evidence pack (zip).")
    var pack: String

    func run() throws {
        let result: EvidencePack.Verification
        do {
            result = try EvidencePack.verify(path: pack)
        } catch let error as EvidencePackError {
            throw UserFacingError(message: error.description, status: 2)
        }
        for problem in result.problems { print(problem) }
        if result.isIntact {
            print("evidence pack intact: \(result.intact.count) members match \(EvidencePack.manifestName)")
        } else {
            print("evidence pack NOT intact: \(result.problems.count) problem\(result.problems.count == 1 ? "" : "s")")
            throw ExitCode(1)
        }
    }
}

/// `--public-keys FILE` read, or a one-line error naming the file.
func loadPublicKeys(_ path: String?) throws -> PublicKeySet? {
    do {
        return try path.map { try PublicKeySet.load(path: $0) }
    } catch let e as PublicKeySet.LoadError {
        throw UserFacingError(message: "--public-keys " + e.description)
    }
}

/// Writes a pack and returns the lines to print (path, SHA-256, PDF note).
func writePack(_ db: AuditDatabase, out: String, options: EvidencePack.Options) throws -> String {
    let written: EvidencePack.Written
    do {
        written = try EvidencePack.write(database: db, to: out, options: options)
    } catch let error as EvidencePackError {
        throw UserFacingError(message: error.description, status: 2)
    } catch let error as ReportError {
        throw UserFacingError(message: error.description, status: 2)
    } catch let error as ReportWriteError {
        throw UserFacingError(message: error.description, status: 2)
    }
    var text = "\(written.path)\nsha256 \(written.sha256)  (\(written.members.count) members, check run \(written.runID))"
    if let why = written.pdfUnavailable { text += "\nno PDF: \(why)" }
    return text
}
