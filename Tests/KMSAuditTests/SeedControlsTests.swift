import Foundation
import GRDB
import Testing
@testable import KMSAudit

/// KMS-005, KMS-007 and KMS-008 over real RDS records (Fixtures/state) edited into one story,
/// ingested and checked by the real engine; and the state they read (which record settled a
/// resource's encryption, what a restore or replica inherits, pending values, the state at the
/// window's end). docs/rules/DECISIONS.md #22, #30, #31, #33 shape the cases.
@Suite struct SeedControlsTests {
    static let account = "951234567898"
    static let region = "us-west-1"
    static let ownKey = "arn:aws:kms:us-west-1:951234567898:key/11111111-2222-3333-4444-555555555555"
    static let foreignKey = "arn:aws:kms:us-west-1:444455556666:key/66666666-7777-8888-9999-000000000000"
    static let neptuneKey = "arn:aws:kms:us-west-1:951234567898:key/9a3d8016-4cdb-478f-a3a4-9a310fc25307"
    static func arn(_ id: String, cluster: Bool = false) -> String {
        "arn:aws:rds:\(region):\(account):\(cluster ? "cluster" : "db"):\(id)"
    }

    /// An encrypted instance under `key` with `retention`, stated in request and response.
    static func encrypted(_ id: String, at time: String, key: String?, retention: Int) throws -> Real {
        try StateBuilderTests.instance(id, at: time, [
            "requestParameters.storageEncrypted": true, "responseElements.storageEncrypted": true,
            "requestParameters.kmsKeyId": key, "responseElements.kmsKeyId": key ?? neptuneKey,
            "requestParameters.backupRetentionPeriod": retention, "responseElements.backupRetentionPeriod": retention,
        ])
    }

    /// A ModifyDBInstance (the create record renamed) whose response shows `current` and, when
    /// given, a pending `backupRetentionPeriod`.
    static func modify(_ id: String, at time: String, current: Int, pending: Int?) throws -> Real {
        try StateBuilderTests.instance(id, at: time, [
            "eventName": "ModifyDBInstance", "eventID": "state-modify-\(id)-\(time)",
            "requestParameters": ["dBInstanceIdentifier": id, "backupRetentionPeriod": pending ?? current,
                                  "applyImmediately": false] as [String: Any],
            "responseElements.backupRetentionPeriod": current, "responseElements.storageEncrypted": true,
            "responseElements.kmsKeyId": ownKey,
            "responseElements.pendingModifiedValues": (pending.map { ["backupRetentionPeriod": $0] } ?? [:]) as [String: Any],
        ])
    }

    static func delete(_ id: String, at time: String) throws -> Real {
        try StateBuilderTests.instance(id, at: time, [
            "eventName": "DeleteDBInstance", "eventID": "state-delete-\(id)",
            "requestParameters": ["dBInstanceIdentifier": id, "skipFinalSnapshot": true] as [String: Any],
            "responseElements": nil,
        ])
    }

