import Foundation
import GRDB
import Testing
import _CryptoExtras
@testable import KMSAudit

/// `verify` on a real trail (gzip logs, signed digests) built in a temp folder, untouched and
/// then with each kind of tampering.
@Suite struct IntegrityVerifyTests {
    @Test func untouchedTrailVerifiesClean() throws {
        let trail = try IntegrityTrail()
        defer { trail.remove() }
        let (s, _) = try trail.verify()
        #expect(s.isClean, "\(s.problemLines)")
        #expect(s.logFiles == .init(verified: 15, notVerifiable: 0, failed: 0))
        // Every digest but the newest is verified through the next digest's signature.
        #expect(s.digests == .init(verified: 4, notVerifiable: 1, failed: 0))
        let nv = s.notVerifiable.filter { $0.subject == "digest" }
        #expect(nv.contains { $0.objectKey == trail.digestKeys.last! && $0.reason.contains("S3 object metadata") })
        #expect(!nv.contains { $0.objectKey != trail.digestKeys.last! })

        // Without public keys the hash chain still vouches for all but the newest.
        let (noKeys, _) = try trail.verify(publicKeys: false)
        #expect(noKeys.isClean)
        #expect(noKeys.digests == .init(verified: 4, notVerifiable: 1, failed: 0))
    }

