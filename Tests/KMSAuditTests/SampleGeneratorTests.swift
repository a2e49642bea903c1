import Foundation
import KMSAuditConcurrency
import Testing
@testable import KMSAudit

/// Small sample trees, generated once and shared by the tests below; checked with real tools
/// (`gzip -dc`, `sha256sum`, `openssl`) and JSONSerialization.
enum SampleTrees {
    static let events = 8_000
    static let days = 2

    struct Tree {
        let dir: String
        let summary: SampleSummary
        /// The last value the progress callback reported.
        let progress: Int
    }

    static func make(_ name: String, seed: UInt64, events: Int = events, digests: Bool = true, threads: Int = 2) -> Tree {
        let dir = NSTemporaryDirectory() + "kmsaudit-sample-\(ProcessInfo.processInfo.processIdentifier)-\(name)"
        try? FileManager.default.removeItem(atPath: dir)
        var o = SampleOptions(outDir: dir, events: events, seed: seed, days: days)
        o.digests = digests
        o.threads = threads
        // Progress is reported from the worker threads: the highest count seen, under a lock.
        let last = LockedState(0)
        let summary = try! SampleGenerator.generate(o) { n in last.withLock { v, _ in v = max(v, n) } }
        return Tree(dir: dir, summary: summary, progress: last.withLock { v, _ in v })
    }

    static let a = make("a", seed: 1)
    /// Same seed on one thread: the log files must not depend on threading either.
    static let aAgain = make("a2", seed: 1, digests: false, threads: 1)
    static let b = make("b", seed: 2, digests: false)
    static let aLarger = make("a3", seed: 1, events: events + 1_500, digests: false)

    /// Every log file's path relative to the tree, sorted.
    static func logFiles(_ dir: String) -> [String] {
        let e = FileManager.default.enumerator(atPath: dir)!
        var out: [String] = []
        while let p = e.nextObject() as? String {
            if p.hasSuffix(".json.gz") && p.contains("/CloudTrail/") { out.append(p) }
        }
        return out.sorted()
    }

    static func shell(_ script: String, in dir: String) -> Data {
        let result = try! ProcessRunner.run("/bin/sh", ["-c", script], currentDirectory: URL(fileURLWithPath: dir))
        #expect(result.status == 0, "\(script) failed: \(result.stderr)")
        return result.stdoutData
    }

    /// The uncompressed content of each log file, decompressed by `gzip -dc` (one process for
    /// the whole tree; the files are separated by NUL, which JSON text never contains raw).
    static func decompressed(_ dir: String) -> [(path: String, content: Data)] {
        let files = logFiles(dir)
        let list = dir + "/.files"
        try! (files.joined(separator: "\n") + "\n").write(toFile: list, atomically: true, encoding: .utf8)
        let all = shell("while IFS= read -r f; do gzip -dc \"$f\" || exit 1; printf '\\000'; done < .files", in: dir)
        try? FileManager.default.removeItem(atPath: list)
        let parts = all.split(separator: 0, omittingEmptySubsequences: false).dropLast()
        #expect(parts.count == files.count)
        return zip(files, parts).map { ($0, Data($1)) }
    }

    static func records(_ dir: String) -> [[String: Any]] {
        decompressed(dir).flatMap { file -> [[String: Any]] in
            let doc = try! JSONSerialization.jsonObject(with: file.content) as! [String: Any]
            #expect(doc.keys.sorted() == ["Records"], "\(file.path)")
            return doc["Records"] as! [[String: Any]]
        }
    }

    static func json(_ path: String) -> Any {
        try! JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))
    }
}

