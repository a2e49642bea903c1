import Foundation
import GRDB
import Testing
@testable import KMSAudit

/// The real CloudTrail samples (real public samples, one batch per upstream repository, in Fixtures/ingest)
/// ingest without error and give, file by file, the findings a person reading them expects.
@Suite struct RealWorldExpectationsTests {
    /// What a reader expects of each sample file, and why.
    static let expectations: [(file: String, findings: [String], why: String)] = [
        // KMS-005: test-instance's CreateDBInstance (the record the RDS and Aurora user guides also
        // print) succeeded and its response says storageEncrypted false; it is never deleted.
        // No KMS-007/008: my-database is encrypted under a customer key of its own account and has
        // a KMS-003 finding; replica-instance and production-db are seen only in records that do not
        // state their encryption, and nothing about their source is known (unknown: no finding).
        ("panther-analysis.Records.json.gz",
         ["KMS-003 backups-off high arn:aws:rds:us-west-1:123456789012:db:my-database",
          "KMS-005 created-unencrypted high arn:aws:rds:us-east-1:123456789012:db:test-instance"],
         "aws_rds_master_pass_updated: an encrypted RDS instance (kmsKeyId set) with backupRetentionPeriod 0 and no snapshot"),
        // KMS-007: the CreateDBCluster request sets storageEncrypted true and names no kmsKeyId, so
        // RDS used the account's AWS managed aws/rds key (the response's kmsKeyId is that key).
        // No KMS-008: the cluster has a KMS-003 finding, which KMS-008 leaves to KMS-003.
        ("sumologic-documentation.Records.json.gz",
         ["KMS-003 retention-below-minimum medium arn:aws:rds:us-west-1:951234567898:cluster:auroramysql57dbcluster02-cluster",
          "KMS-007 aws-managed-key medium arn:aws:rds:us-west-1:951234567898:cluster:auroramysql57dbcluster02-cluster"],
         "an encrypted Aurora cluster created with backupRetentionPeriod 1, below the default minimum of 7, under the AWS managed key"),
        ("awsdocs-aws-kms-developer-guide.Records.json.gz", [],
         "KMS doc examples: keys used by EC2, S3, DynamoDB and people, none of them protects an RDS/Neptune resource"),
        // KMS-005: test-cloudtrail-event-instance-14340's CreateDBInstance response says
        // storageEncrypted false (created-unencrypted); test-cloudtrail-event-instance-31611 is
        // seen only in a ModifyDBInstance whose response says storageEncrypted false
        // (reported-unencrypted). Neither is deleted in the sample. The -31611-restored instance and
        // the -31611-cluster are deleted within it, so they are not alive at its end: no finding.
        ("elastic-integrations.Records.json.gz",
         ["KMS-005 created-unencrypted high arn:aws:rds:us-east-1:1010101010101:db:test-cloudtrail-event-instance-14340",
          "KMS-005 reported-unencrypted high arn:aws:rds:us-east-1:000000000:db:test-cloudtrail-event-instance-31611"],
         "real 2024 records: DisableKey and ScheduleKeyDeletion of keys no database uses; RDS resources unencrypted"),
        ("stratus-red-team.Records.json.gz", [], "snapshot sharing: not a key finding"),
        // The two user guides print the same CreateDBInstance record (one eventID) as a Panther
        // test case: it is stored from the first file read (panther-analysis, listed first), the
        // guides hold only duplicates of it.
        ("awsdocs-amazon-rds-user-guide.Records.json.gz", [], "an unencrypted CreateDBInstance (stored from panther-analysis)"),
        ("awsdocs-amazon-aurora-user-guide.Records.json.gz", [], "the same CreateDBInstance (stored from panther-analysis)"),
        ("awsdocs-amazon-dynamodb-developer-guide.Records.json.gz", [], "DynamoDB's KMS use: not a database key"),
        ("awsdocs-aws-secrets-manager-docs.Records.json.gz", [], "Secrets Manager's KMS use: not a database key"),
        ("awsdocs-aws-cloudtrail-user-guide.Records.json.gz", [], "CloudTrail doc examples: no KMS or RDS findings"),
    ]

    @Test func eachSampleGivesTheExpectedFindings() throws {
        let dir = try TestSupport.temporaryDirectory()
        let dbPath = dir.appendingPathComponent("audit.sqlite").path
        var paths: [String] = []
        for e in Self.expectations {
            let target = dir.appendingPathComponent("samples/\(e.file)")
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: TestSupport.fixture("ingest/\(e.file)"), to: target)
            paths.append(target.path)
        }
        let database = try AuditDatabase(path: dbPath)
        let ingest = try Ingestor(database: database, options: IngestOptions(paths: paths), progress: ProgressLine(quiet: true), hooks: .standard).run()
        #expect(ingest.filesFailed == 0)
        #expect(ingest.filesRead == Self.expectations.count)
        // The one record that is not CloudTrail (a hand-written Panther fixture without eventID) is kept aside.
        #expect(ingest.recordsRejected == 1)
        _ = try CheckRunner.run(database, CheckOptions())

        let rows = try database.queue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT f.rule_id || ' ' || f.category || ' ' || f.severity || ' ' || coalesce(f.resource, f.principal, '') AS finding,
                       (SELECT group_concat(DISTINCT fl.path) FROM finding_events fe JOIN events e USING (event_id)
                        JOIN files fl ON fl.id = e.file_id WHERE fe.finding_id = f.id) AS files
                FROM findings f WHERE f.run_id = (SELECT max(id) FROM runs)
                """)
        }
        // KMS-006 (key policy against the recommended pattern) demands nothing of these samples.
        // It judges database keys whose policy is known, and there is none: the two database keys
        // are the kmsKeyId of Panther's aws_rds_master_pass_updated instance (my-database,
        // key/e2c16323-...) and of Sumo Logic's Aurora cluster (auroramysql57dbcluster02, key/9a3d8016-...),
        // and no CreateKey, PutKeyPolicy or policy file for either is in the records; the keys
        // whose policies are known (the KMS developer guide's CreateKey and PutKeyPolicy examples,
        // key/1234abcd-... and key/0987dcba-..., and Panther's PutKeyPolicy on key/xxxxxxxx-...)
        // protect no DB resource, are never called through RDS and their policies have no
        // kms:ViaService condition, so they are not database keys.
        let counts = try database.queue.read { db -> [Int?] in
            [try Int.fetchOne(db, sql: "SELECT count(*) FROM keys WHERE is_database_key = 1"),
             try Int.fetchOne(db, sql: "SELECT count(*) FROM keys WHERE is_database_key = 1 AND policy_known = 1"),
             try Int.fetchOne(db, sql: "SELECT count(DISTINCT key_arn) FROM key_policies"),
             try Int.fetchOne(db, sql: "SELECT count(*) FROM key_policy_judgements")]
        }
        #expect(counts == [2, 0, 3, 0])
        for e in Self.expectations {
            let found = rows.filter { ($0["files"] as String?)?.hasSuffix("/" + e.file) == true }.map { $0["finding"] as String }
            #expect(found.sorted() == e.findings.sorted(), "\(e.file): \(e.why)")
        }
        #expect(rows.count == Self.expectations.reduce(0) { $0 + $1.findings.count })
    }
}
