import Foundation
import GRDB
import Testing
@testable import KMSAudit

/// StateBuilder over real records (Fixtures/state: real public CloudTrail samples, see its README), ingested through
/// the real Ingestor into a real SQLite file. Where a story needs another time, id, key or name,
/// the edit is written here, next to the assertion that depends on it.
@Suite struct StateBuilderTests {
    static let kms = "awsdocs-aws-kms-developer-guide"
    static let keyA = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    static let keyB = "arn:aws:kms:us-west-2:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321"

    /// The real UpdateAlias record (KMS developer guide) moving alias/ExampleAlias (created on
    /// keyA by ct-createalias.example1.json) to keyB on 2022-09-01.
    static func aliasMovedToKeyB() throws -> Real {
        try Real.record("\(kms)/ct-updatealias.example1.json").with([
            "eventTime": "2022-09-01T00:00:00Z", "requestParameters.aliasName": "alias/ExampleAlias",
            "requestParameters.targetKeyId": "0987dcba-09fe-87dc-65ba-ab0987654321",
            "resources": [["accountId": "111122223333", "ARN": "arn:aws:kms:us-west-2:111122223333:alias/ExampleAlias"],
                          ["accountId": "111122223333", "ARN": keyB]],
        ])
    }

    // MARK: - Aliases

