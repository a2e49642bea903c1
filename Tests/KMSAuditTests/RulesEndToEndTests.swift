import Foundation
import GRDB
import Testing
@testable import KMSAudit

/// sample → ingest → check, compared finding by finding with the generator's
/// expected-findings.json: every planted case found with the right rule, category and severity,
/// and nothing else.
@Suite(.serialized) struct RulesEndToEndTests {
    struct Identity: Hashable, CustomStringConvertible {
        var rule: String, category: String, severity: String, key: String?, principal: String?, resource: String?
        var eventID: String?, eventCount: Int?
        var description: String {
            "\(rule)/\(category)/\(severity) key=\(key ?? "-") principal=\(principal ?? "-") resource=\(resource ?? "-") event=\(eventID ?? "-") count=\(eventCount.map(String.init) ?? "-")"
        }
    }

    /// Rules whose findings are told apart by their resource.
    static let resourceRules: Set<String> = ["KMS-003", "KMS-004", "KMS-005", "KMS-007", "KMS-008"]

    func audit(seed: UInt64, events: Int) throws -> (expected: Set<Identity>, found: Set<Identity>, db: DatabaseQueue, dir: URL) {
        let dir = try TestSupport.temporaryDirectory("rules-\(seed)")
        let trail = dir.appendingPathComponent("trail")
        _ = try SampleGenerator.generate(SampleOptions(outDir: trail.path, events: events, seed: seed, days: 7))
        let dbPath = dir.appendingPathComponent("audit.sqlite").path
        let database = try AuditDatabase(path: dbPath)
        let ingest = try Ingestor(database: database, options: IngestOptions(paths: [trail.path]),
                                  progress: ProgressLine(quiet: true), hooks: .standard).run()
        #expect(ingest.filesFailed == 0)
        var options = CheckOptions()
        options.publicKeysPath = trail.appendingPathComponent("public-keys.json").path
        _ = try CheckRunner.run(database, options)

        let expectedJSON = try JSONSerialization.jsonObject(
            with: Data(contentsOf: trail.appendingPathComponent("expected-findings.json"))) as! [[String: Any]]
        let expected = Set(expectedJSON.map { e -> Identity in
            let rule = e["rule_id"] as! String
            return Identity(rule: rule, category: e["category"] as! String, severity: e["severity"] as! String,
                            key: e["key_arn"] as? String, principal: rule == "KMS-003" ? nil : e["principal"] as? String,
                            resource: Self.resourceRules.contains(rule) ? e["resource"] as? String : nil,
                            eventID: rule == "KMS-004" ? e["event_id"] as? String : nil,
                            eventCount: ["KMS-001", "KMS-002"].contains(rule) ? e["event_count"] as? Int : nil)
        })
        let queue = try DatabaseQueue(path: dbPath)
        let found = try queue.read { db in
            Set(try Row.fetchAll(db, sql: """
                SELECT f.rule_id, f.category, f.severity, f.key_arn, f.principal, f.resource, f.event_count,
                       (SELECT min(event_id) FROM finding_events fe WHERE fe.finding_id = f.id
                          AND fe.event_id IN (SELECT event_id FROM revocations)) AS revocation
                FROM findings f WHERE f.run_id = (SELECT max(id) FROM runs)
                """).map { r -> Identity in
                let rule: String = r["rule_id"]
                return Identity(rule: rule, category: r["category"], severity: r["severity"], key: r["key_arn"],
                                principal: rule == "KMS-003" ? nil : r["principal"],
                                resource: Self.resourceRules.contains(rule) ? r["resource"] : nil,
                                eventID: rule == "KMS-004" ? r["revocation"] : nil,
                                eventCount: ["KMS-001", "KMS-002"].contains(rule) ? r["event_count"] : nil)
            })
        }
        return (expected, found, queue, dir)
    }