    func story() throws -> StateScenario {
        let s = try StateScenario()
        // Created without storageEncrypted anywhere: the API's default, unencrypted.
        let plain = try StateBuilderTests.instance("plain-default", at: "2024-01-01T00:00:00Z", [
            "responseElements.storageEncrypted": nil,
        ])
        // A read replica of it that states nothing: the source's encryption.
        let replica = try StateBuilderTests.instance("plain-replica", at: "2024-01-03T00:00:00Z", [
            "eventName": "CreateDBInstanceReadReplica",
            "requestParameters": ["dBInstanceIdentifier": "plain-replica", "sourceDBInstanceIdentifier": "plain-default"] as [String: Any],
            "responseElements.storageEncrypted": nil,
        ])
        // Encrypted, backups off, a pending retention of 7 never applied, deleted after the
        // window's end; and a modify to 7 after the window's end.
        let zero = try Self.encrypted("enc-zero", at: "2024-01-02T00:00:00Z", key: Self.ownKey, retention: 0)
        let pending = try Self.modify("enc-zero", at: "2024-01-10T00:00:00Z", current: 0, pending: 7)
        let later = try Self.modify("enc-zero", at: "2024-02-15T00:00:00Z", current: 7, pending: nil)
        let gone = try Self.delete("enc-zero", at: "2024-03-01T00:00:00Z")
        // Under another account's key; under the AWS managed key (no kmsKeyId asked for).
        let foreign = try Self.encrypted("foreign-keyed", at: "2024-01-04T00:00:00Z", key: Self.foreignKey, retention: 7)
        let managed = try Self.encrypted("aws-managed", at: "2024-01-05T00:00:00Z", key: nil, retention: 7)
        // A restore of the Neptune cluster's automated snapshot (inventory) that states neither
        // encryption nor key: it has the snapshot's.
        let restore = try Real.record("sumologic-documentation/rds.sample-cloudtrail-log-message.json").with([
            "eventName": "RestoreDBClusterFromSnapshot", "eventID": "state-restore-graph", "eventTime": "2024-01-06T00:00:00Z",
            "requestParameters": ["dBClusterIdentifier": "restored-graph", "engine": "neptune",
                                  "snapshotIdentifier": "rds:auroramysql57dbcluster02-cluster-2018-10-29-03-30"] as [String: Any],
            "responseElements.dBClusterIdentifier": "restored-graph",
            "responseElements.dBClusterArn": Self.arn("restored-graph", cluster: true),
            "responseElements.dbClusterResourceId": "cluster-RESTOREDGRAPH",
            "responseElements.storageEncrypted": nil, "responseElements.kmsKeyId": nil,
            "responseElements.backupRetentionPeriod": 7,
        ])
        s.add(plain, replica, zero, pending, later, gone, foreign, managed, restore)
        try s.addDocument("inventory/951234567898/us-west-1/describe-db-cluster-snapshots.json")
        try s.addDocument("inventory/951234567898/us-west-1/list-aliases.json")
        try s.addDocument("inventory/951234567898/us-west-1/describe-key.json")
        try s.build()
        return s
    }

    @Test func whichRecordSettledEncryptionAndWhatSourcesPassOn() throws {
        let s = try story()
        let plain = try s.row("SELECT * FROM db_resources WHERE identifier = 'plain-default'")
        #expect(plain.i("storage_encrypted") == 0 && plain.s("encryption_settled_by") == "CreateDBInstance")
        #expect(plain.s("encryption_basis") == "api-default")
        let replica = try s.row("SELECT * FROM db_resources WHERE identifier = 'plain-replica'")
        #expect(replica.i("storage_encrypted") == 0 && replica.s("encryption_basis") == "source-resource")
        #expect(replica.s("encryption_settled_by") == "CreateDBInstanceReadReplica")
        #expect(replica.s("replica_source_arn") == Self.arn("plain-default"))

        let restored = try s.row("SELECT * FROM db_resources WHERE identifier = 'restored-graph'")
        #expect(restored.i("storage_encrypted") == 1 && restored.s("encryption_basis") == "source-snapshot")
        #expect(restored.s("kms_key_arn") == Self.neptuneKey, "the snapshot's key, not aws/rds by default")
        #expect(restored.s("restored_from_snapshot")
                == "arn:aws:rds:us-west-1:951234567898:cluster-snapshot:rds:auroramysql57dbcluster02-cluster-2018-10-29-03-30")
        #expect(restored.s("source_resource_arn") == Self.arn("auroramysql57dbcluster02-cluster", cluster: true))
        #expect(restored.i("aws_managed_key_requested") == nil, "it asked for no key, but inherited one")

        let managed = try s.row("SELECT * FROM db_resources WHERE identifier = 'aws-managed'")
        #expect(managed.i("aws_managed_key_requested") == 1)
        let foreign = try s.row("SELECT * FROM db_resources WHERE identifier = 'foreign-keyed'")
        #expect(foreign.i("aws_managed_key_requested") == 0 && foreign.s("kms_key_arn") == Self.foreignKey)

