import Foundation
import Testing
@testable import KMSAudit

@Suite struct ConfigTests {
    @Test func theDocumentedExampleParses() throws {
        let config = try AuditConfig.load(path: TestSupport.packageRoot.appendingPathComponent("docs/kmsaudit.example.yaml").path)
        #expect(config.databaseKeys == ["arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"])
        #expect(config.allowedPrincipals.values.first == ["arn:aws:iam::111122223333:role/BreakGlassDBA"])
        #expect(config.minBackupRetentionDays == 7)
        #expect(config.windowStart == "2026-11-01T00:00:00Z")
        #expect(config.windowEnd == "2026-11-08T00:00:00Z")
        #expect(config.suppressions.count == 2)
        #expect(config.suppressions[0].expires == "2027-01-31T23:59:59Z")
        #expect(config.suppressions[1].expires == nil)
        #expect(config.sha256?.count == 64)
    }

    func error(_ yaml: String) -> ConfigError? {
        do { _ = try AuditConfig.parse(yaml, file: "c.yaml"); return nil } catch let e as ConfigError { return e } catch { return nil }
    }

    @Test func errorsNameTheLine() {
        #expect(error("min_backup_retention_days: 7\nmax_snapshot_age: 3\n") == ConfigError(
            file: "c.yaml", line: 2,
            reason: "unknown setting `max_snapshot_age` (expected one of allowed_principals, database_keys, max_snapshot_age_days, min_backup_retention_days, suppressions, window)"))
        let missingReason = error("suppressions:\n  - rule: KMS-001\n    key: arn:aws:kms:us-east-1:1:key/x\n")
        #expect(missingReason?.line == 2)
        #expect(missingReason?.reason.contains("`reason` is required") == true)
        #expect(error("min_backup_retention_days: lots\n")?.line == 1)
        #expect(error("database_keys:\n  - alias/foo\n")?.line == 2)
        #expect(error("window:\n  since: yesterday\n")?.reason.contains("window.since") == true)
        #expect(error("suppressions:\n  - rule: KMS-001\n    reason: x\n")?.reason.contains("at least one of") == true)
        let syntax = error("suppressions:\n  - rule: [KMS-001\n")
        #expect(syntax?.line != nil)
        #expect(syntax?.reason.hasPrefix("not valid YAML") == true)
    }

    @Test func anEmptyFileMeansDefaults() throws {
        let config = try AuditConfig.parse("", file: "empty.yaml")
        #expect(config == AuditConfig())
    }

    @Test func suppressionsMatchEveryGivenField() {
        let s = AuditConfig.Suppression(rule: "KMS-002", key: "k", principal: "p", resource: nil, fingerprint: nil,
                                        reason: "r", expires: nil, line: 1)
        let row = FindingRow(severity: .high, category: "not-named", keyARN: "k", principal: "p", resource: nil,
                             firstSeen: nil, lastSeen: nil, eventCount: 1, evidence: "{}", eventIDs: [], identity: nil)
        #expect(Suppressions.match([s], rule: "KMS-002", row: row, fingerprint: "abc") != nil)
        #expect(Suppressions.match([s], rule: "KMS-001", row: row, fingerprint: "abc") == nil)
        var other = row
        other.principal = "q"
        #expect(Suppressions.match([s], rule: "KMS-002", row: other, fingerprint: "abc") == nil)
    }
}
