import ArgumentParser
import Foundation
import KMSAudit

struct VerifyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify",
        abstract: "Check ingested CloudTrail log files against their digest files, offline.",
        discussion: """
            Matches every ingested log file to its digest entry by S3 object key (from AWSLogs/ on) \
            and reports tampered files (uncompressed SHA-256 differs), missing files (listed, not \
            here), unlisted files (here, in an hour digests cover, listed nowhere), a broken digest \
            chain (edited or missing digests, hour by hour), bad signatures (with --public-keys, the \
            JSON of `aws cloudtrail list-public-keys`) and coverage gaps. A digest's own signature is \
            S3 metadata: the next digest carries it, so all but the newest digest verify offline; \
            give the newest ones with --signatures (or a digest-signatures.json beside AWSLogs/).
            Exit status: 0 no problem, 1 problems found, 2 usage or database error.
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: "The JSON output of `aws cloudtrail list-public-keys` (several regions: an array of them).")
    var publicKeys: String?

    @Option(help: "JSON object: digest object key -> hex signature (x-amz-meta-signature).")
    var signatures: String?

    @Option(help: "Audit window start (UTC, e.g. 2024-10-01T00:00:00Z): coverage is checked from here.")
    var start: String?

    @Option(help: "Audit window end (UTC): coverage is checked up to here.")
    var end: String?

    @Option(help: "Seconds to wait for another kmsaudit using the same database.")
    var wait: Int = 0

    func run() throws {
        guard FileManager.default.fileExists(atPath: database.db) else {
            throw UserFacingError(message: "\(database.db): no such database (run kmsaudit ingest first)")
        }
        let window = (start: try Self.canonical(start, "--start"), end: try Self.canonical(end, "--end"))
        let keys: PublicKeySet?
        do {
            keys = try publicKeys.map { try PublicKeySet.load(path: $0) }
        } catch let e as PublicKeySet.LoadError {
            throw UserFacingError(message: "--public-keys " + e.description)
        }
        var given: [String: String]?
        do {
            given = try signatures.map { try DigestSignatures.load(path: $0) }
        } catch let e as DigestSignatures.LoadError {
            throw UserFacingError(message: "--signatures " + e.description)
        }

        let lock = try DatabaseLock(databasePath: database.db, waitSeconds: wait)
        let db = try AuditDatabase(path: database.db)
        let (summary, sideFiles) = try IntegrityChecker.verify(database: db, publicKeys: keys, signatures: given,
                                                               window: window)
        withExtendedLifetime(lock) {}

        print(summary.verdict(publicKeys: keys, sideFiles: sideFiles), terminator: "")
        if !summary.isClean { throw ExitCode(1) }
    }

    static func canonical(_ text: String?, _ option: String) throws -> String? {
        guard let text else { return nil }
        guard let date = TimeFormats.parseISO8601(text) else {
            throw UserFacingError(message: "\(option): not a UTC time: \(text) (e.g. 2024-10-01T00:00:00Z)")
        }
        return TimeFormats.canonical(date)
    }
}
