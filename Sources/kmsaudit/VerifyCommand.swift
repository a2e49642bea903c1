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
        try AuditDatabase.requireExisting(database.db)
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

        print(Self.render(summary, publicKeys: keys, sideFiles: sideFiles), terminator: "")
        if !summary.isClean { throw ExitCode(1) }
    }

    static func canonical(_ text: String?, _ option: String) throws -> String? {
        guard let text else { return nil }
        guard let date = TimeFormats.parseISO8601(text) else {
            throw UserFacingError(message: "\(option): not a UTC time: \(text) (e.g. 2024-10-01T00:00:00Z)")
        }
        return TimeFormats.canonical(date)
    }

    static func render(_ s: IntegritySummary, publicKeys: PublicKeySet?, sideFiles: [String]) -> String {
        func counts(_ c: IntegritySummary.Counts) -> String {
            "\(c.verified) verified, \(c.notVerifiable) not verifiable, \(c.failed) failed"
        }
        var out = "log files: \(s.logFiles.total) (\(counts(s.logFiles)))\n"
        out += "digests:   \(s.digests.total) (\(counts(s.digests)))\n"
        if let publicKeys {
            out += "signatures: checked with \(publicKeys.keys.count) public key\(publicKeys.keys.count == 1 ? "" : "s")"
            out += sideFiles.isEmpty ? "\n" : " and \(sideFiles.joined(separator: ", "))\n"
        } else {
            out += "signatures: not checked (no --public-keys): digests verified by the hash chain only\n"
        }
        for p in s.problems {
            out += "\(p.kind.uppercased()) \(p.objectKey ?? "-")"
            if let hour = p.hour { out += " [\(p.account ?? "?") \(p.region ?? "?") \(hour)]" }
            out += ": \(p.reason)\n"
        }
        // One line per digest that could not be verified, with its reasons.
        var order: [String] = []
        var reasons: [String: [String]] = [:]
        for p in s.notVerifiable where p.subject == "digest" {
            let key = p.objectKey ?? "-"
            if reasons[key] == nil { order.append(key) }
            reasons[key, default: []].append(p.reason)
        }
        for key in order.prefix(20) {
            out += "not verifiable: \(key): \(reasons[key]!.joined(separator: "; "))\n"
        }
        if order.count > 20 { out += "not verifiable: \(order.count - 20) more digests\n" }
        let logsNV = s.notVerifiable.filter { $0.subject == "log" }
        if !logsNV.isEmpty {
            out += "not verifiable: \(logsNV.count) log file\(logsNV.count == 1 ? "" : "s") no digest covers"
            out += logsNV.count <= 5 ? ": " + logsNV.compactMap(\.objectKey).joined(separator: ", ") + "\n" : "\n"
        }
        out += s.isClean ? "integrity: clean\n" : "integrity: \(s.problems.count) problem\(s.problems.count == 1 ? "" : "s")\n"
        return out
    }
}
