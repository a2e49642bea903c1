import Foundation
import GRDB

/// Digests' own signatures, which CloudTrail keeps in S3 object metadata (`x-amz-meta-signature`)
/// and a plain sync loses: a JSON object `{ "AWSLogs/.../...json.gz": "hex signature", ... }`.
/// `kmsaudit sample` writes one as `digest-signatures.json` beside the `AWSLogs/` folder; a user
/// can build one with `aws s3api head-object` and give it with `verify --signatures FILE`.
package enum DigestSignatures {
    package static let sideFileName = "digest-signatures.json"

    package struct LoadError: Error, CustomStringConvertible {
        package var path: String
        package var reason: String
        package var description: String { "\(path): \(reason)" }
    }

    package static func load(path: String) throws -> [String: String] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadError(path: path, reason: "cannot read the file")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw LoadError(path: path, reason: "expected a JSON object: digest object key -> hex signature")
        }
        var out: [String: String] = [:]
        for (key, value) in object {
            guard let hex = value as? String else {
                throw LoadError(path: path, reason: "the signature of \(key) is not a string")
            }
            out[DigestParser.objectKey(from: IntegrityChecker.stripBucket(key))] = hex
        }
        return out
    }

    /// Side files next to the `AWSLogs/` folders the ingested digests came from, merged.
    /// Returns the signatures and the files read.
    package static func discover(_ db: Database) throws -> (signatures: [String: String], files: [String]) {
        var roots: Set<String> = []
        let paths = try String.fetchAll(db, sql: "SELECT path FROM files WHERE kind = 'digest'")
        for path in paths {
            if let r = path.range(of: "/AWSLogs/") { roots.insert(String(path[..<r.lowerBound])) }
        }
        var merged: [String: String] = [:]
        var files: [String] = []
        for root in roots.sorted() {
            let candidate = root + "/" + sideFileName
            guard FileManager.default.fileExists(atPath: candidate) else { continue }
            merged.merge(try load(path: candidate)) { first, _ in first }
            files.append(candidate)
        }
        return (merged, files)
    }
}

extension IntegrityChecker {
    /// `kmsaudit verify`: runs the checks in one write transaction, using the signatures given
    /// and any `digest-signatures.json` beside the ingested `AWSLogs/` folders (the given ones
    /// win). Returns the summary and the side files read.
    package static func verify(database: AuditDatabase, publicKeys: PublicKeySet?, signatures: [String: String]?,
                              window: (start: String?, end: String?)) throws -> (IntegritySummary, [String]) {
        do {
            return try database.queue.write { db in
                let (all, files) = try collectSignatures(db, given: signatures)
                return (try run(db, publicKeys: publicKeys, signatures: all, window: window), files)
            }
        } catch let error as DatabaseError {
            throw DatabaseFailure.sql(reason: error.message ?? "\(error)")
        }
    }

    /// The side files' signatures merged with the given ones (which win); nil when there are none.
    static func collectSignatures(_ db: Database, given: [String: String]?) throws -> ([String: String]?, [String]) {
        let side = try DigestSignatures.discover(db)
        guard given != nil || !side.files.isEmpty else { return (nil, []) }
        var all = side.signatures
        for (key, hex) in given ?? [:] {
            all[DigestParser.objectKey(from: stripBucket(key))] = hex
        }
        return (all, side.files)
    }
}

/// The integrity checks as a step of `kmsaudit check`/`audit`, before the LOG-00x rules read
/// `integrity_results`: `CheckRunner.preparations.append(IntegrityPreparation())`. Uses the
/// check's window and its `--public-keys` / `--signatures` files.
package struct IntegrityPreparation: RulePreparation {
    package let name = "evidence-integrity"

    package init() {}

    package func prepare(_ db: Database, _ context: CheckContext) throws {
        let keys = try context.options.publicKeysPath.map { try PublicKeySet.load(path: $0) }
        let given = try context.options.signaturesPath.map { try DigestSignatures.load(path: $0) }
        let (signatures, _) = try IntegrityChecker.collectSignatures(db, given: given)
        _ = try IntegrityChecker.run(db, publicKeys: keys, signatures: signatures,
                                     window: (context.windowStart, context.windowEnd))
    }
}
