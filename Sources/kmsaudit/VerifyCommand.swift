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
            give the newest ones with --signatures (or a digest-signatures.json beside AWSLogs/). \
            The audit window is --since/--until, as in check and audit (the old names --start/--end \
            still work).
            Exit status: 0 no problem, 1 problems found, 2 usage or database error.
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: "The JSON output of `aws cloudtrail list-public-keys` (several regions: an array of them).")
    var publicKeys: String?

    @Option(help: "JSON object: digest object key -> hex signature (x-amz-meta-signature).")
    var signatures: String?

    @Option(help: "Audit window start (ISO-8601 time or date): coverage is checked from here.")
    var since: String?

    @Option(help: "Audit window end (ISO-8601 time or date): coverage is checked up to here.")
    var until: String?

    /// The names `verify` had before `check`'s: still accepted, so old cron lines keep running.
    @Option(name: .customLong("start"), help: .hidden)
    var legacyStart: String?

    @Option(name: .customLong("end"), help: .hidden)
    var legacyEnd: String?

    @OptionGroup var locking: LockOptions

    func validate() throws {
        if since != nil && legacyStart != nil { throw ValidationError("give --since or --start (its old name), not both") }
        if until != nil && legacyEnd != nil { throw ValidationError("give --until or --end (its old name), not both") }
    }

    func run() throws {
        try AuditDatabase.requireExisting(database.db)
        let window = (start: try (since ?? legacyStart).map { try CheckArguments.time($0, since != nil ? "--since" : "--start") },
                      end: try (until ?? legacyEnd).map { try CheckArguments.time($0, until != nil ? "--until" : "--end") })
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

        let lock = try DatabaseLock(databasePath: database.db, waitSeconds: locking.wait)
        let db = try AuditDatabase(path: database.db)
        let (summary, sideFiles) = try IntegrityChecker.verify(database: db, publicKeys: keys, signatures: given,
                                                               window: window)
        withExtendedLifetime(lock) {}

        print(summary.verdict(publicKeys: keys, sideFiles: sideFiles), terminator: "")
        if !summary.isClean { throw ExitCode(1) }
    }
}
