import Foundation
import Testing
@testable import KMSAudit

@Suite struct ConfigTests {
    @Test func theDocumentedExampleParses() throws {
        let config = try AuditConfig.load(path: TestSupport.packageRoot.appendingPathComponent("docs/kmsaudit.example.yaml").path)
        #expect(config.databaseKeys == ["arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"])
        #expect(config.allowedPrincipals.values.first == ["arn:aws:iam::111122223333:role/BreakGlassDBA"])
        #expect(config.databasePrincipals == ["arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab":
                                                ["arn:aws:iam::111122223333:role/NeptuneFullAccess"]])
        #expect(config.minBackupRetentionDays == 7)
        #expect(config.windowStart == "2026-11-01T00:00:00Z")
        #expect(config.windowEnd == "2026-11-08T00:00:00Z")
        #expect(config.suppressions.count == 2)
        #expect(config.suppressions[0].expires == "2027-01-31T23:59:59Z")
        #expect(config.suppressions[1].expires == nil)
        #expect(config.sha256?.count == 64)
        #expect(config.trustedKeyAccounts == ["444455556666"])
        #expect(config.allowAWSManagedKeys == false)
        #expect(config.maxIndependentCopyAgeDays == 35)
    }

    @Test func seedControlSettings() throws {
        let config = try AuditConfig.parse("""
            trusted_key_accounts:
              - 111122223333
              - "012345678901"
            allow_aws_managed_keys: true
            max_independent_copy_age_days: 90
            """, file: "c.yaml")
        #expect(config.trustedKeyAccounts == ["111122223333", "012345678901"])
        #expect(config.allowAWSManagedKeys)
        #expect(config.maxIndependentCopyAgeDays == 90)
        #expect(AuditConfig().maxIndependentCopyAgeDays == 35)
        #expect(AuditConfig().allowAWSManagedKeys == false)

        #expect(error("trusted_key_accounts:\n  - 111122223333\n  - 12345\n") == ConfigError(
            file: "c.yaml", line: 3, reason: "trusted_key_accounts: `12345` is not a 12-digit AWS account id"))
        #expect(error("trusted_key_accounts:\n  - arn:aws:iam::111122223333:root\n")?.line == 2)
        #expect(error("trusted_key_accounts: 111122223333\n")?.reason == "trusted_key_accounts: expected a list of 12-digit account ids")
        #expect(error("max_snapshot_age_days: 7\nallow_aws_managed_keys: yes please\n") == ConfigError(
            file: "c.yaml", line: 2, reason: "allow_aws_managed_keys: expected true or false"))
        #expect(error("max_independent_copy_age_days: 3651\n") == ConfigError(
            file: "c.yaml", line: 1, reason: "max_independent_copy_age_days: expected a whole number from 0 to 3650"))
        #expect(error("max_independent_copy_age_days: -1\n")?.line == 1)
    }

    func error(_ yaml: String) -> ConfigError? {
        do { _ = try AuditConfig.parse(yaml, file: "c.yaml"); return nil } catch let e as ConfigError { return e } catch { return nil }
    }

    @Test func errorsNameTheLine() {
        #expect(error("min_backup_retention_days: 7\nmax_snapshot_age: 3\n") == ConfigError(
            file: "c.yaml", line: 2,
            reason: "unknown setting `max_snapshot_age` (expected one of allow_aws_managed_keys, allowed_principals, database_keys, database_principals, max_independent_copy_age_days, max_snapshot_age_days, min_backup_retention_days, suppressions, trusted_key_accounts, window)"))
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

    @Test func databasePrincipalsAreAMapOfKeyToPrincipalsWithLineNumberedErrors() throws {
        let config = try AuditConfig.parse("""
            database_principals:
              arn:aws:kms:eu-west-1:111122223333:key/k1:
                - arn:aws:iam::111122223333:role/NeptuneFullAccess
                - arn:aws:iam::111122223333:role/DBAdmin
              arn:aws:kms:eu-west-1:111122223333:key/k2: arn:aws:iam::111122223333:role/Reporting
            """, file: "c.yaml")
        #expect(config.databasePrincipals == [
            "arn:aws:kms:eu-west-1:111122223333:key/k1": ["arn:aws:iam::111122223333:role/NeptuneFullAccess",
                                                          "arn:aws:iam::111122223333:role/DBAdmin"],
            "arn:aws:kms:eu-west-1:111122223333:key/k2": ["arn:aws:iam::111122223333:role/Reporting"],
        ])
        #expect(error("database_principals:\n  - arn:aws:iam::1:role/x\n") == ConfigError(
            file: "c.yaml", line: 2, reason: "database_principals: expected a mapping of key ARN to a list of principals"))
        #expect(error("min_backup_retention_days: 7\ndatabase_principals:\n  alias/db:\n    - arn:aws:iam::1:role/x\n") == ConfigError(
            file: "c.yaml", line: 3, reason: "`alias/db` is not a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)"))
        let nested = error("database_principals:\n  arn:aws:kms:eu-west-1:1:key/k:\n    - {role: x}\n")
        #expect(nested?.line == 3)
        #expect(nested?.reason == "database_principals.arn:aws:kms:eu-west-1:1:key/k: expected text")
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

@Suite struct TimeFormatTests {
    @Test func awsConsoleTimes() {
        #expect(TimeFormats.parseAWSConsoleTime("Oct 10, 2024 3:18:55 PM").map(TimeFormats.canonical) == "2024-10-10T15:18:55Z")
        #expect(TimeFormats.parseAWSConsoleTime("Oct 21, 2024, 2:25:29 PM").map(TimeFormats.canonical) == "2024-10-21T14:25:29Z")
        #expect(TimeFormats.parseAWSConsoleTime("Apr 12, 2021 18:58:30 PM").map(TimeFormats.canonical) == "2021-04-12T18:58:30Z")
        #expect(TimeFormats.parseAWSConsoleTime("Jan 1, 2024 12:00:01 AM").map(TimeFormats.canonical) == "2024-01-01T00:00:01Z")
        #expect(TimeFormats.parseAWSConsoleTime("not a time") == nil)
    }

    @Test func lenientEventTimes() {
        #expect(TimeFormats.parseLenient("2022-09-24 00:38:26").map(TimeFormats.canonical) == "2022-09-24T00:38:26Z")
        #expect(TimeFormats.parseLenient("2025-03-05T21:19:44.000000000Z").map(TimeFormats.canonical) == "2025-03-05T21:19:44Z")
        #expect(TimeFormats.parseLenient("2025-03-05T23:19:44+02:00").map(TimeFormats.canonical) == "2025-03-05T21:19:44Z")
        #expect(TimeFormats.parseLenient("2025-13-05T23:19:44Z") == nil)
        #expect(TimeFormats.parseLenient("yesterday") == nil)
    }
}
