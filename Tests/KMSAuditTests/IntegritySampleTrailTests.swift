import Foundation
import GRDB
import Testing
@testable import KMSAudit

/// Evidence integrity on a trail written by `kmsaudit sample` (hashes of uncompressed content,
/// an hourly digest chain, signatures from a generated RSA key, a list-public-keys file): each
/// kind of tampering is found as its LOG rule, and the untouched trail verifies clean.
@Suite(.serialized) struct IntegritySampleTrailTests {
    /// A fresh sample trail; `tamper` edits it before ingest and check.
    func audit(_ name: String, staggered: Bool = false, tamper: (URL) throws -> Void) throws -> [Row] {
        let dir = try TestSupport.temporaryDirectory(name)
        let trail = dir.appendingPathComponent("trail")
        var sample = SampleOptions(outDir: trail.path, events: 1_500, seed: 9, days: 1)
        sample.staggeredStarts = staggered
        _ = try SampleGenerator.generate(sample)
        try tamper(trail)
        let database = try AuditDatabase(path: dir.appendingPathComponent("audit.sqlite").path)
        _ = try Ingestor(database: database, options: IngestOptions(paths: [trail.path]), progress: ProgressLine(quiet: true), hooks: .standard).run()
        var options = CheckOptions()
        options.publicKeysPath = trail.appendingPathComponent("public-keys.json").path
        _ = try CheckRunner.run(database, options)
        return try database.queue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT rule_id, severity, category, resource FROM latest_findings WHERE rule_id LIKE 'LOG-%' ORDER BY rule_id, resource
                """)
        }
    }

    /// Log files or digests of one account and region, in time order.
    func files(_ trail: URL, digests: Bool) throws -> [URL] {
        let folder = digests ? "CloudTrail-Digest" : "CloudTrail"
        let all = FileManager.default.enumerator(at: trail.appendingPathComponent("AWSLogs"), includingPropertiesForKeys: nil)!
            .compactMap { $0 as? URL }
            .filter { $0.path.contains("/\(folder)/us-east-1/") && $0.path.hasSuffix(".json.gz") }
        let account = all.map { $0.path.components(separatedBy: "/AWSLogs/")[1].split(separator: "/")[1] }.sorted().first!
        return all.filter { $0.path.contains("/\(account)/\(folder)/") }.sorted { $0.lastPathComponent < $1.lastPathComponent }
    }

    func objectKey(_ url: URL) -> String { "AWSLogs/" + url.path.components(separatedBy: "/AWSLogs/")[1] }

    func regzip(_ url: URL, _ edit: (inout [UInt8]) -> Void) throws {
        var bytes = [UInt8](try TestSupport.gunzip(url))
        edit(&bytes)
        try FileManager.default.removeItem(at: url)
        try TestSupport.gzip(Data(bytes), to: url)
    }

    @Test func untouchedTrailVerifiesClean() throws {
        #expect(try audit("clean") { _ in }.isEmpty)
    }

    /// Accounts and regions that join the organisation trail at different hours: each chain's
    /// first digest names no previous one. The hours before a join are not a coverage gap; the
    /// join is an info note, nothing above it.
    @Test func staggeredChainStartsAreNotGaps() throws {
        var firstDigests: [String] = []
        let rows = try audit("staggered", staggered: true) { trail in
            // The planted variation is real: some chains start hours after the trail does.
            let all = FileManager.default.enumerator(at: trail.appendingPathComponent("AWSLogs"), includingPropertiesForKeys: nil)!
                .compactMap { $0 as? URL }.filter { $0.path.contains("/CloudTrail-Digest/") && $0.path.hasSuffix(".json.gz") }
            var earliest: [String: URL] = [:]
            for url in all {
                let chain = url.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                    .deletingLastPathComponent().path
                if earliest[chain].map({ url.lastPathComponent < $0.lastPathComponent }) ?? true { earliest[chain] = url }
            }
            for url in earliest.values {
                let doc = try JSONSerialization.jsonObject(with: TestSupport.gunzip(url)) as! [String: Any]
                #expect(doc["previousDigestSignature"] is NSNull)
                firstDigests.append(objectKey(url))
            }
        }
        let stamps = Set(firstDigests.map { String($0.split(separator: "_").last!.prefix(11)) })
        #expect(stamps.count > 3, "chains should start at different hours: \(stamps.sorted())")
        let above = rows.filter { $0["severity"] != "info" }
        #expect(above.isEmpty, "LOG findings above info on an untouched staggered trail: \(above)")
        let starts = rows.filter { $0["rule_id"] == "LOG-005" && $0["category"] == "chain-start" }
        #expect(!starts.isEmpty)
        #expect(starts.allSatisfy { firstDigests.contains($0["resource"] as String) })
    }

    /// A digest whose listed hash for a log file was edited fails its own check (the next digest
    /// recorded its old SHA-256): LOG-004 names it, and the log file it alone lists is not
    /// verifiable rather than altered (no LOG-001).
    @Test func anEditedDigestListingIsNotALogTamper() throws {
        var target = ""
        let rows = try audit("edited-listing") { trail in
            // A digest in the middle of the chain that lists at least one log file.
            let chain = try files(trail, digests: true)
            let digest = try chain[2..<(chain.count - 1)].first {
                try TestSupport.gunzip($0).range(of: Data("\"hashValue\"".utf8)) != nil
            }!
            target = objectKey(digest)
            try regzip(digest) { bytes in
                // Change one hex digit of the first listed hashValue.
                let text = String(decoding: bytes, as: UTF8.self)
                let r = text.range(of: "\"hashValue\":\"")!
                let i = text.utf8.distance(from: text.startIndex, to: r.upperBound)
                bytes[i] = bytes[i] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
            }
        }
        #expect(rows.contains { $0["rule_id"] == "LOG-004" && $0["category"] == "chain-broken" && $0["resource"] == target })
        #expect(!rows.contains { $0["rule_id"] == "LOG-001" }, "\(rows)")
    }

    @Test func oneByteChangedInsideALogFileIsTampered() throws {
        var target = ""
        let rows = try audit("tampered") { trail in
            let log = try files(trail, digests: false)[3]
            target = objectKey(log)
            try regzip(log) { bytes in
                // Inside a value, so the file stays valid JSON and only the hash can tell.
                let i = bytes.firstIndex(of: UInt8(ascii: "T"))!
                bytes[i - 1] = bytes[i - 1] == UInt8(ascii: "1") ? UInt8(ascii: "2") : UInt8(ascii: "1")
            }
        }
        #expect(rows.contains { $0["rule_id"] == "LOG-001" && $0["severity"] == "critical" && $0["resource"] == target })
        #expect(rows.allSatisfy { $0["rule_id"] == "LOG-001" })
    }

    @Test func aDeletedLogFileIsMissing() throws {
        var target = ""
        let rows = try audit("missing") { trail in
            let log = try files(trail, digests: false)[5]
            target = objectKey(log)
            try FileManager.default.removeItem(at: log)
        }
        #expect(rows.contains { $0["rule_id"] == "LOG-002" && $0["severity"] == "high" && $0["resource"] == target })
    }

    @Test func anAddedLogFileIsUnlisted() throws {
        var target = ""
        let rows = try audit("unlisted") { trail in
            let log = try files(trail, digests: false)[4]
            let added = log.deletingLastPathComponent().appendingPathComponent(
                log.lastPathComponent.replacingOccurrences(of: ".json.gz", with: "").dropLast(16) + "ADDEDAFTERWARDS1.json.gz")
            try FileManager.default.copyItem(at: log, to: added)
            target = objectKey(added)
        }
        #expect(rows.contains { $0["rule_id"] == "LOG-003" && $0["severity"] == "high" && $0["resource"] == target })
    }

    @Test func aDeletedDigestBreaksTheChain() throws {
        var target = ""
        let rows = try audit("deleted-digest") { trail in
            let digest = try files(trail, digests: true)[6]
            target = objectKey(digest)
            try FileManager.default.removeItem(at: digest)
        }
        #expect(rows.contains { $0["rule_id"] == "LOG-004" && ($0["resource"] as String?)?.contains(String(target.suffix(24).prefix(12))) == true })
    }

    @Test func twoConsecutiveDeletedDigestsAreBothReported() throws {
        var targets: [String] = []
        let rows = try audit("two-digests") { trail in
            let digests = try files(trail, digests: true)
            for d in digests[8...9] {
                targets.append(objectKey(d))
                try FileManager.default.removeItem(at: d)
            }
        }
        let chain = rows.filter { $0["rule_id"] == "LOG-004" }.compactMap { $0["resource"] as String? }
        // Each missing hour is named by its own digest's hour stamp.
        for t in targets {
            let stamp = String(t.split(separator: "_").last!.prefix(11))  // YYYYMMDDTHH
            #expect(chain.contains { $0.contains(stamp) }, "\(t) not reported; got \(chain)")
        }
    }

    @Test func anEditedDigestBreaksTheChain() throws {
        var target = ""
        let rows = try audit("edited-digest") { trail in
            let digest = try files(trail, digests: true)[4]
            target = objectKey(digest)
            try regzip(digest) { bytes in
                // Add a space after the opening brace: same JSON, different SHA-256.
                bytes.insert(UInt8(ascii: " "), at: 1)
            }
        }
        #expect(rows.contains { $0["rule_id"] == "LOG-004" && $0["category"] == "chain-broken" && $0["resource"] == target })
    }

    @Test func aForgedSignatureIsCritical() throws {
        var target = ""
        let rows = try audit("forged") { trail in
            // The newest digest's own signature is kept in the side file (S3 metadata on disk):
            // replace it with a signature of something else.
            let url = trail.appendingPathComponent("digest-signatures.json")
            var signatures = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: String]
            let digest = try files(trail, digests: true).last!
            target = objectKey(digest)
            let key = signatures.keys.first { $0.hasSuffix(digest.lastPathComponent) }!
            var hex = Array(signatures[key]!)
            hex[10] = hex[10] == "a" ? "b" : "a"
            signatures[key] = String(hex)
            try JSONSerialization.data(withJSONObject: signatures).write(to: url)
        }
        #expect(rows.contains { $0["rule_id"] == "LOG-004" && $0["category"] == "bad-signature"
            && $0["severity"] == "critical" && $0["resource"] == target })
    }
}
