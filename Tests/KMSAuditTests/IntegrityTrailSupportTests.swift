import Crypto
import _CryptoExtras
import Foundation
import GRDB
import Testing
@testable import KMSAudit

/// Builds a small real CloudTrail trail on disk the way CloudTrail writes it: gzip log files
/// under `AWSLogs/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/`, one digest per hour under
/// `CloudTrail-Digest/` holding the SHA-256 of each log file's uncompressed content and the
/// previous digest's hash and signature, signed SHA256withRSA with a key made for the test,
/// and a `list-public-keys` style file holding that key.
struct IntegrityTrail {
    static let account = "111122223333"
    static let region = "us-east-1"
    static let trailName = "kms-audit-trail"
    static let bucket = "audit-trail-bucket"
    /// The first digest covers [10:01:31, 11:01:31), the next one the following hour, and so on.
    static let firstStart = UTCClock.epoch("2024-10-21T10:01:31Z")!
    static let minutes = [10, 25, 40]

    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/integrity")

    /// One 2048-bit key for all tests (generating one takes a while).
    static let signingKey: _RSA.Signing.PrivateKey = try! _RSA.Signing.PrivateKey(keySize: .bits2048)

    static let records: [String] = {
        let text = try! String(contentsOf: fixtures.appendingPathComponent("records.json"), encoding: .utf8)
        return text.split(separator: "\n").map(String.init).filter { $0.hasPrefix("{") }
            .map { $0.hasSuffix(",") ? String($0.dropLast()) : $0 }
    }()

    let root: URL
    let hours: Int
    var logKeys: [[String]] = []       // per hour
    var digestKeys: [String] = []      // per hour
    var signatures: [String] = []      // per hour, hex
    var publicKeysPath: String { root.appendingPathComponent("public-keys.json").path }