@Suite struct SampleGeneratorTests {
    @Test func filesAreGzipOfCloudTrailBatchesWithCloudTrailNames() throws {
        let t = SampleTrees.a
        let files = SampleTrees.decompressed(t.dir)
        #expect(files.count == t.summary.files)
        #expect(files.count > 500)
        let name = try Regex(#"^AWSLogs/(o-[a-z0-9]{10,32})/(\d{12})/CloudTrail/([a-z]{2}-[a-z]+-\d)/(\d{4})/(\d{2})/(\d{2})/(\d{12})_CloudTrail_([a-z]{2}-[a-z]+-\d)_(\d{8})T(\d{4})Z_[A-Za-z0-9]{16}\.json\.gz$"#)
        var accounts = Set<String>(), streams = Set<String>()
        var uncompressed = 0
        for f in files {
            let m = try #require(f.path.wholeMatch(of: name), "bad name \(f.path)")
            let parts = m.output.map { $0.substring.map(String.init) ?? "" }
            #expect(parts[2] == parts[7] && parts[3] == parts[8], "account/region in name and folder differ: \(f.path)")
            #expect(parts[4] + parts[5] + parts[6] == parts[9], "date folder is not the delivery date: \(f.path)")
            accounts.insert(parts[2]); streams.insert(parts[2] + parts[3])
            uncompressed += f.content.count
            // Delivery (the name, to the minute) comes after every event in the file.
            let doc = try JSONSerialization.jsonObject(with: f.content) as! [String: Any]
            let delivered = parts[9] + parts[10]
            for r in doc["Records"] as! [[String: Any]] {
                let et = (r["eventTime"] as! String).filter(\.isNumber)
                #expect(String(et.prefix(12)) < delivered, "\(f.path): event \(et) not before delivery")
            }
        }
        #expect(accounts.count == 3)
        #expect((6...9).contains(streams.count))
        #expect(Int64(uncompressed) == t.summary.bytesUncompressed)
    }

    @Test func recordCountIsExactlyEvents() {
        let t = SampleTrees.a
        let records = SampleTrees.records(t.dir)
        #expect(records.count == SampleTrees.events)
        #expect(t.summary.records == SampleTrees.events)
        #expect(t.progress == SampleTrees.events)
        let ids = Set(records.map { $0["eventID"] as! String })
        #expect(ids.count == t.summary.distinctEventIDs)
        #expect(t.summary.distinctEventIDs == SampleTrees.events - t.summary.duplicates - t.summary.clashes)
        #expect(SampleTrees.aLarger.summary.records == SampleTrees.events + 1_500)
        #expect(throws: SampleError.self) {
            try SampleGenerator.generate(SampleOptions(outDir: NSTemporaryDirectory() + "kmsaudit-too-few", events: 100))
        }
    }

    @Test func sameSeedIsByteIdenticalAndAnotherSeedDiffers() throws {
        let a = SampleTrees.a, again = SampleTrees.aAgain, b = SampleTrees.b
        let files = SampleTrees.logFiles(a.dir)
        #expect(files == SampleTrees.logFiles(again.dir))
        for f in files {
            let x = try Data(contentsOf: URL(fileURLWithPath: a.dir + "/" + f))
            let y = try Data(contentsOf: URL(fileURLWithPath: again.dir + "/" + f))
            #expect(x == y, "\(f) differs between two runs with the same seed")
        }
        #expect(files != SampleTrees.logFiles(b.dir))
        let ea = try Data(contentsOf: URL(fileURLWithPath: a.dir + "/expected-findings.json"))
        #expect(ea == (try Data(contentsOf: URL(fileURLWithPath: again.dir + "/expected-findings.json"))))
        // The planted cases do not depend on --events.
        #expect(ea == (try Data(contentsOf: URL(fileURLWithPath: SampleTrees.aLarger.dir + "/expected-findings.json"))))
        #expect(ea != (try Data(contentsOf: URL(fileURLWithPath: b.dir + "/expected-findings.json"))))
    }

    @Test func everyIdentityTypeDuplicatesClashesAndPairsAppear() {
        let records = SampleTrees.records(SampleTrees.a.dir)
        let types = Set(records.map { (($0["userIdentity"] as? [String: Any])?["type"] as? String) ?? "(none)" })
        for t in ["IAMUser", "AssumedRole", "Root", "AWSService", "AWSAccount", "FederatedUser", "SAMLUser",
                  "WebIdentityUser", "Unknown", "(none)"] {
            #expect(types.contains(t), "no userIdentity type \(t)")
        }
        var byID: [String: [Data]] = [:]
        for r in records {
            byID[r["eventID"] as! String, default: []].append(try! JSONSerialization.data(withJSONObject: r, options: .sortedKeys))
        }
        let repeated = byID.values.filter { $0.count > 1 }
        let identical = repeated.filter { Set($0).count == 1 }.count
        let clashing = repeated.filter { Set($0).count > 1 }.count
        #expect(identical == SampleTrees.a.summary.duplicates && identical > 0)
        #expect(clashing == 2 && SampleTrees.a.summary.clashes == 2)
        // Cross-account pairs: one sharedEventID, two records, two accounts.
        var shared: [String: Set<String>] = [:]
        for r in records { if let s = r["sharedEventID"] as? String { shared[s, default: []].insert(r["recipientAccountId"] as! String) } }
        #expect(shared.values.filter { $0.count == 2 }.count >= SampleTrees.a.summary.crossAccountPairs + 2)
        // Revocations leave RDS failing; some RDS calls are refused.
        let errors = Set(records.compactMap { $0["errorCode"] as? String })
        for e in ["DisabledException", "KMSInvalidStateException", "AccessDeniedException", "AccessDenied"] {
            #expect(errors.contains(e), "no record with errorCode \(e)")
        }
        let krb = records.filter { ["kms.amazonaws.com", "rds.amazonaws.com", "backup.amazonaws.com"].contains($0["eventSource"] as! String) }
        #expect(krb.count == SampleTrees.a.summary.kmsRDSBackupRecords)
    }