        // A pending retention counts only once shown applied: 0 until the later modify shows 7.
        let zero = try s.row("SELECT * FROM db_resources WHERE identifier = 'enc-zero'")
        let history = try s.rows("SELECT event_name, backup_retention_period FROM db_resource_changes WHERE db_resource_id = ? ORDER BY id",
                                 [zero.i64("id")])
        #expect(history.map { $0["backup_retention_period"] as Int? } == [0, 0, 7, 7])
        #expect(try s.value("SELECT key_state FROM keys WHERE key_arn = ?", [Self.neptuneKey]) == "Enabled" as String?)
    }

    func findings(_ s: StateScenario, until: String? = nil, config: String = "") throws -> [String] {
        var options = CheckOptions()
        options.until = until
        options.config = try AuditConfig.parse(config, file: "c.yaml")
        _ = try CheckRunner.run(s.database, options)
        return try s.rows("""
            SELECT rule_id || ' ' || category || ' ' || severity || ' ' || resource AS f FROM findings
             WHERE run_id = (SELECT max(id) FROM runs) AND rule_id IN ('KMS-003', 'KMS-005', 'KMS-007', 'KMS-008')
             ORDER BY f
            """).map { $0["f"] as String }
    }

    @Test func theRulesJudgeTheStateAtTheWindowsEnd() throws {
        let s = try story()
        // The whole trail: enc-zero is gone by its end, deleted with skipFinalSnapshot (its own
        // KMS-003 category), so no other rule judges it.
        let all = try findings(s)
        #expect(all.contains("KMS-005 created-unencrypted high \(Self.arn("plain-default"))"))
        #expect(all.contains("KMS-005 replica-unencrypted high \(Self.arn("plain-replica"))"))
        #expect(all.contains("KMS-007 other-account-key high \(Self.arn("foreign-keyed"))"))
        #expect(all.contains("KMS-008 single-key medium \(Self.arn("foreign-keyed"))"))
        #expect(all.contains("KMS-007 aws-managed-key medium \(Self.arn("aws-managed"))"))
        #expect(all.contains("KMS-008 single-key low \(Self.arn("aws-managed"))"))
        #expect(all.contains("KMS-003 deleted-without-final-snapshot high \(Self.arn("enc-zero"))"))
        #expect(!all.contains { $0.contains(Self.arn("enc-zero")) && !$0.hasPrefix("KMS-003") })
        #expect(!all.contains { $0.hasPrefix("KMS-005") && $0.contains("restored-graph") })

        // --until before the deletion: enc-zero was alive then (#30), with backups off as of that
        // time (the pending 7 not applied, #22; the later modify to 7 after the window, #33).
        let early = try findings(s, until: "2024-02-01T00:00:00Z")
        #expect(early.contains("KMS-003 backups-off high \(Self.arn("enc-zero"))"))
        #expect(!early.contains { $0.hasPrefix("KMS-008") && $0.contains(Self.arn("enc-zero")) }, "KMS-003 reports it")

        // After the modify, before the deletion: backups on, so KMS-008 judges it.
        let between = try findings(s, until: "2024-02-20T00:00:00Z")
        #expect(between.contains("KMS-008 single-key low \(Self.arn("enc-zero"))"))
        #expect(!between.contains { $0.hasPrefix("KMS-003") && $0.contains(Self.arn("enc-zero")) })

        // Before a resource exists, nothing about it.
        let before = try findings(s, until: "2024-01-03T12:00:00Z")
        #expect(!before.contains { $0.contains("foreign-keyed") || $0.contains("aws-managed") })

        // The config: a trusted key account and the AWS managed key accepted.
        let configured = try findings(s, config: "trusted_key_accounts: [\"444455556666\"]\nallow_aws_managed_keys: true\n")
        #expect(!configured.contains { $0.hasPrefix("KMS-007") })
        #expect(configured.contains("KMS-008 single-key medium \(Self.arn("foreign-keyed"))"), "still another account's key")
    }
}