    @Test func aliasesResolveAsOfEachEventsTime() throws {
        let s = try StateScenario()
        // GenerateDataKey by alias only: the real record also lists the key in resources[]; without
        // it the key can only come from the alias, as of the call's time.
        func use(_ id: String, at time: String, keyId: String) throws -> Real {
            try Real.record("\(Self.kms)/alias-ct.example1.json")
                .with(["eventID": id, "eventTime": time, "requestParameters.keyId": keyId, "resources": nil])
        }
        let create = try Real.record("\(Self.kms)/ct-createalias.example1.json")  // 2022-08-14T23:08:31Z → keyA
        let update = try Real.record("\(Self.kms)/ct-updatealias.example1.json").with([
            "eventTime": "2022-09-01T00:00:00Z",
            "requestParameters.aliasName": "alias/ExampleAlias",
            "requestParameters.targetKeyId": "0987dcba-09fe-87dc-65ba-ab0987654321",
            "resources": [["accountId": "111122223333", "type": "AWS::KMS::Key",
                           "ARN": "arn:aws:kms:us-west-2:111122223333:alias/ExampleAlias"],
                          ["accountId": "111122223333", "type": "AWS::KMS::Key", "ARN": Self.keyB]],
        ])
        let delete = try Real.record("\(Self.kms)/ct-deletealias.example1.json").with([
            "eventTime": "2022-10-01T00:00:00Z", "awsRegion": "us-west-2",
            "requestParameters.aliasName": "alias/ExampleAlias",
            "resources": [["accountId": "111122223333", "ARN": "arn:aws:kms:us-west-2:111122223333:alias/ExampleAlias"],
                          ["accountId": "111122223333", "ARN": Self.keyB]],
        ])
        let before = try use("state-use-before", at: "2022-08-01T00:00:00Z", keyId: "alias/ExampleAlias")
        let first = try use("state-use-first", at: "2022-08-20T00:00:00Z", keyId: "alias/ExampleAlias")
        let second = try use("state-use-second", at: "2022-09-10T00:00:00Z",
                             keyId: "arn:aws:kms:us-west-2:111122223333:alias/ExampleAlias")
        let atUpdate = try use("state-use-at-update", at: "2022-09-01T00:00:00Z", keyId: "alias/ExampleAlias")
        let after = try use("state-use-after", at: "2022-10-05T00:00:00Z", keyId: "alias/ExampleAlias")
        let byRecord = try Real.record("\(Self.kms)/alias-ct.example1.json")  // alias/project-key, key in resources[]
        s.add(create, update, delete, before, first, second, atUpdate, after, byRecord)
        let summary = try s.build()

        let history = try s.rows("""
            SELECT * FROM alias_history WHERE alias_name = 'alias/ExampleAlias' ORDER BY valid_from
            """)
        try #require(history.count == 2)
        #expect(history[0].s("account") == "111122223333" && history[0].s("region") == "us-west-2")
        #expect(history[0].s("key_arn") == Self.keyA)
        #expect(history[0].s("valid_from") == "2022-08-14T23:08:31Z")
        #expect(history[0].s("valid_to") == "2022-09-01T00:00:00Z")
        #expect(history[0].s("source") == "CreateAlias" && history[0].s("ended_by") == "UpdateAlias")
        #expect(history[0].s("event_id") == create.eventID && history[0].s("ended_event_id") == update.eventID)
        #expect(history[1].s("key_arn") == Self.keyB)
        #expect(history[1].s("valid_from") == "2022-09-01T00:00:00Z")
        #expect(history[1].s("valid_to") == "2022-10-01T00:00:00Z")
        #expect(history[1].s("source") == "UpdateAlias" && history[1].s("ended_by") == "DeleteAlias")

        func resolved(_ r: Real) throws -> (String?, String?) {
            let row = try s.row("SELECT key_arn, resolution FROM kms_events WHERE event_id = ?", [r.eventID])
            return (row["key_arn"], row["resolution"])
        }
        #expect(try resolved(before) == (nil, "unresolved"))
        #expect(try resolved(first) == (Self.keyA, "alias"))
        #expect(try resolved(atUpdate) == (Self.keyB, "alias"), "an update takes effect at its own second")
        #expect(try resolved(second) == (Self.keyB, "alias"), "alias ARN form")
        #expect(try resolved(after) == (nil, "unresolved"), "deleted alias")
        #expect(try resolved(byRecord) == (Self.keyA, "record"))
        #expect(try resolved(create) == (Self.keyA, "record"))

        let unresolved = try s.row("SELECT * FROM event_keys WHERE event_id = 'state-use-after'")
        #expect(unresolved.s("key_ref") == "alias/ExampleAlias" && unresolved.s("alias_region") == "us-west-2"
                && unresolved.s("alias_account") == "111122223333")
        #expect(try s.value("SELECT count(*) FROM kms_events") == 9 as Int)
        #expect(summary.eventsResolvedByAlias == 3 && summary.eventsUnresolved == 2)
        #expect(summary.aliasSegments == 2)
    }

    /// A later ingest can bring the alias events that change what earlier-stored calls meant
    /// (a backfilled UpdateAlias, a DeleteAlias): the next rebuild re-resolves every call, and
    /// only the calls whose key changed are rewritten on `events`.
    @Test func resolutionsFollowAliasEventsIngestedLater() throws {
        let s = try StateScenario()
        func use(_ id: String, at time: String) throws -> Real {
            try Real.record("\(Self.kms)/alias-ct.example1.json")
                .with(["eventID": id, "eventTime": time, "requestParameters.keyId": "alias/ExampleAlias", "resources": nil])
        }
        let create = try Real.record("\(Self.kms)/ct-createalias.example1.json")  // 2022-08-14T23:08:31Z -> keyA
        let before = try use("later-before", at: "2022-08-01T00:00:00Z")
        let first = try use("later-first", at: "2022-08-20T00:00:00Z")
        let second = try use("later-second", at: "2022-09-10T00:00:00Z")
        let after = try use("later-after", at: "2022-10-05T00:00:00Z")
        s.add(create, before, first, second, after)
        try s.build()
        func stored(_ r: Real) throws -> (String?, String?) {
            let row = try s.row("SELECT key_arn, resolved_key_arn, key_resolution FROM events WHERE event_id = ?", [r.eventID])
            #expect(row["key_arn"] as String? == nil, "the record's key (none) is never overwritten")
            return (row["resolved_key_arn"], row["key_resolution"])
        }
        #expect(try stored(before) == (nil, "unresolved"))
        for r in [first, second, after] { #expect(try stored(r) == (Self.keyA, "alias")) }

        // The next night's logs: the alias moved to keyB on 1 September, and was deleted on 1 October.
        let update = try Self.aliasMovedToKeyB()
        let delete = try Real.record("\(Self.kms)/ct-deletealias.example1.json").with([
            "eventTime": "2022-10-01T00:00:00Z", "awsRegion": "us-west-2", "requestParameters.aliasName": "alias/ExampleAlias",
            "resources": [["accountId": "111122223333", "ARN": "arn:aws:kms:us-west-2:111122223333:alias/ExampleAlias"],
                          ["accountId": "111122223333", "ARN": Self.keyB]],
        ])
        let later = s.root.appendingPathComponent("in/logs/111122223333_CloudTrail_us-east-1_20240102T0000Z_later.json")
        try TestSupport.batch([update.json, delete.json]).write(to: later)
        let ingest = try Ingestor(database: s.database, options: IngestOptions(paths: [s.root.appendingPathComponent("in").path]),
                                  progress: ProgressLine(quiet: true), hooks: .standard).run()
        #expect(ingest.filesRead == 1 && ingest.eventsStored == 2)
        // Ingest itself brings the resolutions up to date, before any check.
        #expect(try stored(second) == (Self.keyB, "alias"), "re-resolved by ingest")
        #expect(try stored(after) == (nil, "unresolved"), "re-resolved by ingest")
        let firstRowID: Int64? = try s.value("SELECT id FROM events WHERE event_id = ?", [first.eventID])
        try s.rebuild()

        #expect(try stored(before) == (nil, "unresolved"))
        #expect(try stored(first) == (Self.keyA, "alias"), "before the update: still keyA")
        #expect(try stored(second) == (Self.keyB, "alias"), "after the update: keyB")
        #expect(try stored(after) == (nil, "unresolved"), "after the delete: no key")
        #expect(try s.value("SELECT id FROM events WHERE event_id = ?", [first.eventID]) == firstRowID)
        let viaView = try s.row("SELECT key_arn, resolution FROM kms_events WHERE event_id = ?", [second.eventID])
        #expect(viaView["key_arn"] == Self.keyB && viaView["resolution"] == "alias")

        // A rebuild with nothing new changes nothing.
        try s.rebuild()
        #expect(try stored(second) == (Self.keyB, "alias"))
        #expect(try stored(after) == (nil, "unresolved"))
        #expect(try s.value("SELECT count(*) FROM event_keys WHERE resolution = 'alias'") == 2 as Int)
    }

    // MARK: - Key policies

    /// The seed's recommended Neptune policy, for keyA's account and region.
    static let seedPolicy = """
        { "Version": "2012-10-17", "Id": "key-consolepolicy-3", "Statement": [ { "Sid": "Enable Permissions for root principal", \
        "Effect": "Allow", "Principal": { "AWS": "arn:aws:iam::111122223333:root" }, "Action": "kms:*", "Resource": "*" }, \
        { "Sid": "Allow use of the key for Neptune", "Effect": "Allow", "Principal": { "AWS": "arn:aws:iam::111122223333:role/NeptuneFullAccess" }, \
        "Action": [ "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:ReEncryptTo", "kms:GenerateDataKeyWithoutPlaintext", \
        "kms:CreateGrant", "kms:ReEncryptFrom", "kms:DescribeKey" ], "Resource": "*", \
        "Condition": { "StringEquals": { "kms:ViaService": "rds.us-west-2.amazonaws.com" } } }, \
        { "Sid": "Deny use of the key for non Neptune", "Effect": "Deny", "Principal": { "AWS": "arn:aws:iam::111122223333:role/NeptuneFullAccess" }, \
        "Action": [ "kms:*" ], "Resource": "*", "Condition": { "StringNotEquals": { "kms:ViaService": "rds.us-west-2.amazonaws.com" } } } ] }
        """

    @Test func policyVersionsOverTime() throws {
        let s = try StateScenario()
        try s.addDocument("policies/111122223333/us-west-2/1234abcd-12ab-34cd-56ef-1234567890ab.json")
        let createKey = try Real.record("\(Self.kms)/ct-createkey.example1.json")  // no policy: AWS's default
        let put = try Real.record("\(Self.kms)/ct-put-key-policy.example1.json")    // 2022-09-01T20:06:16Z
        let denied = try Real.record("\(Self.kms)/ct-put-key-policy.example1.json").with([
            "eventID": "state-put-denied", "eventTime": "2022-09-15T00:00:00Z",
            "errorCode": "AccessDeniedException", "errorMessage": "User is not authorized to perform: kms:PutKeyPolicy",
            "requestParameters.policy": "{\"Version\":\"2012-10-17\",\"Statement\":[]}",
        ])
        let putSeed = try Real.record("\(Self.kms)/ct-put-key-policy.example1.json").with([
            "eventID": "state-put-seed", "eventTime": "2022-10-01T00:00:00Z", "requestParameters.policy": Self.seedPolicy,
        ])
        let ownPolicy = "{\"Version\":\"2012-10-17\",\"Id\":\"state-own\",\"Statement\":[]}"
        let createWithPolicy = try Real.record("\(Self.kms)/ct-createkey.example2.json")
            .with(["requestParameters.policy": ownPolicy])
        s.add(createKey, put, denied, putSeed, createWithPolicy)
        try s.build()

        let versions = try s.rows("SELECT * FROM key_policies WHERE key_arn = ? ORDER BY valid_from NULLS FIRST", [Self.keyA])
        try #require(versions.count == 4)
        #expect(versions[0].s("source") == "file" && versions[0].s("valid_from") == nil)
        #expect(versions[0].s("valid_to") == "2022-08-10T22:38:27Z", "a policy file holds until the first policy event")
        #expect(versions[0].s("policy")?.contains("Enable Permissions for root principal") == true)
        #expect(versions[0].s("policy")?.hasPrefix("{") == true, "the Policy string, not the get-key-policy wrapper")
        #expect(versions[0].i64("file_id") != nil)
        #expect(versions[1].s("source") == "default" && versions[1].s("policy") == nil)
        #expect(versions[1].s("valid_from") == "2022-08-10T22:38:27Z" && versions[1].s("valid_to") == "2022-09-01T20:06:16Z")
        #expect(versions[1].s("event_id") == createKey.eventID)
        #expect(versions[2].s("source") == "PutKeyPolicy" && versions[2].s("event_id") == put.eventID)
        #expect(versions[2].s("valid_to") == "2022-10-01T00:00:00Z", "the denied PutKeyPolicy changes nothing")
        #expect(versions[2].s("policy")?.contains("key-default-1") == true)
        #expect(versions[2].s("principal") == "arn:aws:iam::111122223333:user/Alice")
        #expect(versions[2].i("names_rds_via_service") == 0)
        #expect(versions[3].s("event_id") == "state-put-seed" && versions[3].s("valid_to") == nil)
        #expect(versions[3].i("names_rds_via_service") == 1)
        #expect(try s.value("SELECT count(*) FROM key_policies WHERE event_id = 'state-put-denied'") == 0 as Int)

        // The policy in effect at a time, as the rules ask for it.
        let inEffect: String? = try s.value("""
            SELECT event_id FROM key_policies WHERE key_arn = ? AND (valid_from IS NULL OR valid_from <= ?)
               AND (valid_to IS NULL OR ? < valid_to)
            """, [Self.keyA, "2022-09-20T00:00:00Z", "2022-09-20T00:00:00Z"])
        #expect(inEffect == put.eventID)

        let other = try s.row("SELECT * FROM key_policies WHERE key_arn = ?", [Self.keyB])
        #expect(other.s("source") == "CreateKey" && other.s("policy") == ownPolicy && other.s("valid_from") == "2021-10-14T17:39:50Z")

        let key = try s.row("SELECT * FROM keys WHERE key_arn = ?", [Self.keyA])
        #expect(key.i("policy_known") == 1)
        #expect(key.s("created_at") == "2022-08-10T22:38:27Z" && key.s("created_event_id") == createKey.eventID)
        #expect(key.s("created_by") == "arn:aws:iam::111122223333:user/Alice")
        #expect(key.s("key_id") == "1234abcd-12ab-34cd-56ef-1234567890ab")
        #expect(key.s("account") == "111122223333" && key.s("region") == "us-west-2")
        #expect(key.i("is_database_key") == 1)
        #expect(StateScenario.json(key["database_key_reasons"]) as? [String] == ["policy-via-service-rds"])
        let b = try s.row("SELECT * FROM keys WHERE key_arn = ?", [Self.keyB])
        #expect(b.i("is_database_key") == 0 && b.s("custom_key_store_id") == "cks-1234567890abcdef0")
    }

    // MARK: - Grants

    @Test func grantsEndByRevokeAndByRetire() throws {
        let s = try StateScenario()
        let plain = try Real.record("\(Self.kms)/ct-creategrant.example1.json")  // grant f020…, 2014-11-04
        let revoke = try Real.record("\(Self.kms)/ct-revoke-grant.example1.json").with([
            "requestParameters.grantId": "f020fe75197b93991dc8491d6f19dd3cebb24ee62277a05914386724f3d48758",
        ])
        // A grant RDS creates on a user's behalf, retired by the real RetireGrant (its grant id).
        let viaRDS = try Real.record("\(Self.kms)/ct-creategrant.example1.json").with([
            "eventID": "state-grant-rds", "eventTime": "2022-09-01T19:00:00Z",
            "userIdentity.invokedBy": "rds.amazonaws.com", "sourceIPAddress": "rds.amazonaws.com",
            "requestParameters.granteePrincipal": "rds.us-west-2.amazonaws.com",
            "requestParameters.retiringPrincipal": "rds.us-west-2.amazonaws.com",
            "requestParameters.operations": ["Decrypt", "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom", "ReEncryptTo",
                                             "CreateGrant", "DescribeKey"],
            "responseElements.grantId": "abcde1237f76e4ba7987489ac329fbfba6ad343d6f7075dbd1ef191f0120514a",
        ])
        let retire = try Real.record("\(Self.kms)/ct-retire-grant.example1.json")  // 2022-09-01T19:39:33Z
        let failedRetire = try Real.record("\(Self.kms)/ct-retire-grant.example1.json").with([
            "eventID": "state-retire-denied", "eventTime": "2015-01-01T00:00:00Z",
            "additionalEventData.grantId": "f020fe75197b93991dc8491d6f19dd3cebb24ee62277a05914386724f3d48758",
            "errorCode": "AccessDeniedException",
        ])
        s.add(plain, revoke, viaRDS, retire, failedRetire)
        let summary = try s.build()
        #expect(summary.grants == 2)

        let g1 = try s.row("SELECT * FROM grants WHERE grant_id = 'f020fe75197b93991dc8491d6f19dd3cebb24ee62277a05914386724f3d48758'")
        #expect(g1.s("key_arn") == Self.keyA)
        #expect(g1.s("grantee_principal") == "EX_PRINCIPAL_ID" && g1.s("retiring_principal") == nil)
        #expect(StateScenario.json(g1["operations"]) as? [String] == ["Encrypt", "RetireGrant"])
        let constraints = StateScenario.json(g1["constraints"]) as? [String: [String: String]]
        #expect(constraints?["encryptionContextSubset"]?["ContextKey1"] == "Value1")
        #expect(g1.s("created_at") == "2014-11-04T00:53:12Z" && g1.s("created_event_id") == plain.eventID)
        #expect(g1.s("created_by") == "arn:aws:iam::111122223333:user/Alice")
        #expect(g1.i("created_via_rds") == 0 && g1.i("grantee_is_rds") == 0)
        #expect(g1.s("ended_at") == "2022-09-01T19:35:17Z", "the denied RetireGrant of 2015 did not end it")
        #expect(g1.s("ended_by") == "RevokeGrant" && g1.s("ended_event_id") == revoke.eventID)

        let g2 = try s.row("SELECT * FROM grants WHERE created_event_id = 'state-grant-rds'")
        #expect(g2.i("grantee_is_rds") == 1 && g2.i("created_via_rds") == 1)
        #expect(g2.s("retiring_principal") == "rds.us-west-2.amazonaws.com")
        #expect(g2.s("ended_by") == "RetireGrant" && g2.s("ended_at") == "2022-09-01T19:39:33Z")
        #expect(g2.s("ended_event_id") == retire.eventID, "RetireGrant's grant id is in additionalEventData")
        #expect(g2.s("ended_principal") == "arn:aws:iam::111122223333:user/Alice")

        // The via-RDS CreateGrant makes keyA a database key (docs/rules/README.md Terms "Database key").
        let key = try s.row("SELECT * FROM keys WHERE key_arn = ?", [Self.keyA])
        #expect(StateScenario.json(key["database_key_reasons"]) as? [String] == ["used-via-rds"])
        #expect(key.i("policy_known") == 0)
    }

    // MARK: - Key state

    @Test func keyStateChangesWithDeletionDates() throws {
        let s = try StateScenario()
        let disable = try Real.record("\(Self.kms)/ct-disablekey.example1.json").with(["eventTime": "2021-03-01T00:00:00Z"])
        let schedule = try Real.record("\(Self.kms)/ct-schedule-key-deletion.example1.json")  // "Apr 12, 2021 18:58:30 PM"
        let cancel = try Real.record("\(Self.kms)/ct-cancel-key-deletion.example1.json").with(["eventTime": "2021-03-25T00:00:00Z"])
        let enable = try Real.record("\(Self.kms)/ct-enablekey.example1.json").with(["eventTime": "2021-03-26T00:00:00Z"])
        let deleteKey = try Real.record("\(Self.kms)/ct-delete-key.example1.json").with(["eventTime": "2021-04-30T00:00:00Z"])
        let replica = try Real.record("\(Self.kms)/ct-schedule-key-deletion.example2.json")  // no deletionDate
        let realDisable = try Real.record("elastic-integrations/test-disable-key-json.log")
        let failedDisable = try Real.record("elastic-integrations/test-disable-key-json.log").with([
            "eventID": "state-disable-denied", "eventTime": "2024-09-12T00:00:00Z", "errorCode": "AccessDeniedException",
        ])
        let realSchedule = try Real.record("elastic-integrations/test-schedule-key-deletion-json.log")
        s.add(disable, schedule, cancel, enable, deleteKey, replica, realDisable, failedDisable, realSchedule)
        try s.build()

        let a = try s.rows("SELECT * FROM key_state_changes WHERE key_arn = ? ORDER BY event_time", [Self.keyA])
        #expect(a.map { $0["event_name"] as String } == ["DisableKey", "ScheduleKeyDeletion", "CancelKeyDeletion", "EnableKey", "DeleteKey"])
        #expect(a.map { $0["new_state"] as String? } == ["Disabled", "PendingDeletion", "Disabled", "Enabled", "Deleted"])
        #expect(a[1].s("deletion_date") == "2021-04-12T18:58:30Z" && a[1].i("pending_window_days") == 20)
        #expect(a[1].s("principal") == "arn:aws:iam::111122223333:user/Alice" && a[1].s("event_id") == schedule.eventID)
        #expect(try s.value("SELECT deleted_at FROM keys WHERE key_arn = ?", [Self.keyA]) == "2021-04-30T00:00:00Z")

        let r = try s.row("SELECT * FROM key_state_changes WHERE event_id = ?", [replica.eventID])
        #expect(r.s("new_state") == "PendingReplicaDeletion")
        #expect(r.s("deletion_date") == "2021-11-27T17:59:05Z", "no deletionDate: event time + pendingWindowInDays (30)")

        let e1 = try s.row("SELECT * FROM key_state_changes WHERE event_id = ?", [realSchedule.eventID])
        #expect(e1.s("key_arn") == "arn:aws:kms:us-east-1:000000000:key/27d7cd14-7557-4509-a438-15fbf1e8db11")
        #expect(e1.s("deletion_date") == "2024-10-21T14:25:29Z", "\"Oct 21, 2024, 2:25:29 PM\"")
        #expect(e1.i("pending_window_days") == 7)
        let d = try s.rows("SELECT * FROM key_state_changes WHERE key_arn LIKE '%65479477-67d5-4b84-b71c-d540f7a8f31f'")
        #expect(d.count == 1 && d.first?["event_id"] == realDisable.eventID, "the denied DisableKey is no state change")
    }

    // MARK: - DB resources

    static let neptuneKey = "arn:aws:kms:us-west-1:951234567898:key/9a3d8016-4cdb-478f-a3a4-9a310fc25307"
    static let neptuneCluster = "arn:aws:rds:us-west-1:951234567898:cluster:auroramysql57dbcluster02-cluster"

    /// The real CreateDBInstance (elastic, 2024) moved into the Neptune cluster's account and region.
    static func instance(_ id: String, at time: String, account: String = "951234567898", region: String = "us-west-1",
                         _ extra: KeyValuePairs<String, Any?> = [:]) throws -> Real {
        var r = try Real.record("elastic-integrations/test-create-db-instance-json.log").with([
            "eventID": "state-create-\(id)", "eventTime": time, "awsRegion": region, "recipientAccountId": account,
            "requestParameters.dBInstanceIdentifier": id,
            "responseElements.dBInstanceIdentifier": id,
            "responseElements.dBInstanceArn": "arn:aws:rds:\(region):\(account):db:\(id)",
            "responseElements.dbiResourceId": "db-\(id.uppercased().replacingOccurrences(of: "-", with: ""))",
        ])
        r = r.with(extra)
        return r
    }

    @Test func encryptedNeptuneClusterWithMemberInstance() throws {
        let s = try StateScenario()
        // The encrypted CreateDBCluster (sumologic) with its engine set to neptune.
        let cluster = try Real.record("sumologic-documentation/rds.sample-cloudtrail-log-message.json")
            .with(["requestParameters.engine": "neptune", "responseElements.engine": "neptune"])
        // A member instance whose response names neither encryption nor key nor retention: it
        // takes them from its cluster (docs/rules/DECISIONS.md #10).
        let member = try Self.instance("neptune-instance-1", at: "2018-10-28T09:10:00Z", [
            "requestParameters.engine": "neptune", "responseElements.engine": "neptune",
            "requestParameters.dBClusterIdentifier": "auroramysql57dbcluster02-cluster",
            "responseElements.dBClusterIdentifier": "auroramysql57dbcluster02-cluster",
            "responseElements.storageEncrypted": nil, "responseElements.backupRetentionPeriod": nil,
        ])
        // Encrypted without kmsKeyId: the account's aws/rds key (known from list-aliases and from
        // the cluster's response).
        let defaultKeyed = try Self.instance("default-keyed", at: "2019-01-01T00:00:00Z", [
            "requestParameters.storageEncrypted": true, "responseElements.storageEncrypted": true,
        ])
        // The same in an account whose aws/rds key is unknown: kept as the alias, unresolved.
        let unknownDefault = try Self.instance("unknown-default", at: "2024-09-11T10:00:00Z", account: "1010101010101",
                                               region: "us-east-1", [
            "requestParameters.storageEncrypted": true, "responseElements.storageEncrypted": true,
        ])
        let plain = try Real.record("elastic-integrations/test-create-db-instance-json.log")  // unencrypted mysql
        s.add(cluster, member, defaultKeyed, unknownDefault, plain)
        try s.addDocument("inventory/951234567898/us-west-1/describe-db-cluster-snapshots.json")
        try s.addDocument("inventory/951234567898/us-west-1/list-aliases.json")
        try s.addDocument("inventory/951234567898/us-west-1/describe-key.json")
        let summary = try s.build()
        #expect(summary.dbResources == 5)

        let c = try s.row("SELECT * FROM db_resources WHERE kind = 'cluster'")
        #expect(c.s("arn") == Self.neptuneCluster && c.s("identifier") == "auroramysql57dbcluster02-cluster")
        #expect(c.s("engine") == "neptune" && c.s("account") == "951234567898" && c.s("region") == "us-west-1")
        #expect(c.s("resource_id") == "cluster-AVPSEUMFISOMMXXVGKL4GBUC2E")
        #expect(c.i("storage_encrypted") == 1 && c.s("kms_key_ref") == Self.neptuneKey && c.s("kms_key_arn") == Self.neptuneKey)
        #expect(c.i("backup_retention_period") == 1)
        #expect(c.s("created_at") == "2018-10-28T08:55:35Z", "clusterCreateTime \"Oct 28, 2018 8:55:35 AM\"")
        #expect(c.s("created_event_id") == cluster.eventID && c.s("deleted_at") == nil && c.s("source") == "events")

        let m = try s.row("SELECT * FROM db_resources WHERE identifier = 'neptune-instance-1'")
        #expect(m.s("kind") == "instance" && m.s("cluster_identifier") == "auroramysql57dbcluster02-cluster")
        #expect(m.s("cluster_arn") == Self.neptuneCluster)
        #expect(m.i("storage_encrypted") == 1 && m.s("kms_key_arn") == Self.neptuneKey && m.i("backup_retention_period") == 1)
        #expect(m.s("resource_id") == "db-NEPTUNEINSTANCE1" && m.s("created_at") == "2018-10-28T09:10:00Z")

        let d = try s.row("SELECT * FROM db_resources WHERE identifier = 'default-keyed'")
        #expect(d.s("kms_key_ref") == "alias/aws/rds" && d.s("kms_key_arn") == Self.neptuneKey)
        let u = try s.row("SELECT * FROM db_resources WHERE identifier = 'unknown-default'")
        #expect(u.s("kms_key_ref") == "alias/aws/rds" && u.s("kms_key_arn") == nil)
        let p = try s.row("SELECT * FROM db_resources WHERE identifier = 'test-cloudtrail-event-instance-14340'")
        #expect(p.i("storage_encrypted") == 0 && p.s("kms_key_ref") == nil && p.s("engine") == "mysql")
        #expect(p.s("created_at") == "2024-09-11T09:29:51Z" && p.s("resource_id") == "db-ANY6I3FNUJC7WQKYS5RFPU7ORM")

        // The cluster's automated snapshot from inventory, linked to the cluster.
        let snap = try s.row("SELECT * FROM snapshots")
        #expect(snap.s("kind") == "cluster" && snap.s("source") == "inventory" && snap.s("snapshot_type") == "automated")
        #expect(snap.s("resource_arn") == Self.neptuneCluster && snap.i64("db_resource_id") == c.i64("id"))
        #expect(snap.s("key_arn") == Self.neptuneKey && snap.s("created_at") == "2018-10-29T03:30:12Z")

        // The real request named no key, so the ARN its response shows is the account's aws/rds
        // key; list-aliases says the same: one segment, from the beginning of time.
        let alias = try s.row("SELECT * FROM alias_history WHERE alias_name = 'alias/aws/rds'")
        #expect(alias.s("source") == "list-aliases" && alias.s("valid_from") == nil && alias.s("valid_to") == nil)
        #expect(alias.s("key_arn") == Self.neptuneKey)

        let keys = try s.rows("SELECT key_arn, database_key_reasons, key_manager, created_at FROM keys WHERE is_database_key = 1")
        #expect(keys.map { $0["key_arn"] as String } == [Self.neptuneKey])
        #expect(StateScenario.json(keys[0]["database_key_reasons"]) as? [String] == ["rds-resource", "aws-rds-default"])
        #expect(keys[0].s("key_manager") == "AWS")
        #expect(keys[0].s("created_at") == "2018-03-01T10:00:00Z", "describe-key's CreationDate")
    }

    /// A call through RDS naming `alias/aws/rds`, in an account whose aws/rds key only an RDS
    /// response tells (no alias event, no list-aliases): ingest leaves it unresolved; the check's
    /// build resolves it and, in the same build, counts it towards the key's "used-via-rds".
    @Test func aCallThroughRDSByTheDefaultAliasCountsForTheKeyAResponseNames() throws {
        let s = try StateScenario()
        let cluster = try Real.record("sumologic-documentation/rds.sample-cloudtrail-log-message.json")
        let call = try Real.record("awsdocs-aws-secrets-manager-docs/security-encryption.example1.json").with([
            "eventID": "state-call-by-default-alias", "eventTime": "2019-01-01T00:00:00Z", "awsRegion": "us-west-1",
            "recipientAccountId": "951234567898", "userIdentity.accountId": "951234567898",
            "userIdentity.invokedBy": "rds.amazonaws.com", "sourceIPAddress": "rds.amazonaws.com",
            "userAgent": "rds.amazonaws.com", "requestParameters.keyId": "alias/aws/rds", "resources": nil,
        ])
        s.add(cluster, call)
        try s.build()
        #expect(try s.value("SELECT key_arn FROM kms_events WHERE event_id = 'state-call-by-default-alias'") == Self.neptuneKey)
        #expect(try s.value("SELECT via_rds FROM kms_events WHERE event_id = 'state-call-by-default-alias'") == 1 as Int)
        let reasons = StateScenario.json(try s.value("SELECT database_key_reasons FROM keys WHERE key_arn = ?",
                                                     [Self.neptuneKey])) as? [String]
        #expect(reasons == ["rds-resource", "used-via-rds", "aws-rds-default"])
    }

    @Test func retentionModifiedToZeroAndDeletions() throws {
        let s = try StateScenario()
        try s.addDocument("inventory/123456789012/us-west-1/describe-db-instances.json")  // my-database, retention 7
        // The real ModifyDBInstance of an encrypted instance whose response shows retention 0;
        // the request here also asks for 0 (the real one changed the allocated storage).
        let modify = try Real.panther("aws_rds_master_pass_updated.tests.json", "Allocated storage modified").with([
            "eventTime": "2022-09-24T00:38:26Z", "eventID": "state-modify-my-database",
            "requestParameters.backupRetentionPeriod": 0,
        ])
        let modifyCluster = try Real.record("elastic-integrations/test-modify-db-cluster-json.log")
        let deleteCluster = try Real.record("elastic-integrations/test-delete-db-cluster-json.log")
        let deleteWithFinal = try Real.panther("aws_rds_instance_deletion.tests.json", "RDS Instance Deleted With Final Snapshot")
        let deleteDenied = try Real.panther("aws_rds_instance_deletion.tests.json", "RDS Deletion Failed - Access Denied")
        s.add(modify, modifyCluster, deleteCluster, deleteWithFinal, deleteDenied)
        try s.build()

        let db = try s.row("SELECT * FROM db_resources WHERE identifier = 'my-database'")
        #expect(db.i("backup_retention_period") == 0, "the modify is newer than the inventory's 7")
        #expect(db.i("storage_encrypted") == 1)
        #expect(db.s("kms_key_arn") == "arn:aws:kms:us-west-1:123456789012:key/e2c16323-1c31-45fb-adda-07e5c9f78997")
        #expect(db.s("created_at") == "2022-09-23T23:25:46Z" && db.s("source") == "events+inventory")
        #expect(db.s("resource_id") == "db-FEVDSUCWJ43PXONVT6ZU2TK4WY" && db.s("arn") == "arn:aws:rds:us-west-1:123456789012:db:my-database")
        let history = try s.rows("SELECT * FROM db_resource_changes WHERE db_resource_id = ? ORDER BY event_time NULLS FIRST",
                                 [db.i64("id")])
        #expect(history.map { $0["event_name"] as String } == ["inventory", "ModifyDBInstance"])
        #expect(history.map { $0["backup_retention_period"] as Int? } == [7, 0])
        #expect(history[1].s("event_time") == "2022-09-24T00:38:26Z" && history[1].s("event_id") == "state-modify-my-database")
        #expect(history[1].s("principal") == "arn:aws:iam::123456789012:role/Admin")

        let cluster = try s.row("SELECT * FROM db_resources WHERE identifier = 'test-cloudtrail-event-instance-31611-cluster'")
        #expect(cluster.s("created_at") == "2024-10-10T15:18:55Z", "clusterCreateTime \"Oct 10, 2024 3:18:55 PM\"")
        #expect(cluster.i("backup_retention_period") == 14 && cluster.i("storage_encrypted") == 0)
        #expect(cluster.s("deleted_at") == "2024-10-10T15:59:45Z" && cluster.i("skip_final_snapshot") == 1)
        #expect(cluster.s("deleted_event_id") == deleteCluster.eventID && cluster.s("final_snapshot_identifier") == nil)
        #expect(try s.value("SELECT count(*) FROM db_resource_changes WHERE db_resource_id = ?", [cluster.i64("id")]) == 2 as Int)

        let gone = try s.row("SELECT * FROM db_resources WHERE identifier = 'production-mysql-db'")
        #expect(gone.s("deleted_at") == "2024-01-15T14:30:00Z" && gone.i("skip_final_snapshot") == 0)
        #expect(gone.s("final_snapshot_identifier") == "production-mysql-db-final-snapshot-2024-01-15")
        #expect(try s.value("SELECT count(*) FROM db_resources WHERE identifier = 'production-db'") == 0 as Int,
                "a denied delete is no record of a resource")

        let final = try s.row("SELECT * FROM snapshots")
        #expect(final.s("identifier") == "production-mysql-db-final-snapshot-2024-01-15" && final.s("snapshot_type") == "final")
        #expect(final.s("source") == "DeleteDBInstance" && final.s("created_at") == "2024-01-15T14:30:00Z")
        #expect(final.s("resource_arn") == "arn:aws:rds:us-east-1:123456789012:db:production-mysql-db")
        #expect(final.i64("db_resource_id") == gone.i64("id") && final.s("created_event_id") == deleteWithFinal.eventID)

        let key = try s.row("SELECT * FROM keys WHERE key_arn = 'arn:aws:kms:us-west-1:123456789012:key/e2c16323-1c31-45fb-adda-07e5c9f78997'")
        #expect(StateScenario.json(key["database_key_reasons"]) as? [String] == ["rds-resource"])
    }

    // MARK: - Snapshots

    @Test func snapshotsCopiesBackupsAndDeletes() throws {
        let s = try StateScenario()
        let prodKey = "arn:aws:kms:us-east-1:123456789012:key/11112222-3333-4444-5555-666677778888"
        let copyKey = "arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
        let prod = try Self.instance("prod-db", at: "2024-01-01T00:00:00Z", account: "123456789012", region: "us-east-1", [
            "requestParameters.storageEncrypted": true, "requestParameters.kmsKeyId": prodKey,
            "responseElements.storageEncrypted": true, "responseElements.kmsKeyId": prodKey,
        ])
        // The real CreateDBSnapshot (panther), taken of prod-db; its response lacks the key, which
        // then comes from the instance.
        let manual = try Real.panther("aws_rds_manual_snapshot_created.tests.json", "Manual Snapshot Created").with([
            "eventID": "state-snap-prod", "eventTime": "2024-01-10T00:00:00Z", "awsRegion": "us-east-1",
            "requestParameters.dBInstanceIdentifier": "prod-db", "requestParameters.dBSnapshotIdentifier": "prod-backup-2024",
            "responseElements.dBInstanceIdentifier": "prod-db", "responseElements.dBSnapshotIdentifier": "prod-backup-2024",
            "responseElements.dBSnapshotArn": "arn:aws:rds:us-east-1:123456789012:snapshot:prod-backup-2024",
            "responseElements.encrypted": true,
        ])
        // The real cross-region copy of prod-backup-2024 under another key (docs/rules/DECISIONS.md #16: that key
        // protects only a copy, so it is no database key).
        let copy = try Real.panther("aws_rds_snapshot_copied_cross_region.tests.json", "Snapshot Copied Cross-Region")
        let copyFailed = try Real.panther("aws_rds_snapshot_copied_cross_region.tests.json", "Copy Failed")
        // A snapshot call made by AWS Backup (docs/rules/DECISIONS.md #11).
        let byBackup = try Real.panther("aws_rds_manual_snapshot_created.tests.json", "Manual Snapshot Created").with([
            "eventID": "state-snap-by-backup", "eventTime": "2024-01-11T00:00:00Z", "awsRegion": "us-east-1",
            "userIdentity.invokedBy": "backup.amazonaws.com",
            "requestParameters.dBInstanceIdentifier": "prod-db",
            "requestParameters.dBSnapshotIdentifier": "awsbackup:job-0001",
            "responseElements.dBInstanceIdentifier": "prod-db",
            "responseElements.dBSnapshotIdentifier": "awsbackup:job-0001",
            "responseElements.dBSnapshotArn": "arn:aws:rds:us-east-1:123456789012:snapshot:awsbackup:job-0001",
            "responseElements.encrypted": true,
        ])
        // No public StartBackupJob record exists: this one is the real CreateDBInstance envelope with
        // AWS Backup's documented request and response fields.
        let job = try Real.record("elastic-integrations/test-create-db-instance-json.log").with([
            "eventID": "state-backup-job", "eventTime": "2024-01-12T00:00:00Z", "eventSource": "backup.amazonaws.com",
            "eventName": "StartBackupJob", "awsRegion": "us-east-1", "recipientAccountId": "123456789012",
            "requestParameters": ["backupVaultName": "Default",
                                  "resourceArn": "arn:aws:rds:us-east-1:123456789012:db:prod-db",
                                  "iamRoleArn": "arn:aws:iam::123456789012:role/service-role/AWSBackupDefaultServiceRole"],
            "responseElements": ["backupJobId": "7c5d9f3a-1b2c-4d5e-8f90-123456789abc",
                                 "recoveryPointArn": "arn:aws:rds:us-east-1:123456789012:snapshot:awsbackup:job-7c5d9f3a",
                                 "creationDate": "Jan 12, 2024 12:00:00 AM", "isParent": false],
        ])
        // The real DeleteDBSnapshot of backup-2024-01-15, which inventory lists.
        let deleted = try Real.panther("aws_rds_snapshot_deleted.tests.json", "DB Snapshot Deleted")
            .with(["eventID": "state-snapshot-deleted"])  // panther reuses the copy's eventID
        try s.addDocument("inventory/123456789012/us-west-2/describe-db-snapshots.json")
        s.add(prod, manual, copy, copyFailed, byBackup, job, deleted)
        let summary = try s.build()
        #expect(summary.snapshots == 5)

        let prodID: Int64 = try #require(try s.value("SELECT id FROM db_resources WHERE identifier = 'prod-db'"))
        let m = try s.row("SELECT * FROM snapshots WHERE identifier = 'prod-backup-2024'")
        #expect(m.s("kind") == "instance" && m.s("source") == "CreateDBSnapshot" && m.s("snapshot_type") == "manual")
        #expect(m.i("encrypted") == 1 && m.s("key_arn") == prodKey, "the instance's key")
        #expect(m.s("resource_arn") == "arn:aws:rds:us-east-1:123456789012:db:prod-db" && m.i64("db_resource_id") == prodID)
        #expect(m.s("created_at") == "2024-01-10T00:00:00Z" && m.i("aws_backup") == 0)

        let c = try s.row("SELECT * FROM snapshots WHERE identifier = 'prod-backup-2024-copy'")
        #expect(c.s("source") == "CopyDBSnapshot" && c.s("region") == "us-west-2" && c.s("key_arn") == copyKey)
        #expect(c.s("source_snapshot") == "arn:aws:rds:us-east-1:123456789012:snapshot:prod-backup-2024")
        #expect(c.s("resource_identifier") == "prod-db" && c.s("resource_arn") == "arn:aws:rds:us-east-1:123456789012:db:prod-db")
        #expect(c.i64("db_resource_id") == prodID && c.i("encrypted") == 1 && c.s("created_at") == "2024-01-17T11:00:00Z")

        let b = try s.row("SELECT * FROM snapshots WHERE identifier = 'awsbackup:job-0001'")
        #expect(b.i("aws_backup") == 1 && b.s("source") == "CreateDBSnapshot" && b.s("key_arn") == prodKey)
        let j = try s.row("SELECT * FROM snapshots WHERE source = 'StartBackupJob'")
        #expect(j.i("aws_backup") == 1 && j.s("identifier") == "7c5d9f3a-1b2c-4d5e-8f90-123456789abc")
        #expect(j.s("arn") == "arn:aws:rds:us-east-1:123456789012:snapshot:awsbackup:job-7c5d9f3a")
        #expect(j.i64("db_resource_id") == prodID && j.s("key_arn") == prodKey && j.s("created_at") == "2024-01-12T00:00:00Z")

        let d = try s.row("SELECT * FROM snapshots WHERE identifier = 'backup-2024-01-15'")
        #expect(d.s("source") == "inventory" && d.s("created_at") == "2024-01-15T04:10:22Z")
        #expect(d.s("deleted_at") == "2024-01-16T08:15:00Z" && d.s("deleted_event_id") == deleted.eventID)
        #expect(d.s("key_arn") == "arn:aws:kms:us-west-2:123456789012:key/5555aaaa-12ab-34cd-56ef-1234567890ab")
        #expect(d.s("resource_arn") == "arn:aws:rds:us-west-2:123456789012:db:orders-db" && d.i64("db_resource_id") == nil)
        #expect(try s.value("SELECT count(*) FROM snapshots WHERE identifier = 'prod-backup-copy'") == 0 as Int)

        let copyOnly = try s.row("SELECT * FROM keys WHERE key_arn = ?", [copyKey])
        #expect(copyOnly.i("is_database_key") == 0, "a key protecting only a snapshot copy (docs/rules/DECISIONS.md #16)")
        #expect(try s.value("SELECT is_database_key FROM keys WHERE key_arn = ?", [prodKey]) == 1 as Int)
    }

    /// Snapshot events are read in a stream while the final snapshots of deletes are merged in
    /// at their deletes' times: a DeleteDBSnapshot before the instance's delete finds no final
    /// snapshot yet (its own "deleted without creation" row), one after it ends the final snapshot.
    @Test func finalSnapshotsTakeTheirPlaceAmongStreamedSnapshotEvents() throws {
        let s = try StateScenario()
        let finalID = "production-mysql-db-final-snapshot-2024-01-15"
        let finalARN = "arn:aws:rds:us-east-1:123456789012:snapshot:\(finalID)"
        // The real delete with a final snapshot, at 2024-01-15T14:30:00Z in us-east-1.
        let deleteWithFinal = try Real.panther("aws_rds_instance_deletion.tests.json", "RDS Instance Deleted With Final Snapshot")
        func deleteSnapshot(_ id: String, at time: String) throws -> Real {
            try Real.panther("aws_rds_snapshot_deleted.tests.json", "DB Snapshot Deleted").with([
                "eventID": id, "eventTime": time, "awsRegion": "us-east-1",
                "requestParameters.dBSnapshotIdentifier": finalID,
                "responseElements.dBSnapshotIdentifier": finalID, "responseElements.dBSnapshotArn": finalARN,
            ])
        }
        let before = try deleteSnapshot("state-delete-final-before", at: "2024-01-10T00:00:00Z")
        let after = try deleteSnapshot("state-delete-final-after", at: "2024-01-20T00:00:00Z")
        s.add(after, deleteWithFinal, before)
        try s.build()

        let rows = try s.rows("SELECT * FROM snapshots WHERE arn = ? ORDER BY coalesce(created_at, '')", [finalARN])
        try #require(rows.count == 2)
        #expect(rows[0].s("source") == "DeleteDBSnapshot" && rows[0].s("created_event_id") == nil)
        #expect(rows[0].s("deleted_event_id") == before.eventID)
        #expect(rows[1].s("snapshot_type") == "final" && rows[1].s("created_event_id") == deleteWithFinal.eventID)
        #expect(rows[1].s("created_at") == "2024-01-15T14:30:00Z")
        #expect(rows[1].s("deleted_at") == "2024-01-20T00:00:00Z" && rows[1].s("deleted_event_id") == after.eventID)
    }

    // MARK: - Database keys

    @Test func databaseKeyReasonsAndRebuild() throws {
        let s = try StateScenario()
        // A KMS call made for a principal by a service (Secrets Manager in the real record; RDS here).
        let viaRDS = try Real.record("awsdocs-aws-secrets-manager-docs/security-encryption.example1.json").with([
            "userIdentity.invokedBy": "rds.amazonaws.com", "sourceIPAddress": "rds.amazonaws.com",
            "userAgent": "rds.amazonaws.com",
        ])
        let notViaRDS = try Real.record("awsdocs-aws-secrets-manager-docs/security-encryption.example1.json").with([
            "eventID": "state-secrets-call",
            "requestParameters.keyId": "arn:aws:kms:us-east-2:111122223333:key/99990000-12ab-34cd-56ef-1234567890ab",
            "resources": [["ARN": "arn:aws:kms:us-east-2:111122223333:key/99990000-12ab-34cd-56ef-1234567890ab",
                           "accountId": "111122223333", "type": "AWS::KMS::Key"]],
        ])
        let alias = try Real.record("\(Self.kms)/ct-createalias.example1.json")      // alias/ExampleAlias → keyA
        let otherKey = try Real.record("\(Self.kms)/ct-createkey.example2.json")     // keyB
        s.add(viaRDS, notViaRDS, alias, otherKey)
        let configOnly = "arn:aws:kms:eu-west-1:111122223333:key/cf000000-0000-0000-0000-000000000001"
        let first = try s.build(extraKeys: ["alias/ExampleAlias", "0987dcba-09fe-87dc-65ba-ab0987654321", configOnly])

        func reasons(_ key: String) throws -> [String]? {
            StateScenario.json(try s.value("SELECT database_key_reasons FROM keys WHERE key_arn = ?", [key])) as? [String]
        }
        #expect(try reasons("arn:aws:kms:us-east-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab") == ["used-via-rds"])
        #expect(try reasons("arn:aws:kms:us-east-2:111122223333:key/99990000-12ab-34cd-56ef-1234567890ab") == [])
        #expect(try reasons(Self.keyA) == ["config"], "named by alias in the config")
        #expect(try reasons(Self.keyB) == ["config"], "named by key id in the config")
        #expect(try reasons(configOnly) == ["config"], "named only by the config")
        #expect(try s.value("SELECT count(*) FROM keys WHERE is_database_key = 1") == 4 as Int)
        #expect(first.databaseKeys == 4 && first.keys == 5)

        // A rebuild replaces everything: same rows, one more state_builds row.
        let second = try s.rebuild(extraKeys: [])
        #expect(second.keys == 4 && second.databaseKeys == 1, "without the config only the via-RDS key remains")
        #expect(second.buildID == first.buildID + 1)
        let builds: [Row] = try s.rows("SELECT * FROM state_builds ORDER BY id")
        #expect(builds.count == 2)
        let stored = StateScenario.json(builds[1]["summary"]) as? [String: Any]
        #expect(stored?["databaseKeys"] as? Int == 1)
    }

    // MARK: - All real samples

    /// Every real public CloudTrail sample of Fixtures/ingest (as the ingest tests use them), ingested as they are:
    /// the rebuild copes with all their shapes, and the facts a reader sees in them come out.
    @Test func allRealSamplesAsTheyAre() throws {
        let root = try TestSupport.temporaryDirectory()
        _ = try TestSupport.realSampleTree(in: root.appendingPathComponent("in"))
        let database = try AuditDatabase(path: root.appendingPathComponent("audit.sqlite").path)
        _ = try Ingestor(database: database, options: IngestOptions(paths: [root.appendingPathComponent("in").path]),
                         progress: ProgressLine(quiet: true), hooks: .standard).run()
        let summary = try database.queue.write { db in
            try StateBuilder.rebuild(db, options: StateOptions(policyNamesRDSViaService: StateScenario.namesRDSViaService))
        }
        func one(_ sql: String) throws -> Row {
            let rows = try database.queue.read { db in try Row.fetchAll(db, sql: sql) }
            try #require(rows.count == 1, "\(rows.count) rows: \(sql)")
            return rows[0]
        }
        func count(_ sql: String) throws -> Int { try database.queue.read { db in try Int.fetchOne(db, sql: sql) ?? -1 } }

        // Every KMS event is in the view once; a record-resolved one always has a key ARN.
        #expect(try count("SELECT count(*) FROM kms_events") == count("SELECT count(*) FROM events WHERE event_source = 'kms.amazonaws.com'"))
        #expect(try count("SELECT count(*) FROM kms_events WHERE resolution = 'record' AND key_arn NOT GLOB 'arn:*:kms:*:key/*'") == 0)
        #expect(try count("SELECT count(*) FROM kms_events WHERE key_ref GLOB 'alias/*' AND resolution IS NULL") == 0)

        // sumologic: the encrypted cluster; its request named no key, so the key is aws/rds.
        let cluster = try one("SELECT * FROM db_resources WHERE identifier = 'auroramysql57dbcluster02-cluster'")
        #expect(cluster.s("kms_key_arn") == Self.neptuneKey && cluster.s("created_at") == "2018-10-28T08:55:35Z")
        let awsRDS = try one("SELECT * FROM alias_history WHERE alias_name = 'alias/aws/rds' AND account = '951234567898'")
        #expect(awsRDS.s("source") == "rds-response" && awsRDS.s("key_arn") == Self.neptuneKey)
        let key = try one("SELECT * FROM keys WHERE key_arn = '\(Self.neptuneKey)'")
        #expect(StateScenario.json(key.s("database_key_reasons")) as? [String] == ["rds-resource", "aws-rds-default"])

        // elastic: the Aurora cluster modified to 14 days then deleted without a final snapshot;
        // the restored instance, deleted likewise.
        let aurora = try one("SELECT * FROM db_resources WHERE identifier = 'test-cloudtrail-event-instance-31611-cluster'")
        #expect(aurora.i("backup_retention_period") == 14 && aurora.i("skip_final_snapshot") == 1)
        #expect(aurora.s("deleted_at") == "2024-10-10T15:59:45Z")
        let restored = try one("SELECT * FROM db_resources WHERE identifier = 'test-cloudtrail-event-instance-31611-restored'")
        #expect(restored.s("created_at") == "2024-10-10T15:25:07Z" && restored.s("deleted_at") == "2024-10-10T15:59:37Z")
        #expect(restored.s("created_event_id") == "e74a78f8-5411-40ad-b663-05985f8065df")
        let schedule = try one("SELECT * FROM key_state_changes WHERE event_id = 'bf8d383c-5843-48ec-97a2-3c2af7418543'")
        #expect(schedule.s("deletion_date") == "2024-10-21T14:25:29Z")

        // awsdocs: the PutKeyPolicy example is a policy version of its key; the CreateGrant
        // example's grant is never revoked or retired (those examples name another grant).
        #expect(try count("SELECT count(*) FROM key_policies WHERE event_id = 'c217db1f-903f-4a2f-8f88-9580182d6313' AND key_arn = '\(Self.keyA)'") == 1)
        let grant = try one("SELECT * FROM grants WHERE grant_id = 'f020fe75197b93991dc8491d6f19dd3cebb24ee62277a05914386724f3d48758'")
        #expect(grant.s("ended_at") == nil && grant.s("key_arn") == Self.keyA)
        #expect(summary.keys > 0 && summary.dbResources > 0 && summary.snapshots > 0 && summary.keyStateChanges > 0)
    }

    /// Rebuilds the state of an existing database (e.g. one `kmsaudit sample` + `ingest` made) and
    /// prints the summary. Opt-in: KMSAUDIT_STATE_DB=/path/audit.sqlite.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["KMSAUDIT_STATE_DB"] != nil))
    func rebuildGivenDatabase() throws {
        let path = ProcessInfo.processInfo.environment["KMSAUDIT_STATE_DB"]!
        let database = try AuditDatabase(path: path)
        let summary = try database.queue.write { db in
            try StateBuilder.rebuild(db, options: StateOptions(policyNamesRDSViaService: StateScenario.namesRDSViaService))
        }
        print("state: \(summary)")
    }

    // MARK: - Speed

    /// 700,000 events shaped like a busy account (500,000 crypto calls on 200 keys, a third via
    /// RDS; alias-only calls; RDS management and describe calls; grants), made with SQL so the
    /// test measures the rebuild, not ingest. Opt-in: KMSAUDIT_STATE_BENCH=1.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["KMSAUDIT_STATE_BENCH"] != nil))
    func rebuildSpeedOn700kEvents() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let database = try AuditDatabase(path: dir.appendingPathComponent("bench.sqlite").path)
        let pad = String(repeating: "x", count: 500)
        let started = Date()
        try database.queue.write { db in
            try db.execute(sql: """
                INSERT INTO files (id, path, kind, size, mtime_ns, status, ingested_at)
                VALUES (1, '/bench', 'log', 0, 0, 'ok', '2024-01-01T00:00:00Z');
                """)
            // kind: 0 crypto by key ARN, 1 crypto by alias only, 2 RDS describe, 3 RDS create, 4 CreateGrant, 5 alias
            try db.execute(sql: """
                WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 700000),
                e AS (
                    SELECT i, strftime('%Y-%m-%dT%H:%M:%SZ', 1700000000 + i * 20, 'unixepoch') AS t,
                           CASE WHEN i <= 200 THEN 5 WHEN i <= 500000 THEN 0 WHEN i <= 520000 THEN 1 WHEN i <= 695000 THEN 2
                                WHEN i <= 697000 THEN 3 ELSE 4 END AS kind
                      FROM n
                )
                INSERT INTO events (event_id, event_time, event_source, event_name, aws_region, account, principal,
                                    key_ref, key_arn, via_rds, succeeded, file_id, record_index, raw)
                SELECT 'ev-' || i, t,
                       CASE WHEN kind IN (2, 3) THEN 'rds.amazonaws.com' ELSE 'kms.amazonaws.com' END,
                       CASE kind WHEN 0 THEN (CASE i % 2 WHEN 0 THEN 'Decrypt' ELSE 'GenerateDataKey' END)
                                 WHEN 1 THEN 'Encrypt' WHEN 2 THEN 'DescribeDBInstances' WHEN 3 THEN 'CreateDBInstance'
                                 WHEN 4 THEN 'CreateGrant' ELSE 'CreateAlias' END,
                       'us-east-1', '111122223333', 'arn:aws:iam::111122223333:role/app' || (i % 50),
                       CASE kind WHEN 0 THEN 'arn:aws:kms:us-east-1:111122223333:key/k' || (i % 200)
                                 WHEN 1 THEN 'alias/app' || (i % 200)
                                 WHEN 4 THEN 'arn:aws:kms:us-east-1:111122223333:key/k' || (i % 200)
                                 WHEN 5 THEN 'k' || (i % 200) END,
                       CASE WHEN kind IN (0, 4) THEN 'arn:aws:kms:us-east-1:111122223333:key/k' || (i % 200)
                            WHEN kind = 5 THEN 'arn:aws:kms:us-east-1:111122223333:key/k' || (i % 200) END,
                       CASE WHEN kind IN (0, 4) AND i % 3 = 0 THEN 1 ELSE 0 END, 1, 1, i,
                       json_object('eventID', 'ev-' || i, 'eventTime', t, 'userAgent', '\(pad)',
                                   'requestParameters',
                                   CASE kind WHEN 3 THEN json_object('dBInstanceIdentifier', 'db' || i, 'engine', 'neptune',
                                                                     'storageEncrypted', json('true'), 'backupRetentionPeriod', i % 8)
                                             WHEN 4 THEN json_object('granteePrincipal', 'rds.us-east-1.amazonaws.com',
                                                                     'operations', json_array('Decrypt', 'Encrypt'))
                                             WHEN 5 THEN json_object('aliasName', 'alias/app' || (i % 200), 'targetKeyId', 'k' || (i % 200))
                                             ELSE json_object('keyId', 'k' || (i % 200),
                                                              'encryptionContext', json_object('aws:rds:db-id', 'db-ABCDEFGHIJ' || (i % 300)))
                                   END,
                                   'responseElements',
                                   CASE kind WHEN 3 THEN json_object('dBInstanceIdentifier', 'db' || i, 'storageEncrypted', json('true'),
                                                                     'kmsKeyId', 'arn:aws:kms:us-east-1:111122223333:key/k' || (i % 200),
                                                                     'dbiResourceId', 'db-R' || i, 'backupRetentionPeriod', i % 8,
                                                                     'instanceCreateTime', 'Oct 10, 2024 3:18:55 PM')
                                             WHEN 4 THEN json_object('grantId', 'g' || i) END)
                  FROM e
                """)
            try db.execute(sql: "INSERT INTO event_ids_merged (event_id, event_row) SELECT event_id, id FROM events ORDER BY event_id")
        }
        let made = Date().timeIntervalSince(started)
        let rebuildStart = Date()
        let summary = try database.queue.write { db in
            try StateBuilder.rebuild(db, options: StateOptions(policyNamesRDSViaService: { _ in false }))
        }
        let seconds = Date().timeIntervalSince(rebuildStart)
        print("state bench: made 700000 events in \(String(format: "%.1f", made)) s; rebuild \(String(format: "%.2f", seconds)) s; \(summary)")
        #expect(summary.dbResources == 2000 && summary.grants == 3000 && summary.keys == 200)
        #expect(summary.eventsResolvedByAlias == 20000)
        #expect(seconds < 10)
    }
}

