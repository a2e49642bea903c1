import Foundation
import GRDB
import Testing
@testable import KMSAudit

@Suite struct ReportModelTests {
    @Test func loadsTheLatestRunWithItsFindingsInReportOrder() throws {
        let fixture = try ReportFixture.make()
        defer { fixture.remove() }
        let model = try fixture.model()
        #expect(model.run.id == fixture.runID)
        #expect(model.previousRunID == fixture.previousRunID)
        #expect(model.findings.count == 8)
        // Rule, then severity highest first.
        #expect(model.findings.map(\.ruleID) == ["KMS-001", "KMS-001", "KMS-001", "KMS-002", "KMS-002", "KMS-002", "KMS-003", "KMS-004"])
        #expect(model.findings.filter { $0.ruleID == "KMS-002" }.map(\.severity) == [.critical, .high, .medium])
        #expect(model.run.rules.map(\.title) == ["Key used outside ViaService RDS", "Key used by an unintended principal",
                                                 "Encrypted database without backups", "Revoked-key exposure"])
    }

    @Test func suppressionsAndExpiry() throws {
        let fixture = try ReportFixture.make()
        defer { fixture.remove() }
        let model = try fixture.model()
        let suppressed = try #require(model.findings.first { $0.fingerprint == "f002de1e9" })
        #expect(suppressed.suppressed && !suppressed.suppressionExpired)
        #expect(suppressed.suppressionReason == "Break-glass user, reviewed in CHG-1182")
        #expect(suppressed.suppressionExpires == "2099-12-31")
        let expired = try #require(model.findings.first { $0.fingerprint == "f002e8b1" })
        #expect(!expired.suppressed && expired.suppressionExpired)
        #expect(model.suppressedFindings.map(\.fingerprint) == ["f002de1e9"])
        #expect(model.activeFindings.count == 7)
    }

    @Test func newAndResolvedSinceThePreviousRun() throws {
        let fixture = try ReportFixture.make()
        defer { fixture.remove() }
        let model = try fixture.model()
        #expect(Set(model.findings.filter(\.isNew).map(\.fingerprint))
                == ["f001de41ed", "f001ba5e", "f002c1055", "f002e8b1", "f004d15ab"])
        #expect(model.resolvedSincePrevious.map(\.fingerprint) == ["f001b0b"])
        let previous = try ReportModel.load(from: fixture.database, runID: fixture.previousRunID)
        #expect(previous.previousRunID == nil)
        #expect(previous.findings.count == 4)
    }

    @Test func evidenceEventsJoinTheStoredRecords() throws {
        let fixture = try ReportFixture.make()
        defer { fixture.remove() }
        let model = try fixture.model()
        let exposure = try #require(model.findings.first { $0.ruleID == "KMS-004" })
        #expect(exposure.eventTotal == 2)
        let stored = try #require(exposure.events.first { $0.stored })
        #expect(stored.eventName == "DisableKey")
        #expect(stored.sourceIP == "216.160.83.56")
        #expect(stored.userAgent?.hasPrefix("aws-cli/2.14.5") == true)
        #expect(exposure.events.contains { !$0.stored && $0.eventID == "ffffffff-0000-4000-8000-00000000dead" })
        let decrypt = try #require(model.findings.first { $0.fingerprint == "f001a11ce" })
        #expect(decrypt.events.first?.encryptionContext == #"{"Department":"Engineering","Project":"Alpha"}"#)
        // Evidence keeps the rule's key order.
        guard case .object(let members) = exposure.evidence else { Issue.record("evidence is not an object"); return }
        #expect(members.map(\.key).prefix(3) == ["revocation", "revoked_at", "undone"])
    }

    @Test func eventLimitCapsLoadedEventsButNotTheTotal() throws {
        let fixture = try ReportFixture.make()
        defer { fixture.remove() }
        let model = try fixture.model(eventLimit: 3)
        let crossAccount = try #require(model.findings.first { $0.fingerprint == "f002c1055" })
        #expect(crossAccount.events.count == 3)
        #expect(crossAccount.eventTotal == 7)
        #expect(try fixture.model(eventLimit: nil).findings.first { $0.fingerprint == "f002c1055" }?.events.count == 7)
    }

    @Test func ingestSummaryCountsFilesEventsAccountsAndFailures() throws {
        let fixture = try ReportFixture.make()
        defer { fixture.remove() }
        let ingest = try fixture.model().ingest
        #expect(ingest.filesTotal == 9 && ingest.filesOK == 8 && ingest.filesFailed == 1)
        #expect(ingest.events == 14)
        #expect(ingest.accounts == ["1010101010101", "111122223333", "951234567898"])
        #expect(ingest.regions == ["us-east-1", "us-west-1", "us-west-2"])
        #expect(ingest.failedFiles.first?.errorKind == "gzip")
        #expect(ingest.firstEventTime == "2014-11-04T00:52:40Z")
        // Read from the index of accounts and regions, never by scanning the events (every
        // nightly report: 7-19 s at 20M records against 1.2 s).
        let plan = try fixture.database.queue.read { db in
            try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + ReportModel.accountRegionSQL).map { $0["detail"] as String }
        }
        #expect(plan == ["SCAN events USING COVERING INDEX events_account_region"], "\(plan)")
    }

    @Test func withoutStateOrIntegrityResultsNothingIsClaimed() throws {
        let fixture = try ReportFixture.make()
        defer { fixture.remove() }
        let model = try fixture.model()
        #expect(model.policyUnknownKeys == nil && model.integrity == nil && model.coverageGaps == nil)
        #expect(model.notes.isEmpty)
    }

    @Test func policyUnknownKeysComeFromTheKeysTable() throws {
        let fixture = try ReportFixture.make()
        defer { fixture.remove() }
        try fixture.database.queue.write { db in
            try db.execute(sql: """
                INSERT INTO state_builds (built_at) VALUES ('2024-10-11T00:00:00Z');
                INSERT INTO keys (key_arn, key_id, is_database_key, policy_known)
                VALUES ('\(ReportFixture.keyUSWest2)', 'a', 1, 1), ('\(ReportFixture.keyXKS)', 'b', 1, 0),
                       ('arn:aws:kms:us-east-1:111122223333:key/not-a-database-key', 'c', 0, 0);
                """)
        }
        #expect(try fixture.model().policyUnknownKeys == [ReportFixture.keyXKS])
    }

    /// The real integrity check on the fixture: it has no digest files, so nothing verifies and
    /// no coverage can be judged; a tampered file and a coverage gap are then recorded as the
    /// checker records them (docs/SCHEMA.md "Integrity").
    @Test func integrityAndCoverageComeFromTheLatestIntegrityCheck() throws {
        let fixture = try ReportFixture.make()
        defer { fixture.remove() }
        let summary = try fixture.database.queue.write { db in
            try IntegrityChecker.run(db, publicKeys: nil, signatures: nil, window: (start: nil, end: nil))
        }
        let model = try fixture.model()
        let integrity = try #require(model.integrity)
        #expect(integrity.verified == summary.verified && integrity.verified == 0)
        #expect(integrity.notVerifiable == summary.notVerifiableCount && integrity.notVerifiable > 0)
        #expect(integrity.failed == 0 && integrity.failures.isEmpty)
        #expect(!integrity.signaturesChecked)
        #expect(model.coverageGaps == [])

        try ReportModelTests.recordTampered(fixture)
        try ReportModelTests.recordCoverageGap(fixture)
        let later = try fixture.model()
        #expect(later.coverageGaps == [ReportModel.CoverageGap(
            kind: "coverage-gap", account: "111122223333", region: "us-west-2", start: "2024-10-10T16:00:00Z",
            end: "2024-10-10T19:00:00Z", hours: 3,
            message: "3 hours from 2024-10-10T16:00:00Z with neither a log file nor a digest")])
        let tampered = try #require(later.integrity)
        #expect(tampered.failed == 1)
        #expect(tampered.failures.first?.path.hasSuffix("_a5.json.gz") == true)
        #expect(tampered.failures.first?.errorKind == "tampered")
        #expect(tampered.failures.first?.error == "SHA-256 of the content differs from the digest")
    }

    static func recordCoverageGap(_ fixture: ReportFixture) throws {
        try fixture.database.queue.write { db in
            try db.execute(sql: """
                INSERT INTO integrity_results (run_id, subject, aspect, kind, status, object_key, account, region, hour, detail)
                VALUES ((SELECT max(id) FROM integrity_runs), 'region', 'coverage', 'coverage-gap', 'not-verifiable',
                    'AWSLogs/111122223333/CloudTrail/us-west-2/2024/10/10/111122223333_CloudTrail_us-west-2_20241010T16',
                    '111122223333', 'us-west-2', '2024-10-10T16:00:00Z',
                    '{"from":"2024-10-10T16:00:00Z","to":"2024-10-10T19:00:00Z","hours":3,"message":"3 hours from 2024-10-10T16:00:00Z with neither a log file nor a digest"}')
                """)
        }
    }

    static func recordTampered(_ fixture: ReportFixture) throws {
        try fixture.database.queue.write { db in
            try db.execute(sql: """
                INSERT INTO integrity_results (run_id, subject, aspect, kind, status, object_key, file_id, account, region, hour, detail)
                SELECT (SELECT max(id) FROM integrity_runs), 'log', 'hash', 'tampered', 'failed', object_key, id, account,
                       region, '2022-11-24T00:00:00Z', '{"message":"SHA-256 of the content differs from the digest"}'
                FROM files WHERE path LIKE '%_a5.json.gz';
                UPDATE integrity_runs SET failed = failed + 1 WHERE id = (SELECT max(id) FROM integrity_runs);
                """)
        }
    }

    @Test func anOptionalTableInAnotherShapeBecomesANote() throws {
        let fixture = try ReportFixture.make()
        defer { fixture.remove() }
        try fixture.database.queue.write { db in
            // A database from another tool (or edited by hand) whose `keys` has another shape.
            try db.execute(sql: "DROP TABLE keys; CREATE TABLE keys (arn TEXT, known INTEGER)")
        }
        let model = try fixture.model()
        #expect(model.policyUnknownKeys == nil)
        #expect(model.notes.contains { $0.contains("keys") && $0.contains("policy_known") })
    }

    @Test func noRunAndUnknownRunAreTypedErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kmsaudit-empty-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let empty = try AuditDatabase(path: dir.appendingPathComponent("audit.sqlite").path)
        #expect(throws: ReportError.noRun) { try ReportModel.load(from: empty, runID: nil) }
        let fixture = try ReportFixture.make()
        defer { fixture.remove() }
        #expect(throws: ReportError.runNotFound(999)) { try ReportModel.load(from: fixture.database, runID: 999) }
    }

    @Test func jsonNodeKeepsOrderAndEscapes() throws {
        let node = ReportJSON.parse(#"{"z":1,"a":[true,null,2.5,"x\ny"],"m":{"k":"\u0001\"<"}}"#)
        let text = try #require(node).serialized(indent: nil)
        #expect(text == #"{"z":1,"a":[true,null,2.5,"x\ny"],"m":{"k":"\u0001\"<"}}"#)
        #expect(ReportJSON.parse("not json") == nil)
    }
}