    @Test func signatureSideFileVerifiesTheNewestDigest() throws {
        let trail = try IntegrityTrail()
        defer { trail.remove() }
        try trail.writeSignatureSideFile(Dictionary(uniqueKeysWithValues: zip(trail.digestKeys, trail.signatures)))
        let (s, database) = try trail.verify()
        #expect(s.isClean, "\(s.problemLines)")
        #expect(s.digests == .init(verified: 5, notVerifiable: 0, failed: 0))
        // The integrity tables hold one row per outcome.
        try database.queue.read { db in
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM integrity_latest WHERE subject = 'log' AND kind = 'verified'") == 15)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM integrity_latest WHERE aspect = 'signature' AND status = 'verified'") == 5)
            let run = try #require(try Row.fetchOne(db, sql: "SELECT * FROM integrity_runs ORDER BY id DESC"))
            #expect(run["verified"] as Int? == 20)
            #expect(run["problems"] as Int? == 0)
        }
    }

    @Test func oneByteChangedInsideALogFileIsTampered() throws {
        let trail = try IntegrityTrail()
        defer { trail.remove() }
        let key = trail.logKeys[2][1]
        var content = try trail.read(key)
        // Change one digit of an IP address: still valid JSON, only the uncompressed hash shows it.
        let ip = Array("\"sourceIPAddress\":\"".utf8)
        let at = try #require(content.firstRange(of: ip)).upperBound
        content[at] = content[at] == UInt8(ascii: "9") ? UInt8(ascii: "8") : UInt8(ascii: "9")
        try trail.write(content, gzipped: true, to: key)

        let (s, _) = try trail.verify()
        #expect(s.problems.count == 1, "\(s.problemLines)")
        let p = try #require(s.problems("tampered").first)
        #expect(p.objectKey == key)
        #expect(p.account == IntegrityTrail.account && p.region == IntegrityTrail.region)
        #expect(p.hour == "2024-10-21T12:00:00Z")
        #expect(s.logFiles.failed == 1)
    }

    @Test func filesIngestRefusesAreStillJudged() throws {
        let trail = try IntegrityTrail()
        defer { trail.remove() }
        // A changed byte that breaks the JSON: ingest fails on it, its hash still shows the change.
        let broken = trail.logKeys[3][0]
        var content = try trail.read(broken)
        content[0] = UInt8(ascii: "[")
        try trail.write(content, gzipped: true, to: broken)
        // A truncated gzip: nothing to hash, the delivered file is not in the evidence.
        let truncated = trail.logKeys[3][2]
        let gz = try Data(contentsOf: trail.url(truncated))
        try gz.prefix(gz.count / 2).write(to: trail.url(truncated))

        let (s, database) = try trail.verify()
        let failed = try database.queue.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM files WHERE status = 'failed'")
        }
        #expect(failed == 2)
        #expect(s.problems("tampered").map(\.objectKey) == [broken], "\(s.problemLines)")
        #expect(s.problems("missing").map(\.objectKey) == [truncated], "\(s.problemLines)")
        #expect(s.problems.count == 2)
    }

    @Test func deletedLogFileIsMissing() throws {
        let trail = try IntegrityTrail()
        defer { trail.remove() }
        let key = trail.logKeys[1][0]
        try trail.delete(key)
        let (s, _) = try trail.verify()
        #expect(s.problems.count == 1, "\(s.problemLines)")
        let p = try #require(s.problems("missing").first)
        #expect(p.objectKey == key)
        #expect(p.hour == "2024-10-21T11:00:00Z")
        #expect(p.detail.contains(trail.digestKeys[1]))
    }

    @Test func addedLogFileIsUnlisted() throws {
        let trail = try IntegrityTrail()
        defer { trail.remove() }
        let delivered = UTCClock.epoch("2024-10-21T12:30:00Z")!
        let key = IntegrityTrail.logKey(delivered: delivered, unique: "planted")
        try trail.write(Array("{\"Records\":[\(IntegrityTrail.records[0])]}".utf8), gzipped: true, to: key)
        let (s, _) = try trail.verify()
        #expect(s.problems.count == 1, "\(s.problemLines)")
        let p = try #require(s.problems("unlisted").first)
        #expect(p.objectKey == key)
        #expect(p.hour == "2024-10-21T12:00:00Z")
    }

    @Test func deletedDigestBreaksTheChain() throws {
        let trail = try IntegrityTrail()
        defer { trail.remove() }
        try trail.delete(trail.digestKeys[2])
        let (s, _) = try trail.verify()
        let broken = s.problems("chain-broken")
        #expect(broken.map(\.objectKey) == [trail.digestKeys[2]], "\(s.problemLines)")
        #expect(broken[0].hour == "2024-10-21T12:00:00Z")
        #expect(broken[0].trail == IntegrityTrail.trailName)
        // Its log files are no longer covered by a digest: not verifiable, not unlisted.
        #expect(s.problems.count == 1, "\(s.problemLines)")
        #expect(s.logFiles.notVerifiable == 3)
    }

    @Test func twoConsecutiveDeletedDigestsAreBothReported() throws {
        let trail = try IntegrityTrail()
        defer { trail.remove() }
        try trail.delete(trail.digestKeys[1])
        try trail.delete(trail.digestKeys[2])
        let (s, _) = try trail.verify()
        let broken = s.problems("chain-broken")
        #expect(Set(broken.compactMap(\.objectKey)) == [trail.digestKeys[1], trail.digestKeys[2]], "\(s.problemLines)")
        #expect(Set(broken.compactMap(\.hour)) == ["2024-10-21T11:00:00Z", "2024-10-21T12:00:00Z"])
        #expect(s.problems.count == 2, "\(s.problemLines)")
    }

    @Test func editedDigestBreaksTheChain() throws {
        let trail = try IntegrityTrail()
        defer { trail.remove() }
        let key = trail.digestKeys[1]
        // Remove the record of one log file from the digest: still a well-formed digest.
        let logKey = trail.logKeys[1][1]
        var object = try #require(try JSONSerialization.jsonObject(with: Data(try trail.read(key))) as? [String: Any])
        let files = try #require(object["logFiles"] as? [[String: Any]])
        object["logFiles"] = files.filter { $0["s3Object"] as? String != logKey }
        let edited = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        try trail.write(Array(edited), gzipped: true, to: key)

        let (s, _) = try trail.verify()
        let broken = try #require(s.problems("chain-broken").first, "\(s.problemLines)")
        #expect(broken.objectKey == key)
        #expect(broken.detail.contains("content-changed"))
        #expect(broken.detail.contains(trail.digestKeys[2]))
        // Its signature (carried by the next digest) no longer matches its content either.
        #expect(s.problems("bad-signature").map(\.objectKey) == [key])
        // The log file it no longer lists is unlisted in an hour digests cover.
        #expect(s.problems("unlisted").map(\.objectKey) == [logKey])
    }

    @Test func forgedSignatureIsBadSignature() throws {
        let trail = try IntegrityTrail()
        defer { trail.remove() }
        // The newest digest's signature, as the side file gives it, made with another key.
        let forger = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let newest = trail.digestKeys.last!
        let content = try trail.read(newest)
        let forged = try IntegrityTrail.sign(end: IntegrityTrail.firstStart + 5 * 3600, key: newest,
                                             contentHash: DigestHex.sha256(content),
                                             previousSignature: trail.signatures[3], with: forger)
        var signatures = Dictionary(uniqueKeysWithValues: zip(trail.digestKeys, trail.signatures))
        signatures[newest] = forged
        try trail.writeSignatureSideFile(signatures)

        let (s, _) = try trail.verify()
        #expect(s.problems.count == 1, "\(s.problemLines)")
        let p = try #require(s.problems("bad-signature").first)
        #expect(p.objectKey == newest)
        #expect(s.digests == .init(verified: 4, notVerifiable: 0, failed: 1))

        // The genuine signature given with --signatures wins over the side file.
        let (fixed, _) = try trail.verify(signatures: [IntegrityTrail.bucket + "/" + newest: trail.signatures[4]])
        #expect(fixed.isClean, "\(fixed.problemLines)")
    }

    @Test func coverageGapsAndStoppedDelivery() throws {
        let trail = try IntegrityTrail()
        defer { trail.remove() }
        // The window opens two hours before the trail's first file and ends a day after its last.
        // The first digest names no previous one: the chain starts there, so those two hours are
        // where the trail began delivering (recorded as verified coverage, LOG-005 info), not a gap.
        let (s, database) = try trail.verify(window: ("2024-10-21T08:00:00Z", "2024-10-22T15:00:00Z"))
        #expect(s.problems("coverage-gap").isEmpty, "\(s.problemLines)")
        let stopped = s.problems("stopped-delivering")
        #expect(stopped.contains { $0.subject == "region" && $0.account == IntegrityTrail.account })
        #expect(s.problems.count == 1, "\(s.problemLines)")
        let start = try database.queue.read { db in
            try Row.fetchOne(db, sql: """
                SELECT object_key, hour, json_extract(detail, '$.began') AS began FROM integrity_latest
                WHERE aspect = 'coverage' AND kind = 'verified' AND json_extract(detail, '$.reason') = 'chain-start'
                """)
        }
        #expect(start?["object_key"] == trail.digestKeys[0])
        #expect(start?["hour"] == "2024-10-21T10:00:00Z")
    }

    /// Without its first digest, the earliest digest left names a previous one: a missing first
    /// part of the chain (LOG-004, the missing digest named) and the hours before the first file
    /// stay a coverage gap.
    @Test func aMissingFirstPartOfTheChainIsStillAGap() throws {
        let trail = try IntegrityTrail()
        defer { trail.remove() }
        try trail.delete(trail.digestKeys[0])
        let (s, _) = try trail.verify(window: ("2024-10-21T08:00:00Z", "2024-10-22T15:00:00Z"))
        let gaps = s.problems("coverage-gap")
        #expect(gaps.count == 1, "\(s.problemLines)")
        #expect(gaps.first?.hour == "2024-10-21T08:00:00Z")
        #expect(gaps.first?.detail.contains("\"hours\":2") == true)
        #expect(s.problems("chain-broken").map(\.objectKey) == [trail.digestKeys[0]], "\(s.problemLines)")
    }

    @Test func rulesReportEachProblemWithItsObjectKey() throws {
        let trail = try IntegrityTrail()
        defer { trail.remove() }
        var content = try trail.read(trail.logKeys[0][0])
        content.insert(UInt8(ascii: " "), at: content.count - 1)
        try trail.write(content, gzipped: true, to: trail.logKeys[0][0])
        try trail.delete(trail.logKeys[3][1])
        try trail.write(Array("{\"Records\":[\(IntegrityTrail.records[3])]}".utf8), gzipped: true,
                        to: IntegrityTrail.logKey(delivered: UTCClock.epoch("2024-10-21T13:20:00Z")!, unique: "added"))
        try trail.delete(trail.digestKeys[2])
        let database = try trail.ingest()

        // The rules as `check` parses and runs them, after the integrity preparation.
        var options = CheckOptions()
        options.publicKeysPath = trail.publicKeysPath
        let context = CheckContext(options: options, windowStart: "2024-10-21T08:00:00Z", windowEnd: "2024-10-21T16:00:00Z")
        // Parsed from the rule folder (RuleCatalog.builtinFiles lists the embedded ones by hand).
        let folder = TestSupport.packageRoot.appendingPathComponent("Sources/KMSAudit/Rules/Builtin")
        let rules = try (1...5).map { n -> RuleDefinition in
            let url = folder.appendingPathComponent("LOG-00\(n).sql")
            return try RuleDefinition.parse(try String(contentsOf: url, encoding: .utf8), origin: url.path)
        }
        #expect(rules.map(\.id) == ["LOG-001", "LOG-002", "LOG-003", "LOG-004", "LOG-005"])
        #expect(rules[3].severity.contains("critical when a digest signature does not verify"))
        #expect(rules[3].severity.contains("the chain is broken"))
        #expect(rules[0].remediation.contains("Object Lock"))
        #expect(rules.allSatisfy { !$0.controls.isEmpty && !$0.explanation.isEmpty })
        var found: [String: [FindingRow]] = [:]
        try database.queue.write { db in
            try IntegrityPreparation().prepare(db, context)
            for rule in rules { found[rule.id] = try CheckRunner.execute(rule, db, context) }
        }
        #expect(found["LOG-001"]?.map(\.resource) == [trail.logKeys[0][0]])
        #expect(found["LOG-001"]?.first?.severity == .critical)
        #expect(found["LOG-002"]?.map(\.resource) == [trail.logKeys[3][1]])
        #expect(found["LOG-003"]?.count == 1)
        #expect(found["LOG-004"]?.map(\.resource) == [trail.digestKeys[2]])
        #expect(found["LOG-004"]?.first?.severity == .high)
        // 08:00-10:00 before the first file, whose digest starts the chain: where the trail began
        // (info), not a gap; nothing after 15:01 until 16:00 is not "stopped".
        #expect(found["LOG-005"]?.map(\.severity) == [.info])
        #expect(found["LOG-005"]?.first?.category == "chain-start")
        #expect(found["LOG-005"]?.first?.resource == trail.digestKeys[0])
        for (id, rows) in found {
            for row in rows {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(row.evidence.utf8)) as? [String: Any], "\(id)")
                #expect(object["account"] as? String == IntegrityTrail.account, "\(id)")
                #expect(object["region"] as? String == IntegrityTrail.region, "\(id)")
                #expect(object["hour"] is String, "\(id)")
            }
        }
    }
}
