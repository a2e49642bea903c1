import Foundation
import GRDB
import Testing
@testable import KMSAudit

/// `key_rds_principals` (who used each database key through RDS, KMS-006's database principals)
/// is counted inside key-use evaluation's pass over the calls. It must equal what its definition
/// says in SQL, including the calls that test each condition: a generated trail, ingested and
/// checked for real, plus copies of one of its via-RDS calls changed one column at a time.
@Suite struct RDSPrincipalsTests {
    /// The definition, as a query of its own over the events (what KMS-006 ran before the count
    /// moved into key-use evaluation).
    static let definition = """
        SELECT CAST(coalesce(e.key_arn, e.resolved_key_arn) AS TEXT) AS key_arn, e.principal, count(*) AS calls
        FROM events e
        WHERE e.event_source = 'kms.amazonaws.com'
          AND CAST(coalesce(e.key_arn, e.resolved_key_arn) AS TEXT) IN (SELECT key_arn FROM keys WHERE is_database_key = 1)
          AND e.via_rds = 1 AND e.succeeded = 1 AND e.event_time <= ?
          AND coalesce(e.principal_type, '') <> 'AWSService' AND e.principal LIKE 'arn:%'
        GROUP BY 1, 2
        """

    @Test func theCountInKeyUseEvaluationEqualsItsDefinition() throws {
        let dir = try TestSupport.temporaryDirectory()
        let trail = dir.appendingPathComponent("trail")
        _ = try SampleGenerator.generate(SampleOptions(outDir: trail.path, events: 6_000, seed: 3, days: 7))
        let dbPath = dir.appendingPathComponent("audit.sqlite").path
        let database = try AuditDatabase(path: dbPath)
        _ = try Ingestor(database: database, options: IngestOptions(paths: [trail.path]),
                         progress: ProgressLine(quiet: true), hooks: .standard).run()
        let first = try CheckRunner.run(database, CheckOptions())
        let end = try #require(first.windowEnd)

        // Copies of one via-RDS call by a role, each changing what one condition tests.
        let shouty = "ARN:aws:iam::111122223333:role/UpperCaseScheme"
        let outsiderRole = "arn:aws:iam::999988887777:role/Outsider"
        let outsider = "principal = '\(outsiderRole)', principal_account = '999988887777'"
        let before = try database.queue.write { db in
            let original = try #require(try Row.fetchOne(db, sql: """
                SELECT e.id, CAST(coalesce(e.key_arn, e.resolved_key_arn) AS TEXT) AS key_arn, e.principal
                FROM events e JOIN keys k ON k.key_arn = CAST(coalesce(e.key_arn, e.resolved_key_arn) AS TEXT)
                WHERE k.is_database_key = 1 AND e.via_rds = 1 AND e.succeeded = 1 AND e.principal LIKE 'arn:%role/%'
                  AND e.event_source = 'kms.amazonaws.com'
                ORDER BY e.id LIMIT 1
                """))
            let calls = try #require(try Int.fetchOne(db, sql: "SELECT calls FROM key_rds_principals WHERE key_arn = ? AND principal = ?",
                                                      arguments: [original["key_arn"] as String, original["principal"] as String]))
            let variants: [(String, String)] = [
                ("failed", "succeeded = 0"),
                ("after-window", "event_time = '9999-01-01T00:00:00Z'"),
                ("service-caller", "principal_type = 'AWSService'"),
                ("not-an-arn", "principal = 'rds.amazonaws.com', principal_type = NULL"),
                ("upper-case-arn", "principal = '\(shouty)'"),
                // Two calls key-use evaluation does not judge, by an outsider it would judge
                // cross-account (and store) if it did; both still count as use through RDS.
                ("create-key", "event_name = 'CreateKey', \(outsider)"),
                ("no-type-no-invoker", "principal_type = NULL, invoked_by = NULL, \(outsider)"),
                ("not-via-rds", "via_rds = 0"),
            ]
            // The stored columns (table_info leaves the generated ones out).
            let columns = try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info('events')").joined(separator: ", ")
            for (name, change) in variants {
                try db.execute(sql: "CREATE TEMP TABLE variant AS SELECT \(columns) FROM events WHERE id = ?", arguments: [original["id"] as Int64])
                try db.execute(sql: "UPDATE variant SET id = (SELECT max(id) + 1 FROM events), event_id = ?, \(change)",
                               arguments: ["variant-\(name)"])
                try db.execute(sql: "INSERT INTO events (\(columns)) SELECT * FROM variant; DROP TABLE variant")
            }
            return (key: original["key_arn"] as String, principal: original["principal"] as String, calls: calls)
        }
        var options = CheckOptions()
        options.until = end
        _ = try CheckRunner.run(database, options)

        try database.queue.read { db in
            let counted = try Row.fetchAll(db, sql: "SELECT key_arn, principal, calls FROM key_rds_principals")
                .map { "\($0["key_arn"] as String) \($0["principal"] as String) \($0["calls"] as Int)" }.sorted()
            let defined = try Row.fetchAll(db, sql: Self.definition, arguments: [end])
                .map { "\($0["key_arn"] as String) \($0["principal"] as String) \($0["calls"] as Int)" }.sorted()
            #expect(counted.count > 1)
            #expect(counted == defined)
            // LIKE folds ASCII case, so the upper-case scheme counts; the variants that fail a
            // condition added nothing to the original's principal; the unjudged calls count.
            #expect(counted.contains { $0.hasSuffix(" \(shouty) 1") })
            #expect(counted.contains("\(before.key) \(before.principal) \(before.calls)"))
            #expect(counted.contains("\(before.key) \(outsiderRole) 2"))
            // ...and are not judged: judged, the outsider's calls would be stored as cross-account.
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM key_use_evaluations WHERE event_id IN ('variant-create-key', 'variant-no-type-no-invoker')") == 0)
            // KMS-006 read the count: every judgement that lists via-RDS calls names counted principals.
            for detail in try String.fetchAll(db, sql: "SELECT detail FROM key_policy_judgements WHERE detail LIKE '%via_rds_calls%'") {
                let object = try #require(try JSONSerialization.jsonObject(with: Data(detail.utf8)) as? [String: Any])
                for call in object["via_rds_calls"] as? [[String: Any]] ?? [] {
                    #expect(counted.contains { $0.contains(" \(call["principal"] as! String) \(call["calls"] as! Int)") })
                }
            }
        }
    }
}