    @Test func expectedFindingsCoverEveryRuleCategoryAndSeverity() throws {
        let t = SampleTrees.a
        let findings = SampleTrees.json(t.dir + "/expected-findings.json") as! [[String: Any]]
        let combos = Set(findings.map { "\($0["rule_id"]!) \($0["category"]!) \($0["severity"]!)" })
        let required = [
            "KMS-001 succeeded high", "KMS-001 denied low",
            "KMS-002 cross-account critical", "KMS-002 policy-drift critical", "KMS-002 root-user high",
            "KMS-002 root-delegation medium", "KMS-002 not-named high", "KMS-002 not-evaluable medium",
            "KMS-003 backups-off high", "KMS-003 deleted-without-final-snapshot high",
            "KMS-003 retention-below-minimum medium", "KMS-003 backups-off critical",
            "KMS-004 DisableKey critical", "KMS-004 ScheduleKeyDeletion high", "KMS-004 DisableKey medium",
            "KMS-004 ScheduleKeyDeletion medium", "KMS-004 RevokeGrant medium", "KMS-004 RetireGrant critical",
            "KMS-004 PutKeyPolicy high",
            "KMS-005 created-unencrypted high", "KMS-005 created-unencrypted low", "KMS-005 restored-unencrypted high",
            "KMS-005 replica-unencrypted high", "KMS-005 reported-unencrypted high",
            "KMS-007 other-account-key high", "KMS-007 aws-managed-key medium",
            "KMS-008 single-key low", "KMS-008 single-key medium",
            "KMS-006 rds-cannot-use high", "KMS-006 usable-outside-rds medium", "KMS-006 no-deny-outside-rds low",
            "KMS-006 grant-not-restricted low", "KMS-006 not-evaluable medium",
        ]
        for r in required { #expect(combos.contains(r), "missing \(r)") }
        let keyARN = try Regex(#"^arn:aws:kms:[a-z]{2}-[a-z]+-\d:\d{12}:key/[0-9a-f-]{36}$"#)
        let records = SampleTrees.records(t.dir)
        let ids = Set(records.map { $0["eventID"] as! String })
        for f in findings {
            let rule = f["rule_id"] as! String
            if rule == "KMS-005" {
                #expect(f["key_arn"] is NSNull, "an unencrypted database has no key")
            } else {
                #expect((f["key_arn"] as! String).wholeMatch(of: keyARN) != nil)
            }
            // The seed controls' findings about databases known from inventory rest on no event.
            if !["KMS-005", "KMS-007", "KMS-008"].contains(rule) { #expect((f["event_count"] as! Int) > 0) }
            if ["KMS-005", "KMS-007", "KMS-008"].contains(rule) { #expect(f["resource"] is String) }
            if rule == "KMS-006" { #expect(f["resource"] is NSNull, "KMS-006 is about a key, not a database") }
            #expect(!(f["note"] as! String).isEmpty)
            if f["rule_id"] as! String == "KMS-004" {
                #expect(ids.contains(f["event_id"] as! String), "revoking event not in the trail")
                #expect(f["resource"] is String)
            } else {
                #expect(f["event_id"] is NSNull)
            }
        }
        // Sorted by rule, key, principal, category.
        let keys = findings.map { "\($0["rule_id"]!)|\($0["key_arn"]!)|\(($0["principal"] as? String) ?? "")|\($0["category"]!)" }
        #expect(keys == keys.sorted())
        #expect(findings.count == t.summary.plantedFindings)
    }

    @Test func plantedEventCountsMatchTheTrail() {
        // KMS-001/002 counts are distinct calls: a re-delivered record does not count twice,
        // a cross-account pair counts once.
        let t = SampleTrees.a
        let findings = SampleTrees.json(t.dir + "/expected-findings.json") as! [[String: Any]]
        func count(_ rule: String, _ category: String, _ principalSuffix: String) -> Int? {
            findings.first { $0["rule_id"] as! String == rule && $0["category"] as! String == category
                && (($0["principal"] as? String) ?? "").hasSuffix(principalSuffix) }?["event_count"] as? Int
        }
        #expect(count("KMS-001", "succeeded", "role/DataScienceNotebook") == 5)
        #expect(count("KMS-001", "denied", "role/DataScienceNotebook") == 2)
        #expect(count("KMS-002", "not-named", "role/DataScienceNotebook") == 7)
        #expect(count("KMS-002", "cross-account", "730061529844:root") == 2)
        #expect(count("KMS-002", "root-delegation", "role/SecurityAuditor") == 7)
        #expect(count("KMS-001", "succeeded", "role/LegacyCrmExport") == 3)
        #expect(count("KMS-002", "cross-account", "555144039871:root") == 3)
    }

    @Test func inventoryAndPolicyFilesHaveTheCLIShapes() throws {
        let dir = SampleTrees.a.dir
        let fm = FileManager.default
        let policyDirs = try fm.subpathsOfDirectory(atPath: dir + "/policies").filter { $0.hasSuffix(".json") }
        #expect(policyDirs.count == 1)
        let doc = SampleTrees.json(dir + "/policies/" + policyDirs[0]) as! [String: Any]
        #expect(doc["PolicyName"] as? String == "default")
        let policy = try JSONSerialization.jsonObject(with: Data((doc["Policy"] as! String).utf8)) as! [String: Any]
        #expect((policy["Statement"] as! [Any]).count >= 4)
        let inv = dir + "/inventory/418295730612/us-east-1/"
        let clusters = (SampleTrees.json(inv + "describe-db-clusters.json") as! [String: Any])["DBClusters"] as! [[String: Any]]
        #expect(clusters.contains { $0["Engine"] as? String == "neptune" && $0["StorageEncrypted"] as? Bool == true && $0["KmsKeyId"] is String && $0["DbClusterResourceId"] is String })
        let instances = (SampleTrees.json(inv + "describe-db-instances.json") as! [String: Any])["DBInstances"] as! [[String: Any]]
        #expect(instances.contains { $0["BackupRetentionPeriod"] as? Int == 7 && $0["DbiResourceId"] is String })
        let aliases = (SampleTrees.json(inv + "list-aliases.json") as! [String: Any])["Aliases"] as! [[String: Any]]
        #expect(aliases.contains { $0["AliasName"] as? String == "alias/aws/rds" && $0["TargetKeyId"] is String })
        // Snapshot inventory with each snapshot's key, and describe-key output per key.
        let snapshots = (SampleTrees.json(inv + "describe-db-cluster-snapshots.json") as! [String: Any])["DBClusterSnapshots"] as! [[String: Any]]
        #expect(snapshots.contains { $0["DBClusterIdentifier"] as? String == "graph-prod" && $0["KmsKeyId"] is String
                                     && $0["StorageEncrypted"] as? Bool == true && $0["SnapshotCreateTime"] is String })
        let dbSnapshots = (SampleTrees.json(inv + "describe-db-snapshots.json") as! [String: Any])["DBSnapshots"] as! [[String: Any]]
        #expect(dbSnapshots.contains { $0["Encrypted"] as? Bool == true && $0["DBSnapshotIdentifier"] is String })
        let describeKeys = try fm.contentsOfDirectory(atPath: inv).filter { $0.hasPrefix("describe-key-") }
        #expect(describeKeys.count >= 5)
        let managed = describeKeys.compactMap { (SampleTrees.json(inv + $0) as! [String: Any])["KeyMetadata"] as? [String: Any] }
            .filter { $0["KeyManager"] as? String == "AWS" }
        #expect(managed.contains { ($0["Description"] as? String)?.contains("RDS") == true && $0["KeyState"] as? String == "Enabled" })
    }

    @Test func digestsChainHashesAndSignatures() throws {
        let dir = SampleTrees.a.dir
        let e = FileManager.default.enumerator(atPath: dir)!
        var digests: [String] = []
        while let p = e.nextObject() as? String { if p.contains("/CloudTrail-Digest/") && p.hasSuffix(".json.gz") { digests.append(p) } }
        #expect(digests.count == SampleTrees.a.summary.digestFiles)
        #expect(digests.count >= 6 * 24 * SampleTrees.days)
        // Hash of every log file, by sha256sum over gzip -dc.
        let sums = String(decoding: SampleTrees.shell(
            "find AWSLogs -path '*/CloudTrail/*' -name '*.json.gz' | sort | while read f; do printf '%s ' \"$f\"; gzip -dc \"$f\" | sha256sum; done", in: dir), as: UTF8.self)
        var hashOf: [String: String] = [:]
        for line in sums.split(separator: "\n") {
            let parts = line.split(separator: " ")
            hashOf[String(parts[0])] = String(parts[1])
        }
        let signatures = SampleTrees.json(dir + "/digest-signatures.json") as! [String: String]
        var listed = 0
        var byStream: [String: [(String, [String: Any])]] = [:]
        for d in digests {
            let content = SampleTrees.shell("gzip -dc '\(d)'", in: dir)
            let doc = try JSONSerialization.jsonObject(with: content) as! [String: Any]
            #expect(doc["digestS3Object"] as? String == d)
            #expect(doc["digestSignatureAlgorithm"] as? String == "SHA256withRSA")
            for f in doc["logFiles"] as! [[String: Any]] {
                #expect(hashOf[f["s3Object"] as! String] == f["hashValue"] as? String)
                listed += 1
            }
            #expect(signatures[d] != nil)
            byStream[d.components(separatedBy: "/CloudTrail-Digest/")[0] + (d.split(separator: "/")[4]), default: []].append((d, doc))
        }
        #expect(listed == SampleTrees.a.summary.files)
        // Chain: each digest names the previous one, its hash and its signature.
        var checkedSignature = false
        for (_, chain) in byStream {
            let sorted = chain.sorted { ($0.1["digestEndTime"] as! String) < ($1.1["digestEndTime"] as! String) }
            #expect(sorted[0].1["previousDigestSignature"] is NSNull)
            for i in 1..<sorted.count {
                let (prevKey, _) = sorted[i - 1]
                let doc = sorted[i].1
                #expect(doc["previousDigestS3Object"] as? String == prevKey)
                #expect(doc["previousDigestSignature"] as? String == signatures[prevKey])
                let prevHash = String(decoding: SampleTrees.shell("gzip -dc '\(prevKey)' | sha256sum", in: dir), as: UTF8.self).prefix(64)
                #expect(doc["previousDigestHashValue"] as? String == String(prevHash))
            }
            if !checkedSignature, FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") {
                checkedSignature = true
                try verifyWithOpenSSL(dir: dir, key: sorted[1].0, doc: sorted[1].1, signature: signatures[sorted[1].0]!)
            }
        }
    }

    /// Rebuilds CloudTrail's data signing string and checks the signature with openssl against
    /// the key in public-keys.json (PKCS#1 DER, as list-public-keys returns it).
    func verifyWithOpenSSL(dir: String, key: String, doc: [String: Any], signature: String) throws {
        let keys = (SampleTrees.json(dir + "/public-keys.json") as! [String: Any])["PublicKeyList"] as! [[String: Any]]
        #expect(keys[0]["Fingerprint"] as? String == doc["digestPublicKeyFingerprint"] as? String)
        let der = Data(base64Encoded: keys[0]["Value"] as! String)!
        let work = NSTemporaryDirectory() + "kmsaudit-sig-\(ProcessInfo.processInfo.processIdentifier)"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        try der.write(to: URL(fileURLWithPath: work + "/pub.der"))
        var sig = Data()
        var hex = Substring(signature)
        while !hex.isEmpty { sig.append(UInt8(hex.prefix(2), radix: 16)!); hex = hex.dropFirst(2) }
        try sig.write(to: URL(fileURLWithPath: work + "/sig.bin"))
        let contentHash = String(decoding: SampleTrees.shell("gzip -dc '\(dir)/\(key)' | sha256sum", in: dir), as: UTF8.self).prefix(64)
        let text = "\(doc["digestEndTime"] as! String)\n\(doc["digestS3Bucket"] as! String)/\(key)\n\(contentHash)\n\(doc["previousDigestSignature"] as! String)"
        try Data(text.utf8).write(to: URL(fileURLWithPath: work + "/signed.txt"))
        let out = String(decoding: SampleTrees.shell(
            "openssl rsa -RSAPublicKey_in -inform DER -in pub.der -pubout -out pub.pem 2>/dev/null && openssl dgst -sha256 -verify pub.pem -signature sig.bin signed.txt", in: work), as: UTF8.self)
        #expect(out.contains("Verified OK"))
    }
}