// MARK: - Test support

extension Row {
    func s(_ column: String) -> String? { self[column] }
    func i(_ column: String) -> Int? { self[column] }
    func i64(_ column: String) -> Int64? { self[column] }
}

/// A real CloudTrail record from Fixtures/state, parsed with Foundation, to be edited where a
/// test's story needs another time, id or key (the edits are in the tests, the files are as
/// real public samples, see Fixtures/state/README.md).
struct Real {
    var json: [String: Any]

    static func record(_ path: String) throws -> Real {
        let data = try Data(contentsOf: TestSupport.fixture("state/\(path)"))
        return Real(json: try JSONSerialization.jsonObject(with: data) as! [String: Any])
    }

    /// The `Log` of the panther-analysis test case called `name`.
    static func panther(_ file: String, _ name: String) throws -> Real {
        let data = try Data(contentsOf: TestSupport.fixture("state/panther-analysis/\(file)"))
        let cases = try JSONSerialization.jsonObject(with: data) as! [[String: Any]]
        let match = try #require(cases.first { $0["Name"] as? String == name }, "no case \(name) in \(file)")
        return Real(json: match["Log"] as! [String: Any])
    }

    /// Sets members by dotted path (`requestParameters.keyId`); nil removes the member,
    /// `NSNull()` writes JSON null.
    func with(_ changes: KeyValuePairs<String, Any?>) -> Real {
        var copy = json
        for (path, value) in changes {
            Self.set(&copy, path.split(separator: ".")[...], value)
        }
        return Real(json: copy)
    }