    @Test(arguments: [(UInt64(1), 6_000), (UInt64(42), 9_000)])
    func everyPlantedCaseIsFoundAndNothingElse(seed: UInt64, events: Int) throws {
        let result = try audit(seed: seed, events: events)
        let missing = result.expected.subtracting(result.found)
        let extra = result.found.subtracting(result.expected)
        #expect(missing.isEmpty, "missing: \(missing.sorted { $0.description < $1.description })")
        #expect(extra.isEmpty, "unexpected: \(extra.sorted { $0.description < $1.description })")
        #expect(result.expected.count >= 19)

        // Every category and severity docs/rules/ defines is planted and found.
        let combos = Set(result.found.map { "\($0.rule) \($0.category) \($0.severity)" })
        for combo in ["KMS-001 succeeded high", "KMS-001 denied low", "KMS-002 cross-account critical",
                      "KMS-002 policy-drift critical", "KMS-002 root-user high", "KMS-002 root-delegation medium",
                      "KMS-002 not-named high", "KMS-002 not-evaluable medium", "KMS-003 backups-off high",
                      "KMS-003 deleted-without-final-snapshot high", "KMS-003 retention-below-minimum medium",
                      "KMS-005 created-unencrypted high", "KMS-005 created-unencrypted low",
                      "KMS-005 restored-unencrypted high", "KMS-005 replica-unencrypted high",
                      "KMS-005 reported-unencrypted high", "KMS-007 other-account-key high",
                      "KMS-007 aws-managed-key medium", "KMS-008 single-key low", "KMS-008 single-key medium",
                      "KMS-006 rds-cannot-use high", "KMS-006 usable-outside-rds medium", "KMS-006 no-deny-outside-rds low",
                      "KMS-006 grant-not-restricted low", "KMS-006 not-evaluable medium"] {
            #expect(combos.contains(combo), "\(combo) not found")
        }
        for severity in ["critical", "high", "medium"] {
            #expect(result.found.contains { $0.rule == "KMS-004" && $0.severity == severity })
        }
        #expect(result.found.contains { $0.rule == "KMS-003" && $0.severity == "critical" })

        // Databases with a copy under an independent key give nothing: a cross-region replica
        // pair, an AWS Backup copy to another region, snapshot copies (events and inventory).
        for id in ["catalog-db", "catalog-db-replica", "hr-db", "graph-prod", "archive-graph", "search-graph"] {
            #expect(!result.found.contains { $0.rule == "KMS-008" && $0.resource?.hasSuffix(":" + id) == true }, "\(id)")
        }
        try result.db.read { db in
            // The migrated database names its encrypted successor.
            let evidence = try String.fetchOne(db, sql: """
                SELECT evidence FROM findings WHERE run_id = (SELECT max(id) FROM runs) AND rule_id = 'KMS-005'
                   AND resource LIKE '%:db:crm-archive-db'
                """) ?? ""
            #expect(evidence.contains("arn:aws:rds:us-east-1:418295730612:db:crm-archive-db-v2"))
            // KMS-008 lists every backup path with its key.
            let single = try String.fetchOne(db, sql: """
                SELECT evidence FROM findings WHERE run_id = (SELECT max(id) FROM runs) AND rule_id = 'KMS-008'
                   AND resource LIKE '%:db:legacy-crm-db'
                """) ?? ""
            #expect(single.contains("legacy-crm-db-2026-q2"))
        }
    }

    /// `max_independent_copy_age_days: 0`: no snapshot copy or Backup copy job is recent enough,
    /// but a cross-region read replica counts whatever its age (docs/rules/DECISIONS.md #34).
    @Test func copiesAgeButReplicasDoNot() throws {
        let result = try audit(seed: 7, events: 4_000)
        var options = CheckOptions()
        options.config = try AuditConfig.parse("max_independent_copy_age_days: 0\n", file: "c.yaml")
        _ = try CheckRunner.run(try AuditDatabase(path: result.dir.appendingPathComponent("audit.sqlite").path), options)
        let single = try result.db.read { db in
            try String.fetchAll(db, sql: """
                SELECT resource FROM findings WHERE run_id = (SELECT max(id) FROM runs) AND rule_id = 'KMS-008'
                """)
        }
        for id in ["cluster:archive-graph", "cluster:search-graph", "db:hr-db", "cluster:graph-prod"] {
            #expect(single.contains { $0.hasSuffix(":" + id) }, "\(id) has no recent copy")
        }
        for id in ["db:catalog-db", "db:catalog-db-replica"] {
            #expect(!single.contains { $0.hasSuffix(":" + id) }, "\(id): a cross-region replica does not age")
        }
    }

