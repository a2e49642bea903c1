import Foundation
import GRDB
import Testing
@testable import KMSAudit

@Suite struct IntegrityDigestParserTests {
    func fixture(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: IntegrityTrail.fixtures.appendingPathComponent(name)))
    }

    @Test func parsesTheRealElasticDigest() throws {
        let d = try DigestParser.parse(content: try fixture("digest-elastic-integrations.json"), objectKey: nil)
        #expect(d.account == "123456789123")
        #expect(d.startTime == "2020-09-11T18:36:49Z")
        #expect(d.endTime == "2020-09-11T19:36:49Z")
        #expect(d.endTimeText == "2020-09-11T19:36:49Z")
        #expect(d.s3Bucket == "alice-bucket")
        #expect(d.objectKey == "AWSLogs/123456789123/CloudTrail-Digest/us-west-2/2020/09/11/123456789123_CloudTrail-Digest_us-west-2_leh-ct-test_us-west-2_20200911T193649Z.json.gz")
        #expect(d.region == "us-west-2")
        #expect(d.trail == "leh-ct-test")
        #expect(d.homeRegion == "us-west-2")
        #expect(d.backfill == false)
        #expect(d.publicKeyFingerprint == "47aaa19f7eec22e9bd0b5e58cfade8cb")
        #expect(d.signatureAlgorithm == "SHA256withRSA")
        #expect(d.newestEventTime == "2020-09-11T19:26:24Z")
        #expect(d.oldestEventTime == "2020-09-11T18:32:04Z")
        #expect(d.previousS3Bucket == "alice-bucket")
        #expect(d.previousObjectKey?.hasSuffix("_20200911T183649Z.json.gz") == true)
        // As published: 63 hex digits. Kept as it is; the chain check will say it does not match.
        #expect(d.previousHash == "531914fcfa0dbacf0c9dd1475a1fdcb5dea6e85921409f3c3ec0ba39063c860")
        #expect(d.previousHashAlgorithm == "SHA-256")
        #expect(d.previousSignature?.count == 512)
        #expect(d.logFiles.count == 3)
        let first = try #require(d.logFiles.first)
        #expect(first.objectKey == "AWSLogs/123456789123/CloudTrail/us-west-2/2020/09/11/123456789123_CloudTrail_us-west-2_20200911T1930Z_l2pGqVS53QcGdAkp.json.gz")
        #expect(first.hashValue == "420784a5bbc12e9ac442451e8ec1356744fdeabf4fee0d2222508db6d448139c")
        #expect(first.hashAlgorithm == "SHA-256")
        #expect(first.newestEventTime == "2020-09-11T19:26:24Z")
        #expect(d.logFiles[2].s3Object.hasSuffix("20200911T1835Z_OPJhVNodH1gY760s.json.gz"))
    }

    @Test func parsesTheUserGuideDigests() throws {
        let one = try DigestParser.parse(content: try fixture("digest-awsdocs-example1.json"), objectKey: nil)
        #expect(one.account == "111122223333")
        #expect(one.trail == "your-trail-name")
        #expect(one.region == "us-east-2")
        #expect(one.startTime == "2015-08-17T14:01:31Z")
        #expect(one.logFiles.count == 1)
        #expect(one.logFiles[0].hashValue == "9bb6196fc6b84d6f075a56548feca262bd99ba3c2de41b618e5b6e22c1fc71f6")
        #expect(one.previousHash == "97fb791cf91ffc440d274f8190dbdd9aa09c34432aba82739df18b6d3c13df2d")

        // An hour without log files: null event times, empty list.
        let two = try DigestParser.parse(content: try fixture("digest-awsdocs-example2.json"), objectKey: nil)
        #expect(two.logFiles.isEmpty)
        #expect(two.newestEventTime == nil)
        #expect(two.oldestEventTime == nil)
        #expect(two.trail == "example-trail-name")
        #expect(two.endTime == "2015-08-20T18:01:31Z")
    }

    @Test func storesEveryField() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kmsaudit-digest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let database = try AuditDatabase(path: dir.appendingPathComponent("a.sqlite").path)
        let content = try fixture("digest-elastic-integrations.json")
        let digest = try DigestParser.parse(content: content, objectKey: nil)
        try database.queue.write { db in
            try db.execute(sql: """
                INSERT INTO files (path, object_key, kind, size, mtime_ns, status, ingested_at)
                VALUES ('/x/d.json.gz', ?, 'digest', 1, 1, 'ok', '2024-01-01T00:00:00Z')
                """, arguments: [digest.objectKey])
            let fileID = db.lastInsertedRowID
            try DigestStore.insert(db, fileID: fileID, digest: digest, contentSHA256: DigestHex.sha256(content))
            // Storing again (the file was re-read) replaces, never duplicates.
            try DigestStore.insert(db, fileID: fileID, digest: digest, contentSHA256: DigestHex.sha256(content))
        }
        try database.queue.read { db in
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM digests") == 1)
            let row = try #require(try Row.fetchOne(db, sql: "SELECT * FROM digests"))
            #expect(row["account"] as String? == "123456789123")
            #expect(row["trail"] as String? == "leh-ct-test")
            #expect(row["start_time"] as String? == "2020-09-11T18:36:49Z")
            #expect(row["end_time_text"] as String? == "2020-09-11T19:36:49Z")
            #expect(row["content_sha256"] as String? == DigestHex.sha256(content))
            #expect(row["public_key_fingerprint"] as String? == "47aaa19f7eec22e9bd0b5e58cfade8cb")
            #expect((row["previous_signature"] as String?)?.hasPrefix("10e0872f") == true)
            #expect(row["log_file_count"] as Int? == 3)
            let files = try Row.fetchAll(db, sql: "SELECT * FROM digest_log_files ORDER BY rowid")
            #expect(files.count == 3)
            #expect(files[1]["hash_value"] as String? == "4e1eb2a8b41d032cbb16e5449fc8f3eac304e7d43017a391b37c788c77336196")
            #expect((files[1]["object_key"] as String?)?.hasPrefix("AWSLogs/123456789123/CloudTrail/") == true)
        }
    }

    @Test func prefixedKeysAndOddTrailNames() throws {
        let json = """
            {"awsAccountId":"111122223333","digestStartTime":"2024-10-21T10:01:31Z","digestEndTime":"2024-10-21T11:01:31Z",
             "digestS3Bucket":"b","digestS3Object":"my/prefix/AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/2024/10/21/111122223333_CloudTrail-Digest_eu-west-1_org_trail_2_us-east-1_20241021T110131Z_backfill.json.gz",
             "digestPublicKeyFingerprint":"AB","digestSignatureAlgorithm":"SHA256withRSA","newestEventTime":null,"oldestEventTime":null,
             "previousDigestS3Bucket":null,"previousDigestS3Object":null,"previousDigestHashValue":null,
             "previousDigestHashAlgorithm":null,"previousDigestSignature":null,
             "logFiles":[{"s3Bucket":"b","s3Object":"my/prefix/AWSLogs/111122223333/CloudTrail/eu-west-1/2024/10/21/f.json.gz","hashValue":"ABCD","hashAlgorithm":"SHA-256","newestEventTime":null,"oldestEventTime":null}]}
            """
        let d = try DigestParser.parse(content: Array(json.utf8), objectKey: nil)
        #expect(d.objectKey.hasPrefix("AWSLogs/111122223333/CloudTrail-Digest/eu-west-1/"))
        #expect(d.trail == "org_trail_2")
        #expect(d.homeRegion == "us-east-1")
        #expect(d.region == "eu-west-1")
        #expect(d.backfill)
        #expect(d.previousS3Object == nil && d.previousSignature == nil)
        #expect(d.logFiles[0].objectKey == "AWSLogs/111122223333/CloudTrail/eu-west-1/2024/10/21/f.json.gz")
        #expect(d.logFiles[0].hashValue == "abcd")
        #expect(d.publicKeyFingerprint == "ab")
    }

    @Test func rejectsWhatIsNotADigest() {
        #expect(throws: DigestParseError.self) { try DigestParser.parse(content: Array("{\"Records\":[]}".utf8), objectKey: "k") }
        #expect(throws: DigestParseError.self) { try DigestParser.parse(content: Array("not json".utf8), objectKey: "k") }
        #expect(throws: DigestParseError.self) {
            try DigestParser.parse(content: Array("""
                {"awsAccountId":"1","digestStartTime":"2024-10-21T10:01:31Z","digestEndTime":"x","digestS3Object":"k"}
                """.utf8), objectKey: "k")
        }
    }

    @Test func loadsListPublicKeysOutput() throws {
        // The user guide's sample response (lower-case key, epoch-second strings, three keys:
        // two PKCS#1, one SubjectPublicKeyInfo).
        let sample = """
            {"publicKeyList": [
              {"ValidityStartTime": "1436317441.0", "ValidityEndTime": "1438909441.0",
               "Value": "MIIBCgKCAQEAn11L2YZ9h7onug2ILi1MWyHiMRsTQjfWE+pHVRLk1QjfWhirG+lpOa8NrwQ/r7Ah5bNL6HepznOU9XTDSfmmnP97mqyc7z/upfZdS/AHhYcGaz7n6Wc/RRBU6VmiPCrAUojuSk6/GjvA8iOPFsYDuBtviXarvuLPlrT9kAd4Lb+rFfR5peEgBEkhlzc5HuWO7S0y+KunqxX6jQBnXGMtxmPBPP0FylgWGNdFtks/4YSKcgqwH0YDcawP9GGGDAeCIqPWIXDLG1jOjRRzWfCmD0iJUkz8vTsn4hq/5ZxRFE7UBAUiVcGbdnDdvVfhF9C3dQiDq3k7adQIziLT0cShgQIDAQAB",
               "Fingerprint": "8eba5db5bea9b640d1c96a77256fe7f2"}]}
            """
        let set = try PublicKeySet.parse(Array(sample.utf8))
        let key = try #require(set.keys["8eba5db5bea9b640d1c96a77256fe7f2"])
        #expect(key.validityStart == "2015-07-08T01:04:01Z")
        // A real CloudTrail key loads; a signature that is not its own does not verify.
        let verdict = set.verify(signatureHex: String(repeating: "ab", count: 256), message: Array("x".utf8),
                                 fingerprint: "8EBA5DB5BEA9B640D1C96A77256FE7F2")
        #expect(verdict == .invalid("signature does not verify with key 8eba5db5bea9b640d1c96a77256fe7f2"))
        #expect(set.verify(signatureHex: "ab", message: [], fingerprint: "00") == .unknownKey("no public key with fingerprint 00"))
    }

    /// Signatures as files hold them: white space around them goes, the hex stays whole.
    @Test func signaturesLoseOnlyTheWhiteSpaceAroundThem() {
        #expect(IntegrityChecker.trimmed("3a1b\n") == "3a1b")
        #expect(IntegrityChecker.trimmed(" \t3a1b \r\n") == "3a1b")
        #expect(IntegrityChecker.trimmed("3a1b") == "3a1b")
        #expect(IntegrityChecker.trimmed("3a 1b") == "3a 1b")
        #expect(IntegrityChecker.trimmed("\n") == "")
        #expect(IntegrityChecker.trimmed("") == "")
    }
}
