import Crypto
import _CryptoExtras
import Foundation
import KMSAuditConcurrency

/// CloudTrail digest files (log file integrity validation): one per account+region per hour
/// under `CloudTrail-Digest/`, listing the log files delivered in that hour with the SHA-256
/// of their uncompressed content, chained to the previous digest by its hash and signature,
/// and signed SHA256withRSA (PKCS#1 v1.5) with a 2048-bit key generated for this run.
///
/// The signature of a digest is S3 object metadata in AWS, not part of the file; since there
/// is no S3 here, `digest-signatures.json` maps each digest's object key to it, and
/// `public-keys.json` holds the public key in `aws cloudtrail list-public-keys` shape.
enum DigestWriter {
    /// `makeWorld` builds the (deterministic) world once per worker thread: its classes are
    /// mutable, so threads share none of it, only a locked counter, the signatures and the first error.
    static func write(streams: Int, makeWorld: @escaping @Sendable () -> SampleWorld, clock: SampleClock,
                      files: [[LogFileInfo]], outDir: String, threads: Int,
                      staggered: Bool = false) throws -> Int {
        let key: _RSA.Signing.PrivateKey
        do { key = try _RSA.Signing.PrivateKey(keySize: .bits2048) } catch { throw SampleError.crypto("\(error)") }
        let der = key.publicKey.pkcs1DERRepresentation
        let fingerprint = Insecure.MD5.hash(data: der).hex

        struct Shared {
            var signatures: [String: String] = [:]
            var count = 0
            var firstError: (any Error)?
            var next = 0
        }
        let shared = LockedState(Shared())
        DispatchQueue.concurrentPerform(iterations: max(1, min(threads, streams))) { _ in
            let world = makeWorld()
            while true {
                let claimed: Int? = shared.withLock { s, _ in
                    guard s.next < streams, s.firstError == nil else { return nil }
                    s.next += 1
                    return s.next - 1
                }
                guard let i = claimed else { return }
                do {
                    let made = try writeStream(world.streams[i], files[i], clock: clock, key: key, fingerprint: fingerprint, outDir: outDir,
                                               staggered: staggered)
                    shared.withLock { s, _ in
                        for (k, v) in made { s.signatures[k] = v }
                        s.count += made.count
                    }
                } catch {
                    shared.withLock { s, _ in if s.firstError == nil { s.firstError = error } }
                }
            }
        }
        let (signatures, count, firstError) = shared.withLock { s, _ in (s.signatures, s.count, s.firstError) }
        if let firstError { throw firstError }

        let sigDoc = JSONNode.object(signatures.keys.sorted().map { ($0, .string(signatures[$0]!)) })
        try SampleFiles.write(sigDoc.render(.cli) + "\n", to: outDir + "/digest-signatures.json")
        let keys = JSONNode.object([("PublicKeyList", .array([.object([
            ("Value", .string(der.base64EncodedString())),
            ("ValidityStartTime", .string(SampleTime.cli(clock.start - 30 * 86_400))),
            ("ValidityEndTime", .string(SampleTime.cli(clock.end + 30 * 86_400))),
            ("Fingerprint", .string(fingerprint)),
        ])]))])
        try SampleFiles.write(keys.render(.cli) + "\n", to: outDir + "/public-keys.json")
        return count
    }

    /// The digests of one stream, in chain order; returns object key → hex signature.
    private static func writeStream(_ s: SampleStream, _ files: [LogFileInfo], clock: SampleClock, key: _RSA.Signing.PrivateKey,
                                    fingerprint: String, outDir: String, staggered: Bool) throws -> [(String, String)] {
        let gzip = try GzipWriter(level: 6)
        let sorted = files.sorted { $0.delivered < $1.delivered }
        let last = sorted.last?.delivered ?? clock.end
        // Each stream's hour boundary sits at its own minute and second, as AWS's do.
        var start = clock.start - 3600 + Int64(60 * (7 + 11 * s.index) + 37)
        // A stream that joined later starts its chain in the hour of its first file.
        if staggered, let first = sorted.first?.delivered {
            while start + 3600 <= first { start += 3600 }
        }
        var at = 0
        var previous: (key: String, hash: String, signature: String)?
        var out: [(String, String)] = []
        let bucket = SampleWorld.bucket
        while start <= last {
            let end = start + 3600
            var listed: [LogFileInfo] = []
            while at < sorted.count && sorted[at].delivered < end { listed.append(sorted[at]); at += 1 }
            let dir = "AWSLogs/\(SampleWorld.orgID)/\(s.account.id)/CloudTrail-Digest/\(s.region)/\(SampleTime.datePath(end))"
            let objectKey = "\(dir)/\(s.account.id)_CloudTrail-Digest_\(s.region)_\(SampleWorld.trailName)_\(SampleWorld.homeRegion)_\(SampleTime.digestStamp(end)).json.gz"
            func iso(_ t: Int64?) -> JSONNode { t.map { .string(SampleTime.iso($0)) } ?? .null }
            let doc = JSONNode.object([
                ("awsAccountId", .string(s.account.id)),
                ("digestStartTime", .string(SampleTime.iso(start))),
                ("digestEndTime", .string(SampleTime.iso(end))),
                ("digestS3Bucket", .string(bucket)),
                ("digestS3Object", .string(objectKey)),
                ("digestPublicKeyFingerprint", .string(fingerprint)),
                ("digestSignatureAlgorithm", "SHA256withRSA"),
                ("newestEventTime", iso(listed.map(\.newest).max())),
                ("oldestEventTime", iso(listed.map(\.oldest).min())),
                ("previousDigestS3Bucket", previous == nil ? .null : .string(bucket)),
                ("previousDigestS3Object", previous.map { .string($0.key) } ?? .null),
                ("previousDigestHashValue", previous.map { .string($0.hash) } ?? .null),
                ("previousDigestHashAlgorithm", previous == nil ? .null : "SHA-256"),
                ("previousDigestSignature", previous.map { .string($0.signature) } ?? .null),
                ("logFiles", .array(listed.map { f in
                    .object([
                        ("s3Bucket", .string(bucket)), ("s3Object", .string(f.key)), ("hashValue", .string(f.sha256)),
                        ("hashAlgorithm", "SHA-256"), ("newestEventTime", .string(SampleTime.iso(f.newest))),
                        ("oldestEventTime", .string(SampleTime.iso(f.oldest))),
                    ])
                })),
            ])
            let content = doc.renderBytes(.compact)
            let hash = SHA256.hash(data: content).hex
            let signature = try sign(stringToSign(endTime: SampleTime.iso(end), bucket: bucket, objectKey: objectKey,
                                                  contentHash: hash, previousSignature: previous?.signature), key)
            try SampleFiles.makeDirectories("\(outDir)/\(dir)")
            try gzip.write(content, to: "\(outDir)/\(objectKey)")
            out.append((objectKey, signature))
            previous = (objectKey, hash, signature)
            start = end
        }
        return out
    }

    /// CloudTrail's data signing string; the first digest of a chain has no previous
    /// signature and signs the text `null` in its place.
    static func stringToSign(endTime: String, bucket: String, objectKey: String, contentHash: String,
                             previousSignature: String?) -> String {
        "\(endTime)\n\(bucket)/\(objectKey)\n\(contentHash)\n\(previousSignature ?? "null")"
    }

    private static func sign(_ text: String, _ key: _RSA.Signing.PrivateKey) throws -> String {
        do {
            return try key.signature(for: Data(text.utf8), padding: .insecurePKCS1v1_5).rawRepresentation.hex
        } catch { throw SampleError.crypto("\(error)") }
    }
}
