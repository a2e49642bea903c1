import Foundation
import GRDB
import Testing
@testable import KMSAudit

/// Every kind of bad input, as a real file beside good ones: one clear line naming the file and
/// where, the file marked failed with nothing of it stored, every other file landing.
@Suite struct BadInputTests {
    static let good = TestSupport.fixture("ingest/elastic-integrations.Records.json.gz")

    /// Builds the bad file with `make` next to a good one and ingests both.
    func ingestBeside(_ name: String, limits: ReaderLimits = ReaderLimits(),
                      _ make: (URL) throws -> Void) throws -> (summary: IngestSummary, db: DatabaseQueue, bad: URL) {
        let dir = try TestSupport.temporaryDirectory(name)
        try FileManager.default.copyItem(at: Self.good, to: dir.appendingPathComponent("good.json.gz"))
        let bad = dir.appendingPathComponent(name)
        try make(bad)
        let dbPath = dir.appendingPathComponent("audit.sqlite").path
        let summary = try Ingestor(database: try AuditDatabase(path: dbPath),
                                   options: IngestOptions(paths: [dir.path], limits: limits),
                                   progress: ProgressLine(quiet: true), hooks: .standard).run()
        return (summary, try DatabaseQueue(path: dbPath), bad)
    }

    /// The bad file failed with `kind`, none of it stored, the good file complete.
    func expectFailed(_ r: (summary: IngestSummary, db: DatabaseQueue, bad: URL), kind: String) throws {
        #expect(r.summary.filesFailed == 1)
        #expect(r.summary.exitStatus == 3)
        #expect(r.summary.failures.count == 1)
        #expect(r.summary.failures.first?.hasPrefix(r.bad.standardizedFileURL.path) == true)
        let goodCount = try TestSupport.records(ofBatch: Self.good).count
        try r.db.read { db throws in
            let row = try Row.fetchOne(db, sql: "SELECT status, error_kind, error, id FROM files WHERE path = ?",
                                       arguments: [r.bad.standardizedFileURL.path])
            #expect(row?["status"] as String? == "failed")
            #expect(row?["error_kind"] as String? == kind)
            #expect((row?["error"] as String?)?.isEmpty == false)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM events WHERE file_id = ?", arguments: [row?["id"] as Int64?]) == 0)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM events") == goodCount)
            #expect(try String.fetchOne(db, sql: "SELECT status FROM files WHERE path LIKE '%/good.json.gz'") == "ok")
        }
    }

    func shell(_ script: String) throws {
        let result = try TestSupport.run("/bin/sh", ["-c", script])
        precondition(result.status == 0, "shell failed: \(result.stderr)")
    }

    @Test func truncatedGzip() throws {
        let r = try ingestBeside("truncated.json.gz") { url in
            let data = try Data(contentsOf: Self.good)
            try data.prefix(data.count / 2).write(to: url)
        }
        try expectFailed(r, kind: "gzip")
        // The stream ends early: the reader got through every compressed byte and says so.
        let size = try FileManager.default.attributesOfItem(atPath: r.bad.path)[.size] as! Int
        #expect(r.summary.failures == ["\(r.bad.standardizedFileURL.path): corrupt gzip at compressed byte \(size): truncated"])
    }

    @Test func corruptGzip() throws {
        let r = try ingestBeside("corrupt.json.gz") { url in
            var bytes = [UInt8](try Data(contentsOf: Self.good))
            for i in (bytes.count / 3)..<(bytes.count / 3 + 64) { bytes[i] ^= 0x5A }
            try Data(bytes).write(to: url)
        }
        try expectFailed(r, kind: "gzip")
    }