    /// Writes the trail into a fresh temporary folder.
    init(hours: Int = 5) throws {
        self.hours = hours
        root = FileManager.default.temporaryDirectory
            .appendingPathComponent("kmsaudit-integrity-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        var previous: (key: String, hash: String, signature: String)?
        var recordIndex = 0
        for h in 0..<hours {
            let start = Self.firstStart + h * 3600
            var listed: [[String: Any]] = []
            var keys: [String] = []
            for m in Self.minutes {
                let delivered = UTCClock.hourFloor(start) + m * 60
                let chosen = (0..<3).map { Self.records[(recordIndex + $0) % Self.records.count] }
                recordIndex += 2
                let content = Array("{\"Records\":[\(chosen.joined(separator: ","))]}".utf8)
                let key = Self.logKey(delivered: delivered, unique: "h\(h)m\(m)")
                try write(content, gzipped: true, to: key)
                keys.append(key)
                listed.append([
                    "s3Bucket": Self.bucket, "s3Object": key, "hashValue": DigestHex.sha256(content),
                    "hashAlgorithm": "SHA-256",
                    "newestEventTime": UTCClock.text(delivered - 60), "oldestEventTime": UTCClock.text(delivered - 240),
                ])
            }
            logKeys.append(keys)
            let digest = try writeDigest(start: start, logFiles: listed, previous: previous)
            digestKeys.append(digest.key)
            signatures.append(digest.signature)
            previous = digest
        }
        let der = Self.signingKey.publicKey.pkcs1DERRepresentation
        let keys: [String: Any] = ["PublicKeyList": [[
            "Value": der.base64EncodedString(),
            "ValidityStartTime": "2024-10-01T00:00:00Z", "ValidityEndTime": "2024-11-01T00:00:00Z",
            "Fingerprint": Self.fingerprint(der),
        ]]]
        try JSONSerialization.data(withJSONObject: keys, options: [.sortedKeys]).write(to: URL(fileURLWithPath: publicKeysPath))
    }

    static func fingerprint(_ der: Data) -> String { DigestHex.encode(Insecure.MD5.hash(data: der)) }

    static func logKey(delivered: Int, unique: String) -> String {
        let t = UTCClock.text(delivered)
        let day = "\(t.prefix(4))/\(t.dropFirst(5).prefix(2))/\(t.dropFirst(8).prefix(2))"
        let stamp = String(UTCClock.stamp(delivered).prefix(13)) + "Z"
        let padded = (unique + "XXXXXXXXXXXXXXXX").prefix(16)
        return "AWSLogs/\(account)/CloudTrail/\(region)/\(day)/\(account)_CloudTrail_\(region)_\(stamp)_\(padded).json.gz"
    }

    static func digestKey(end: Int) -> String {
        let t = UTCClock.text(end)
        let day = "\(t.prefix(4))/\(t.dropFirst(5).prefix(2))/\(t.dropFirst(8).prefix(2))"
        return "AWSLogs/\(account)/CloudTrail-Digest/\(region)/\(day)/\(account)_CloudTrail-Digest_\(region)_\(trailName)_\(region)_\(UTCClock.stamp(end)).json.gz"
    }

    /// A digest as CloudTrail writes it; returns its key, the SHA-256 of its uncompressed content
    /// and its signature (which CloudTrail would put in S3 metadata).
    func writeDigest(start: Int, logFiles: [[String: Any]], previous: (key: String, hash: String, signature: String)?) throws -> (key: String, hash: String, signature: String) {
        let end = start + 3600
        let digestKey = Self.digestKey(end: end)
        let der = Self.signingKey.publicKey.pkcs1DERRepresentation
        let object: [String: Any] = [
            "awsAccountId": Self.account,
            "digestStartTime": UTCClock.text(start), "digestEndTime": UTCClock.text(end),
            "digestS3Bucket": Self.bucket, "digestS3Object": digestKey,
            "digestPublicKeyFingerprint": Self.fingerprint(der), "digestSignatureAlgorithm": "SHA256withRSA",
            "newestEventTime": logFiles.isEmpty ? NSNull() : logFiles.last!["newestEventTime"]!,
            "oldestEventTime": logFiles.isEmpty ? NSNull() : logFiles.first!["oldestEventTime"]!,
            "previousDigestS3Bucket": previous == nil ? NSNull() : Self.bucket,
            "previousDigestS3Object": previous?.key ?? NSNull(),
            "previousDigestHashValue": previous?.hash ?? NSNull(),
            "previousDigestHashAlgorithm": previous == nil ? NSNull() : "SHA-256",
            "previousDigestSignature": previous?.signature ?? NSNull(),
            "logFiles": logFiles,
        ]
        let content = Array(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]))
        let hash = DigestHex.sha256(content)
        let signature = try Self.sign(end: end, key: digestKey, contentHash: hash, previousSignature: previous?.signature)
        try write(content, gzipped: true, to: digestKey)
        return (digestKey, hash, signature)
    }

    static func sign(end: Int, key: String, contentHash: String, previousSignature: String?,
                     with privateKey: _RSA.Signing.PrivateKey = signingKey) throws -> String {
        let message = IntegrityChecker.stringToSign(endTime: UTCClock.text(end), bucket: bucket, s3Object: key,
                                                    contentSHA256: contentHash, previousSignature: previousSignature)
        let signature = try privateKey.signature(for: Array(message.utf8), padding: .insecurePKCS1v1_5)
        return DigestHex.encode(signature.rawRepresentation)
    }

    // MARK: Files

    func url(_ key: String) -> URL { root.appendingPathComponent(key) }

    func write(_ content: [UInt8], gzipped: Bool, to key: String) throws {
        let target = url(key)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(gzipped ? try Self.gzip(content) : content).write(to: target)
    }

    func read(_ key: String) throws -> [UInt8] { try Self.gunzip(Array(Data(contentsOf: url(key)))) }

    func delete(_ key: String) throws { try FileManager.default.removeItem(at: url(key)) }

    /// The side file `kmsaudit sample` writes: every digest's own signature.
    func writeSignatureSideFile(_ signatures: [String: String]) throws {
        try JSONSerialization.data(withJSONObject: signatures, options: [.sortedKeys, .withoutEscapingSlashes])
            .write(to: root.appendingPathComponent(DigestSignatures.sideFileName))
    }

    func remove() { try? FileManager.default.removeItem(at: root) }

    static func gzip(_ bytes: [UInt8]) throws -> [UInt8] { Array(try Gzip.compress(bytes)) }
    static func gunzip(_ bytes: [UInt8]) throws -> [UInt8] { Array(try Gzip.decompress(bytes)) }

    // MARK: Into a database

    /// Ingests the trail into a fresh database with the real ingest (`Ingestor`), then stores
    /// each digest file it recorded through `DigestParser`/`DigestStore` where ingest has not
    /// done so itself (the same call ingest makes once it is wired in).
    func ingest() throws -> AuditDatabase {
        let path = root.appendingPathComponent("audit.sqlite").path
        let database = try AuditDatabase(path: path)
        let options = IngestOptions(paths: [root.appendingPathComponent("AWSLogs").path], threads: 1)
        _ = try Ingestor(database: database, options: options, progress: ProgressLine(quiet: true), hooks: .standard).run()
        try database.queue.write { db in
            let pending = try Row.fetchAll(db, sql: """
                SELECT f.id, f.path, f.object_key, f.content_sha256 FROM files f
                WHERE f.kind = 'digest' AND f.status = 'ok'
                  AND NOT EXISTS (SELECT 1 FROM digests d WHERE d.file_id = f.id)
                """)
            for row in pending {
                let whole = try RecordReader.readWhole(path: row["path"], maxBytes: 64 << 20)
                #expect(whole.contentSHA256 == row["content_sha256"] as String?)
                let digest = try DigestParser.parse(content: whole.content, objectKey: row["object_key"])
                try DigestStore.insert(db, fileID: row["id"], digest: digest, contentSHA256: row["content_sha256"])
            }
        }
        return database
    }

    func verify(publicKeys: Bool = true, signatures: [String: String]? = nil,
                window: (start: String?, end: String?) = (nil, nil)) throws -> (IntegritySummary, AuditDatabase) {
        let database = try ingest()
        let keys = publicKeys ? try PublicKeySet.load(path: publicKeysPath) : nil
        let (summary, _) = try IntegrityChecker.verify(database: database, publicKeys: keys, signatures: signatures,
                                                       window: window)
        return (summary, database)
    }
}

extension IntegritySummary {
    func problems(_ kind: String) -> [IntegrityProblem] { problems.filter { $0.kind == kind } }
    var problemLines: String { problems.map { "\($0.kind) \($0.objectKey ?? "-"): \($0.reason)" }.joined(separator: "\n") }
}