    private static func set(_ object: inout [String: Any], _ path: ArraySlice<Substring>, _ value: Any?) {
        let key = String(path.first!)
        if path.count == 1 {
            if let value { object[key] = value } else { object.removeValue(forKey: key) }
            return
        }
        var child = object[key] as? [String: Any] ?? [:]
        set(&child, path.dropFirst(), value)
        object[key] = child
    }

    var eventID: String { json["eventID"] as! String }
}

/// A temporary input tree (one CloudTrail file of records, plus policy and inventory documents
/// from Fixtures/state), ingested through the real `Ingestor` into a real database, then
/// `StateBuilder.rebuild`.
final class StateScenario {
    let root: URL
    private var records: [[String: Any]] = []
    private(set) var database: AuditDatabase!

    init(_ name: String = #function) throws {
        root = try TestSupport.temporaryDirectory("state-" + name)
    }

    func add(_ reals: Real...) { records += reals.map(\.json) }

    /// Copies Fixtures/state/<path> into the input tree, keeping its ACCOUNT/REGION folders.
    func addDocument(_ path: String) throws {
        let target = root.appendingPathComponent("in/\(path)")
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: TestSupport.fixture("state/\(path)"), to: target)
    }

    /// Stand-in for the policy evaluator's answer: a `kms:ViaService` condition naming RDS.
    static let namesRDSViaService: @Sendable (String) -> Bool = { policy in
        policy.contains("kms:ViaService")
            && policy.range(of: #"rds\.[a-z0-9-]+\.amazonaws\.com"#, options: .regularExpression) != nil
    }

    @discardableResult
    func build(extraKeys: [String] = [], viaService: @escaping (String) -> Bool = StateScenario.namesRDSViaService) throws -> StateSummary {
        if !records.isEmpty {
            let file = root.appendingPathComponent("in/logs/111122223333_CloudTrail_us-east-1_20240101T0000Z_state.json")
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try TestSupport.batch(records).write(to: file)
        }
        let dbDir = root.appendingPathComponent("db")
        try FileManager.default.createDirectory(at: dbDir, withIntermediateDirectories: true)
        database = try AuditDatabase(path: dbDir.appendingPathComponent("audit.sqlite").path)
        let ingest = try Ingestor(database: database, options: IngestOptions(paths: [root.appendingPathComponent("in").path]),
                                  progress: ProgressLine(quiet: true), hooks: .standard).run()
        #expect(ingest.filesFailed == 0, "\(ingest.failures)")
        #expect(ingest.eventsStored == records.count, "every record of the story is stored")
        return try rebuild(extraKeys: extraKeys, viaService: viaService)
    }

    @discardableResult
    func rebuild(extraKeys: [String] = [], viaService: @escaping (String) -> Bool = StateScenario.namesRDSViaService) throws -> StateSummary {
        try database.queue.write { db in
            try StateBuilder.rebuild(db, options: StateOptions(extraDatabaseKeys: extraKeys, policyNamesRDSViaService: viaService))
        }
    }

    func rows(_ sql: String, _ arguments: StatementArguments = []) throws -> [Row] {
        try database.queue.read { db in try Row.fetchAll(db, sql: sql, arguments: arguments) }
    }

    func row(_ sql: String, _ arguments: StatementArguments = []) throws -> Row {
        let all = try rows(sql, arguments)
        try #require(all.count == 1, "expected one row, got \(all.count): \(sql)")
        return all[0]
    }

    func value<T: DatabaseValueConvertible>(_ sql: String, _ arguments: StatementArguments = []) throws -> T? {
        try database.queue.read { db in try T.fetchOne(db, sql: sql, arguments: arguments) }
    }

    /// A JSON text column decoded.
    static func json(_ text: String?) -> Any? {
        guard let text else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    }
}