    @Test func notGzipButBinary() throws {
        let r = try ingestBeside("binary.json.gz") { url in
            try Data((0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 7919 &+ 13) }).write(to: url)
        }
        #expect(r.summary.filesFailed == 1)
        try r.db.read { db throws in
            let kind = try String.fetchOne(db, sql: "SELECT error_kind FROM files WHERE status = 'failed'")
            #expect(kind == "json" || kind == "utf8")
        }
    }

    @Test func notJSON() throws {
        let r = try ingestBeside("notes.json") { url in try TestSupport.write("this is not JSON\n", to: url) }
        try expectFailed(r, kind: "shape")
        #expect(r.summary.failures[0].contains("not an object or array"))
    }

    @Test func emptyFile() throws {
        let r = try ingestBeside("empty.json.gz") { url in try Data().write(to: url) }
        try expectFailed(r, kind: "empty")
    }

    @Test func emptyRecordsIsFine() throws {
        let r = try ingestBeside("none.json") { url in try TestSupport.write(#"{"Records":[]}"#, to: url) }
        #expect(r.summary.filesFailed == 0)
        try r.db.read { db throws in
            #expect(try Int.fetchOne(db, sql: "SELECT records_read FROM files WHERE path LIKE '%/none.json'") == 0)
        }
    }

    @Test func recordsNotAnArray() throws {
        let r = try ingestBeside("object.json") { url in try TestSupport.write(#"{"Records":{"eventID":"x"}}"#, to: url) }
        try expectFailed(r, kind: "shape")
        #expect(r.summary.failures[0].contains("Records"))
    }

    @Test func invalidUTF8() throws {
        let r = try ingestBeside("latin1.json") { url in
            var bytes = Array(#"{"Records":[{"eventID":"x","eventSource":"kms.amazonaws.com","userAgent":"caf"#.utf8)
            bytes += [0xE9, 0x22, 0x7D, 0x5D, 0x7D]  // é in Latin-1, then "}]}
            try Data(bytes).write(to: url)
        }
        try expectFailed(r, kind: "utf8")
        #expect(r.summary.failures[0].contains("byte 77"))
    }

    @Test func byteOrderMarkIsAccepted() throws {
        let r = try ingestBeside("bom.json") { url in
            var records = try TestSupport.records(ofBatch: Self.good)
            records = records.map { var r = $0; r["eventID"] = "bom-" + ($0["eventID"] as! String); return r }
            try Data([0xEF, 0xBB, 0xBF] + [UInt8](try TestSupport.batch(records))).write(to: url)
        }
        let goodCount = try TestSupport.records(ofBatch: Self.good).count
        #expect(r.summary.filesFailed == 0)
        #expect(r.summary.eventsStored == 2 * goodCount)
    }

    @Test func missingEventIDAndWrongTypesAreRejectedRecordsTheRestStored() throws {
        let r = try ingestBeside("mixed.json") { url in
            var records = try TestSupport.records(ofBatch: Self.good)
            records = records.map { var r = $0; r["eventID"] = "m-" + ($0["eventID"] as! String); return r }
            records[1].removeValue(forKey: "eventID")
            records[2]["eventTime"] = 1_700_000_000
            records[3]["userIdentity"] = "root"
            try TestSupport.batch(records).write(to: url)
        }
        let goodCount = try TestSupport.records(ofBatch: Self.good).count
        #expect(r.summary.filesFailed == 0)
        #expect(r.summary.recordsRejected == 3)
        #expect(r.summary.eventsStored == goodCount + goodCount - 3)
        #expect(r.summary.warnings.count == 3)
        #expect(r.summary.warnings[0].contains("record 1 at byte"))
        #expect(r.summary.warnings[0].contains("missing eventID"))
        try r.db.read { db throws in
            let rejected = try Row.fetchAll(db, sql: "SELECT record_index, reason, raw FROM rejected_records ORDER BY record_index")
            #expect(rejected.map { $0["record_index"] as Int } == [1, 2, 3])
            #expect(rejected[1]["reason"] as String == "eventTime is not a string")
            #expect(rejected[2]["reason"] as String == "userIdentity is not an object")
            // Kept verbatim: the rejected record's text is valid JSON.
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM rejected_records WHERE json_valid(raw)") == 3)
        }
    }

    @Test func oneSyntacticallyBrokenRecordRejectsTheWholeFile() throws {
        let r = try ingestBeside("broken-record.json") { url in
            let text = String(decoding: try TestSupport.batch(try TestSupport.records(ofBatch: Self.good)), as: UTF8.self)
            // Break the JSON inside the third record.
            var parts = text.components(separatedBy: "\"eventName\"")
            parts[3] = "\"eventName\" \"no colon\"" + parts[3].drop(while: { $0 != "," })
            try TestSupport.write(parts.joined(separator: "\"eventName\""), to: url)
        }
        try expectFailed(r, kind: "json")
    }

    @Test func fiftyMegabyteStringIsRefusedWithinLimits() throws {
        let r = try ingestBeside("huge-string.json.gz") { url in
            try shell("""
                { printf '{"Records":[{"eventID":"x","eventSource":"kms.amazonaws.com","userAgent":"'; \
                  head -c 52428800 /dev/zero | tr '\\0' a; printf '"}]}'; } | gzip -1 > '\(url.path)'
                """)
        }
        try expectFailed(r, kind: "record-too-large")
        #expect(r.summary.failures[0].contains("record 0"))
    }

    @Test func nestingHundredThousandDeep() throws {
        let r = try ingestBeside("deep.json") { url in
            try shell("""
                { printf '{"Records":[{"eventID":"x","a":'; head -c 100000 /dev/zero | tr '\\0' '['; \
                  head -c 100000 /dev/zero | tr '\\0' ']'; printf '}]}'; } > '\(url.path)'
                """)
        }
        try expectFailed(r, kind: "too-deep")
    }

    // The gzip bomb: ReadingLimitsTests.gzipBombStopsAtTheLimit (reader and ingest).

    @Test func theBinaryReportsOneLinePerFailedFileAndExitsThree() throws {
        let dir = try TestSupport.temporaryDirectory()
        try FileManager.default.copyItem(at: Self.good, to: dir.appendingPathComponent("good.json.gz"))
        try TestSupport.write("nope", to: dir.appendingPathComponent("bad1.json"))
        try Data([0x1F, 0x8B, 0x08, 0x00]).write(to: dir.appendingPathComponent("bad2.json.gz"))
        try TestSupport.write("ignored", to: dir.appendingPathComponent("README.txt"))
        let db = dir.appendingPathComponent("audit.sqlite").path
        let result = try TestSupport.kmsaudit(["ingest", dir.path, "--db", db, "--quiet"])
        #expect(result.status == 3)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.contains { $0.contains("bad1.json") && $0.contains("not a CloudTrail file") })
        #expect(lines.contains { $0.contains("bad2.json.gz") && $0.contains("gzip") })
        #expect(result.stdout.contains("1 skipped"))
        #expect(result.stdout.contains("2 failed"))

        // JSON summary, and exit 0 when everything is fine.
        let clean = try TestSupport.temporaryDirectory()
        try FileManager.default.copyItem(at: Self.good, to: clean.appendingPathComponent("good.json.gz"))
        let ok = try TestSupport.kmsaudit(["ingest", clean.path, "--db", clean.appendingPathComponent("a.sqlite").path, "--json"])
        #expect(ok.status == 0)
        let json = try JSONSerialization.jsonObject(with: ok.stdoutData) as? [String: Any]
        #expect(json?["filesRead"] as? Int == 1)

        // Usage errors exit 2.
        #expect(try TestSupport.kmsaudit(["ingest"]).status == 2)
        #expect(try TestSupport.kmsaudit(["ingest", clean.path, "--max-inflated-size", "lots"]).status == 2)
        #expect(try TestSupport.kmsaudit(["ingest", "/no/such/path", "--db", clean.appendingPathComponent("b.sqlite").path]).status == 2)
    }

    /// Policy and inventory files that are not what their top-level member says: each refused
    /// with a line naming the file, the command's output it claims to be and the problem; a
    /// good inventory file and the trail beside them still land.
    @Test func documentsThatAreNotWhatTheyClaim() throws {
        let dir = try TestSupport.temporaryDirectory("bad-documents")
        try FileManager.default.copyItem(at: Self.good, to: dir.appendingPathComponent("good.json.gz"))
        let inv = dir.appendingPathComponent("inventory/111122223333/us-east-1")
        try FileManager.default.createDirectory(at: inv, withIntermediateDirectories: true)
        let bad: [(String, String, String)] = [
            ("describe-db-clusters.json", #"{"DBClusters": {"DBClusterIdentifier": "a"}}"#,
             "not valid aws rds describe-db-clusters output: DBClusters is not an array"),
            ("describe-db-snapshots.json", #"{"DBSnapshots": [{"DBSnapshotIdentifier": "s1"}, {"Encrypted": true}]}"#,
             "not valid aws rds describe-db-snapshots output: DBSnapshots[1] has no DBSnapshotIdentifier"),
            ("describe-key-1234.json", #"{"KeyMetadata": {"KeyId": "1234", "KeyManager": "AWS"}}"#,
             "not valid aws kms describe-key output: KeyMetadata has no key Arn"),
            ("policy.json", #"{"Policy": "{\"Version\": \"2012-10-17\", \"Statement\": [", "PolicyName": "default"}"#,
             "not valid aws kms get-key-policy output: Policy is not JSON"),
        ]
        for (name, text, _) in bad { try TestSupport.write(text, to: inv.appendingPathComponent(name)) }
        let goodKey = #"{"KeyMetadata": {"Arn": "arn:aws:kms:us-east-1:111122223333:key/5678", "KeyManager": "CUSTOMER", "KeyState": "Disabled"}}"#
        try TestSupport.write(goodKey, to: inv.appendingPathComponent("describe-key-5678.json"))
        let dbPath = dir.appendingPathComponent("audit.sqlite").path
        let summary = try Ingestor(database: try AuditDatabase(path: dbPath), options: IngestOptions(paths: [dir.path]),
                                   progress: ProgressLine(quiet: true), hooks: .standard).run()
        #expect(summary.filesFailed == bad.count)
        for (name, _, message) in bad {
            let path = inv.appendingPathComponent(name).standardizedFileURL.path
            let line = summary.failures.first { $0.hasPrefix(path + ":") }
            #expect(line?.contains(message) == true, "\(name): \(line ?? "no failure")")
        }
        let db = try DatabaseQueue(path: dbPath)
        try db.read { db throws in
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM files WHERE status = 'failed' AND error_kind = 'document'") == bad.count)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM documents") == 1)
            #expect(try String.fetchOne(db, sql: "SELECT status FROM files WHERE path LIKE '%/good.json.gz'") == "ok")
        }
        // The rest of the run goes on: check builds state from what landed.
        _ = try CheckRunner.run(try AuditDatabase(path: dbPath), CheckOptions())
        try db.read { db throws in
            let row = try Row.fetchOne(db, sql: "SELECT key_manager, key_state FROM keys WHERE key_arn = 'arn:aws:kms:us-east-1:111122223333:key/5678'")
            #expect(row?["key_manager"] as String? == "CUSTOMER")
            #expect(row?["key_state"] as String? == "Disabled")
        }
    }
}
