import Foundation
import GRDB

/// Digests' own signatures, which CloudTrail keeps in S3 object metadata (`x-amz-meta-signature`)
/// and a plain sync loses: a JSON object `{ "AWSLogs/.../...json.gz": "hex signature", ... }`.
/// `kmsaudit sample` writes one as `digest-signatures.json` beside the `AWSLogs/` folder; a user
/// can build one with `aws s3api head-object` and give it with `verify --signatures FILE`.
public enum DigestSignatures {
    public static let sideFileName = "digest-signatures.json"

    public struct LoadError: Error, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "\(path): \(reason)" }
    }

    public static func load(path: String) throws -> [String: String] {
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
    public static func discover(_ db: Database) throws -> (signatures: [String: String], files: [String]) {
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
    /// `kmsaudit verify` (and `check`/`audit`): runs the checks in one write transaction, using the
    /// signatures given and any `digest-signatures.json` beside the ingested `AWSLogs/` folders
    /// (the given ones win). Returns the summary and the side files read.
    public static func verify(database: AuditDatabase, publicKeys: PublicKeySet?, signatures: [String: String]?,
                              window: (start: String?, end: String?)) throws -> (IntegritySummary, [String]) {
        do {
            return try database.queue.write { db in
                let side = try DigestSignatures.discover(db)
                var all = side.signatures
                for (key, hex) in signatures ?? [:] {
                    all[DigestParser.objectKey(from: stripBucket(key))] = hex // the given ones win
                }
                let summary = try run(db, publicKeys: publicKeys,
                                      signatures: signatures == nil && side.files.isEmpty ? nil : all, window: window)
                return (summary, side.files)
            }
        } catch let error as DatabaseError {
            throw DatabaseFailure.sql(reason: error.message ?? "\(error)")
        }
    }
}