    /// The planted key whose policy is the seed's own example is a database key with a known
    /// policy, used through RDS by its role, and KMS-006 (like every rule) says nothing about it.
    @Test func theSeedPolicyKeyIsJudgedAndGivesNothing() throws {
        let result = try audit(seed: 7, events: 4_000)
        try result.db.read { db in
            let keyARN = try #require(try String.fetchOne(db, sql: """
                SELECT json_extract(raw, '$.responseElements.keyMetadata.arn') FROM events
                WHERE event_name = 'CreateKey' AND json_extract(raw, '$.requestParameters.description') = 'KMS-006 sample: policy-seed'
                """))
            #expect(try Bool.fetchOne(db, sql: "SELECT is_database_key = 1 AND policy_known = 1 FROM keys WHERE key_arn = ?",
                                      arguments: [keyARN]) == true)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM kms_events WHERE key_arn = ? AND via_rds = 1 AND succeeded = 1",
                                     arguments: [keyARN]) == 2)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM findings WHERE key_arn = ?", arguments: [keyARN]) == 0)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM key_policy_judgements WHERE key_arn = ?", arguments: [keyARN]) == 0)
            // Its neighbours are judged: the same run has KMS-006 rows for other planted keys.
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM key_policy_judgements") ?? 0 > 0)
            // KMS-006 evidence names the deciding statement and the policy version.
            let evidence = try #require(try String.fetchOne(db, sql: """
                SELECT evidence FROM findings WHERE rule_id = 'KMS-006' AND category = 'grant-not-restricted'
                  AND principal LIKE '%:role/KeyAdmin' AND run_id = (SELECT max(id) FROM runs) ORDER BY key_arn LIMIT 1
                """))
            let object = try #require(try JSONSerialization.jsonObject(with: Data(evidence.utf8)) as? [String: Any])
            let statements = try #require(object["deciding_statements"] as? [[String: Any]])
            #expect(statements.contains { ($0["sid"] as? String) == "Allow access for Key Administrators" && $0["index"] is Int })
            #expect(object["policy_source"] is String)
            #expect(object["policy_start"] is String)
            // The request asked: CreateGrant outside RDS, not for an AWS resource, by KeyAdmin.
            let context = try #require(object["context"] as? [String: String])
            #expect(context["kms:ViaService"] == "absent")
            #expect(context["kms:GrantIsForAWSResource"] == "false (CreateGrant)")
            #expect(context["aws:PrincipalArn"]?.hasSuffix(":role/KeyAdmin") == true)
        }

        // The config's database_principals adds DBAdmin to the seed key's database principals:
        // the root statement delegates its use there and nothing denies it outside RDS.
        let keyARN = try result.db.read { db in
            try String.fetchOne(db, sql: """
                SELECT json_extract(raw, '$.responseElements.keyMetadata.arn') FROM events
                WHERE event_name = 'CreateKey' AND json_extract(raw, '$.requestParameters.description') = 'KMS-006 sample: policy-seed'
                """) ?? ""
        }
        let dbAdmin = "arn:aws:iam::418295730612:role/DBAdmin"
        var options = CheckOptions()
        options.config = try AuditConfig.parse("database_principals:\n  \(keyARN):\n    - \(dbAdmin)\n", file: "c.yaml")
        let database = try AuditDatabase(path: result.dir.appendingPathComponent("audit.sqlite").path)
        _ = try CheckRunner.run(database, options)
        let rows = try result.db.read { db in
            try Row.fetchAll(db, sql: """
                SELECT category, principal, evidence FROM findings WHERE run_id = (SELECT max(id) FROM runs) AND key_arn = ?
                """, arguments: [keyARN])
        }
        #expect(rows.map { "\($0["category"] as String) \($0["principal"] as String)" } == ["no-deny-outside-rds \(dbAdmin)"])
        #expect((rows.first?["evidence"] as String?)?.contains("config_database_principals") == true)
    }

    @Test func aSecondCheckMarksNothingNewAndKeepsFingerprints() throws {
        let result = try audit(seed: 3, events: 4_000)
        let database = try AuditDatabase(path: result.dir.appendingPathComponent("audit.sqlite").path)
        let second = try CheckRunner.run(database, CheckOptions())
        #expect(second.new == 0)
        try result.db.read { db in
            let runs = try Int64.fetchAll(db, sql: "SELECT id FROM runs ORDER BY id")
            #expect(runs.count == 2)
            let a = Set(try String.fetchAll(db, sql: "SELECT fingerprint FROM findings WHERE run_id = ?", arguments: [runs[0]]))
            let b = Set(try String.fetchAll(db, sql: "SELECT fingerprint FROM findings WHERE run_id = ?", arguments: [runs[1]]))
            #expect(a == b)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM findings WHERE run_id = ? AND is_new = 1", arguments: [runs[1]]) == 0)
        }
    }

    @Test func suppressionsHideFromFailOnButKeepTheFinding() throws {
        let result = try audit(seed: 5, events: 4_000)
        // A finding of the key with the most KMS-001 findings: the others of that key are left
        // for the expired suppression to match.
        let target = try result.db.read { db in
            try Row.fetchOne(db, sql: """
                SELECT rule_id, key_arn, principal, fingerprint FROM findings f WHERE rule_id = 'KMS-001' AND severity = 'high'
                ORDER BY (SELECT count(*) FROM findings g WHERE g.run_id = f.run_id AND g.rule_id = 'KMS-001' AND g.key_arn = f.key_arn) DESC,
                         fingerprint
                LIMIT 1
                """)!
        }
        let key: String = target["key_arn"]
        // What the generator planted: that key's KMS-001 findings, less the one actively suppressed.
        let expectedExpired = result.expected.filter { $0.rule == "KMS-001" && $0.key == key }.count - 1
        #expect(expectedExpired > 0, "the sample must give the expired suppression a finding to match")
        var options = CheckOptions()
        options.config = try AuditConfig.parse("""
            suppressions:
              - rule: KMS-001
                fingerprint: \(String((target["fingerprint"] as String).prefix(12)))
                reason: accepted risk, ticket SEC-1
              - rule: KMS-001
                key: \(target["key_arn"] as String)
                reason: expired one
                expires: 2020-01-01
            """, file: "c.yaml")
        let database = try AuditDatabase(path: result.dir.appendingPathComponent("audit.sqlite").path)
        let summary = try CheckRunner.run(database, options)
        #expect(summary.suppressed == 1)
        try result.db.read { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT suppressed, suppression_reason FROM findings
                WHERE run_id = (SELECT max(id) FROM runs) AND fingerprint = ?
                """, arguments: [target["fingerprint"] as String])
            #expect(row?["suppressed"] as Bool? == true)
            #expect(row?["suppression_reason"] as String? == "accepted risk, ticket SEC-1")
            // The key's other KMS-001 findings matched only the expired suppression: flagged, not suppressed.
            let expired = try Row.fetchAll(db, sql: """
                SELECT rule_id, key_arn, suppressed, suppression_reason FROM findings
                WHERE run_id = (SELECT max(id) FROM runs) AND suppression_expired = 1
                """)
            #expect(expired.count == expectedExpired)
            #expect(expired.allSatisfy { $0["rule_id"] as String == "KMS-001" && $0["key_arn"] as String == key })
            #expect(expired.allSatisfy { $0["suppressed"] as Bool == false && $0["suppression_reason"] as String == "expired one" })
        }
    }
}
