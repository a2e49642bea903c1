import Foundation
import GRDB
import Testing
@testable import KMSAudit

/// `events.key_arn` is the key the record named, as ingest stored it; an alias's key goes to
/// `resolved_key_arn` (migration v15). Real records (Fixtures/state), the real binary, a real file.
@Suite struct ResolvedKeyColumnTests {
    static let kms = StateBuilderTests.kms
    static let keyA = StateBuilderTests.keyA
    static let keyB = StateBuilderTests.keyB

    /// A call by alias only (the real record lists the key in resources[]; without it the key can
    /// only come from the alias).
    static func useByAlias(_ id: String, at time: String) throws -> Real {
        try Real.record("\(kms)/alias-ct.example1.json")
            .with(["eventID": id, "eventTime": time, "requestParameters.keyId": "alias/ExampleAlias", "resources": nil])
    }

    /// A database from before v15 holds the alias's key in `key_arn` (with `key_resolution`
    /// 'alias'): migrating moves it to `resolved_key_arn` and gives `key_arn` back the record's key
    /// (none: only calls whose record names no key are resolved), leaving the rest alone.
    @Test func migrationMovesOldResolutionsToTheirOwnColumn() throws {
        let dir = try TestSupport.temporaryDirectory()
        let path = dir.appendingPathComponent("v14.sqlite").path
        let queue = try DatabaseQueue(path: path)
        try SchemaMigrations.migrator.migrate(queue, upTo: "v14-policy-judgements")
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO files (id, path, kind, size, mtime_ns, status, ingested_at)
                VALUES (1, '/logs/a.json', 'log', 2, 0, 'ok', '2026-12-01T00:00:00Z');
                INSERT INTO events (id, event_id, event_time, event_source, event_name, principal, key_ref, key_arn,
                                    via_rds, succeeded, file_id, record_index, raw, key_resolution) VALUES
                    (1, 'by-record', '2022-08-20T00:00:00Z', 'kms.amazonaws.com', 'Decrypt', 'p', ?, ?, 1, 1, 1, 0, '{}', NULL),
                    (2, 'by-alias', '2022-08-21T00:00:00Z', 'kms.amazonaws.com', 'Decrypt', 'p', 'alias/ExampleAlias', ?, 1, 1, 1, 1, '{}', 'alias'),
                    (3, 'unresolved', '2022-08-22T00:00:00Z', 'kms.amazonaws.com', 'Decrypt', 'p', 'alias/Gone', NULL, 0, 1, 1, 2, '{}', 'unresolved'),
                    (4, 'rds', '2022-08-23T00:00:00Z', 'rds.amazonaws.com', 'CreateDBCluster', 'p', NULL, NULL, 0, 1, 1, 3, '{}', NULL);
                """, arguments: [Self.keyB, Self.keyB, Self.keyA])
        }
        try SchemaMigrations.migrator.migrate(queue)
        try queue.write { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT event_id, key_arn, resolved_key_arn, key_resolution FROM events ORDER BY id
                """).map { [$0["event_id"], $0["key_arn"], $0["resolved_key_arn"], $0["key_resolution"]] as [String?] }
            #expect(rows == [["by-record", Self.keyB, nil, nil],
                             ["by-alias", nil, Self.keyA, "alias"],
                             ["unresolved", nil, nil, "unresolved"],
                             ["rds", nil, nil, nil]])
            // v16: the IDs moved to event_ids, each naming its row; events keeps its ids.
            let ids = try Row.fetchAll(db, sql: "SELECT event_id, event_row FROM event_ids")
                .map { "\($0["event_id"] as String)=\($0["event_row"] as Int64)" }
            #expect(ids == ["by-alias=2", "by-record=1", "rds=4", "unresolved=3"])
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master WHERE tbl_name = 'events' AND name LIKE 'sqlite_autoindex%'") == 0)
            // The view keeps its documented columns: key_arn the resolved key, record_key_arn the record's.
            let view = try Row.fetchAll(db, sql: "SELECT event_id, key_arn, record_key_arn, resolution FROM kms_events ORDER BY id")
                .map { [$0["event_id"], $0["key_arn"], $0["record_key_arn"], $0["resolution"]] as [String?] }
            #expect(view == [["by-record", Self.keyB, Self.keyB, "record"],
                             ["by-alias", Self.keyA, nil, "alias"],
                             ["unresolved", nil, nil, "unresolved"]])
            // The resolved key stays served by events_key_time (an index on the expression).
            let plan = try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN SELECT event_time FROM kms_events WHERE key_arn = ? AND via_rds = 1",
                                        arguments: [Self.keyA]).map { $0["detail"] as String }
            #expect(plan.contains { $0.contains("USING INDEX events_key_time") }, "\(plan)")
            // Also joined to a text column, as the rules and preparations query it (KMS-001).
            try db.execute(sql: "INSERT INTO keys (key_arn, key_id, is_database_key) VALUES (?, 'k', 1)", arguments: [Self.keyA])
            let joined = try Row.fetchAll(db, sql: """
                EXPLAIN QUERY PLAN SELECT e.event_id FROM keys k CROSS JOIN kms_events e ON e.key_arn = k.key_arn
                WHERE k.is_database_key = 1 AND e.via_rds = 1
                """).map { $0["detail"] as String }
            #expect(joined.contains { $0.contains("SEARCH e USING INDEX events_key_time") }, "\(joined)")
            // KMS-002's read of every call on the database keys (which also counts KMS-006's via-RDS
            // principals) searches events_key_time by key and reads its columns there: never a scan
            // of the table (12 GB of other columns and events at 20M records: DESIGN, "Key-use
            // calls from a covering index").
            let keyUsePlan = try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + KeyUseEvaluation.eventsSQL, arguments: ["9999"])
                .map { $0["detail"] as String }
            #expect(keyUsePlan.contains { $0.hasPrefix("SEARCH events USING INDEX events_key_time") }, "\(keyUsePlan)")
            #expect(!keyUsePlan.contains { $0.hasPrefix("SCAN events") }, "\(keyUsePlan)")
            // A night's read of the calls stored since the last evaluation is a range of row ids,
            // and the earlier calls of keys that became database keys are searched by key.
            let sincePlan = try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + KeyUseEvaluation.callsSinceSQL,
                                             arguments: ["9999", 1, "[\"\(Self.keyA)\"]"])
                .map { $0["detail"] as String }
            #expect(sincePlan.contains { $0.hasPrefix("SEARCH events USING INTEGER PRIMARY KEY (rowid>?)") }, "\(sincePlan)")
            #expect(sincePlan.contains { $0.hasPrefix("SEARCH events USING INDEX events_key_time") }, "\(sincePlan)")
            #expect(!sincePlan.contains { $0.hasPrefix("SCAN events") }, "\(sincePlan)")
            // A kept build's write-back reaches the calls stored since and the rekeyed ones by row
            // id: comparing every resolved call read each one's row (2.9 s of a night's ingest at 20M).
            try db.execute(sql: "CREATE TEMP TABLE state_rekey (id INTEGER PRIMARY KEY)")
            for sql in StateBuilder.writeBackSinceStatements {
                let plan = try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: sql.contains("?") ? [9999] : [])
                    .map { $0["detail"] as String }
                #expect(plan.contains { $0.hasPrefix("SEARCH events USING INTEGER PRIMARY KEY (rowid=?)") }, "\(plan)")
                #expect(!plan.contains { $0.hasPrefix("SCAN events") }, "\(plan)")
            }
            try db.execute(sql: "DROP TABLE temp.state_rekey")
            // The index holds every column the read takes from a call, so no row of the table is
            // fetched (a key whose policy tests the encryption context would fetch its calls' raw text).
            let indexed = try Row.fetchAll(db, sql: "PRAGMA index_xinfo(events_key_time)").compactMap { $0["name"] as String? }
            for column in ["event_time", "principal", "principal_type", "principal_account", "invoked_by", "event_name",
                           "succeeded", "via_rds", "aws_region", "event_id", "shared_event_id"] {
                #expect(indexed.contains(column), "\(column) not in \(indexed)")
            }
            #expect(try String.fetchOne(db, sql: "SELECT event_id FROM kms_events WHERE key_arn = ?", arguments: [Self.keyA]) == "by-alias")
            #expect(try SchemaMigrations.migrator.appliedMigrations(db).last == "v25-event-coverage")
        }
    }

    /// `kmsaudit check` (and a later ingest that moves the alias) re-resolve calls into
    /// `resolved_key_arn` and never write `events.key_arn`: a trigger in the database aborts any
    /// statement that sets it.
    @Test func checkNeverRewritesTheRecordsKey() throws {
        let dir = try TestSupport.temporaryDirectory()
        let logs = dir.appendingPathComponent("in/logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let db = dir.appendingPathComponent("audit.sqlite").path
        let create = try Real.record("\(Self.kms)/ct-createalias.example1.json")  // 2022-08-14T23:08:31Z -> keyA
        let byRecord = try Real.record("\(Self.kms)/alias-ct.example1.json")  // key in resources[]: keyA
        let first = try Self.useByAlias("fd-first", at: "2022-08-20T00:00:00Z")
        let second = try Self.useByAlias("fd-second", at: "2022-09-10T00:00:00Z")
        try TestSupport.batch([create.json, byRecord.json, first.json, second.json])
            .write(to: logs.appendingPathComponent("111122223333_CloudTrail_us-east-1_20240101T0000Z_a.json"))
        let ingest = try TestSupport.kmsaudit(["ingest", logs.path, "--db", db, "--quiet"])
        #expect(ingest.status == 0, "\(ingest.stderr)")

        let queue = try DatabaseQueue(path: db)
        func keys() throws -> [[String?]] {
            try queue.read { db in
                try Row.fetchAll(db, sql: "SELECT event_id, key_arn, resolved_key_arn, key_resolution FROM events ORDER BY event_id")
                    .map { [$0["event_id"], $0["key_arn"], $0["resolved_key_arn"], $0["key_resolution"]] }
            }
        }
        let afterIngest = try keys()
        #expect(afterIngest.first { $0[0] == first.eventID } == [first.eventID, nil, Self.keyA, "alias"])
        #expect(afterIngest.first { $0[0] == byRecord.eventID } == [byRecord.eventID, Self.keyA, nil, nil])
        try queue.write { db in
            try db.execute(sql: """
                CREATE TRIGGER events_key_arn_is_the_records BEFORE UPDATE OF key_arn ON events
                BEGIN SELECT RAISE(ABORT, 'events.key_arn rewritten'); END
                """)
        }

        for _ in 0..<2 {
            let check = try TestSupport.kmsaudit(["check", "--db", db])
            #expect(check.status == 0 || check.status == 1, "\(check.stderr)")
            #expect(try keys() == afterIngest)
        }

        // The next night: the alias moved to keyB on 1 September. Ingest and check re-resolve the
        // later call, into resolved_key_arn.
        let update = try StateBuilderTests.aliasMovedToKeyB()
        try TestSupport.batch([update.json])
            .write(to: logs.appendingPathComponent("111122223333_CloudTrail_us-east-1_20240102T0000Z_b.json"))
        #expect(try TestSupport.kmsaudit(["ingest", logs.path, "--db", db, "--quiet"]).status == 0)
        let check = try TestSupport.kmsaudit(["check", "--db", db])
        #expect(check.status == 0 || check.status == 1, "\(check.stderr)")
        let now = try keys()
        #expect(now.first { $0[0] == second.eventID } == [second.eventID, nil, Self.keyB, "alias"])
        #expect(now.first { $0[0] == first.eventID } == [first.eventID, nil, Self.keyA, "alias"])
        #expect(now.filter { $0[0] != update.eventID } == afterIngest.map { $0[0] == second.eventID ? [second.eventID, nil, Self.keyB, "alias"] : $0 })
        let viaView = try queue.read { db in
            try String.fetchOne(db, sql: "SELECT key_arn FROM kms_events WHERE event_id = ?", arguments: [second.eventID])
        }
        #expect(viaView == Self.keyB)
    }

    /// `audit` ingests without resolving the new calls (its check does: `IngestHooks.checkFollows`):
    /// two nights, the second moving the alias, leave the same keys on the events as `ingest`
    /// then `check` does.
    @Test func auditResolvesTheCallsItIngestsInItsCheck() throws {
        let dir = try TestSupport.temporaryDirectory()
        let logs = dir.appendingPathComponent("in/logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let create = try Real.record("\(Self.kms)/ct-createalias.example1.json")  // 2022-08-14T23:08:31Z -> keyA
        let first = try Self.useByAlias("au-first", at: "2022-08-20T00:00:00Z")
        let second = try Self.useByAlias("au-second", at: "2022-09-10T00:00:00Z")
        let update = try StateBuilderTests.aliasMovedToKeyB()
        let audited = dir.appendingPathComponent("audit.sqlite").path
        let checked = dir.appendingPathComponent("ingest-check.sqlite").path
        func keys(_ path: String) throws -> [[String?]] {
            try DatabaseQueue(path: path).read { db in
                try Row.fetchAll(db, sql: "SELECT event_id, key_arn, resolved_key_arn, key_resolution FROM events ORDER BY event_id")
                    .map { [$0["event_id"], $0["key_arn"], $0["resolved_key_arn"], $0["key_resolution"]] }
            }
        }
        for (night, records) in [[create, first, second], [update]].enumerated() {
            try TestSupport.batch(records.map(\.json))
                .write(to: logs.appendingPathComponent("111122223333_CloudTrail_us-east-1_2024010\(night + 1)T0000Z_n.json"))
            let audit = try TestSupport.kmsaudit(["audit", logs.path, "--db", audited, "--report-dir",
                                                  dir.appendingPathComponent("reports").path, "--fail-on", "critical"])
            #expect(audit.status == 0, "\(audit.stderr)")
            #expect(try TestSupport.kmsaudit(["ingest", logs.path, "--db", checked, "--quiet"]).status == 0)
            let check = try TestSupport.kmsaudit(["check", "--db", checked, "--fail-on", "critical"])
            #expect(check.status == 0, "\(check.stderr)")
            let resolved = try keys(audited)
            #expect(resolved == (try keys(checked)))
            let secondKey = night == 0 ? Self.keyA : Self.keyB
            #expect(resolved.first { $0[0] == "au-second" } == ["au-second", nil, secondKey, "alias"])
            #expect(resolved.first { $0[0] == "au-first" } == ["au-first", nil, Self.keyA, "alias"])
        }
    }
}

/// The stages' schemas, collected by the Store: the migrations every existing database has
/// recorded keep their identifiers and order (GRDB would run a renamed one again).
@Suite struct SchemaRegistrationTests {
    /// A migration that touches no table (views, indexes) skips GRDB's whole-database foreign key
    /// check, which took 8.8 s of the first audit after v24 at 20M records. From v24 on; earlier
    /// ones shipped as they are.
    @Test func migrationsWithoutTableChangesSkipTheWholeDatabaseCheck() {
        for migration in SchemaMigrations.migrations where migration.version >= 24 {
            let sql = migration.parts.map(\.sql).joined(separator: "\n").uppercased()
            let changesTables = ["CREATE TABLE", "ALTER TABLE", "DROP TABLE"].contains { sql.contains($0) }
            if !changesTables {
                #expect(migration.parts.allSatisfy { $0.foreignKeyChecks == .immediate }, "\(migration.identifier)")
            }
        }
    }

    @Test func migrationIdentifiersAndOrderAreThoseShipped() throws {
        let shipped = ["v1-ingest", "v2-documents-digests", "v3-state", "v4-findings", "v5-integrity",
                       "v6-evaluations", "v7-views", "v8-resolved-keys", "v9-covering-key-index", "v10-seed-controls",
                       "v11-grant-documents", "v12-databases-view", "v13-run-texts", "v14-policy-judgements",
                       "v15-resolved-key-column", "v16-event-id-table", "v17-rds-principals", "v18-key-use-index", "v19-account-region-index",
                       "v20-state-progress", "v21-state-inputs", "v22-event-ids-recent", "v23-key-use-progress",
                       "v24-databases-view-counted", "v25-event-coverage"]
        #expect(SchemaMigrations.migrator.migrations == shipped)
        // A migration shared by two stages runs the Store's part first (v2: documents, then the digest
        // tables; v11: documents rebuilt, then grants), as the single migration did.
        let stages = { (v: Int) in SchemaMigrations.stages.filter { $0.parts.contains { $0.version == v } }.map(\.stage) }
        #expect(stages(2) == ["Store", "Integrity"])
        #expect(stages(11) == ["Store", "State"])
        #expect(stages(15) == ["State"])

        let dir = try TestSupport.temporaryDirectory()
        let queue = try DatabaseQueue(path: dir.appendingPathComponent("fresh.sqlite").path)
        try SchemaMigrations.migrator.migrate(queue)
        try queue.read { (db: Database) throws in
            #expect(try SchemaMigrations.migrator.appliedIdentifiers(db) == Set(shipped))
            for table in ["files", "events", "documents", "digests", "digest_log_files", "keys", "grants", "findings",
                          "integrity_results", "key_policy_judgements"] {
                #expect(try db.tableExists(table), "\(table)")
            }
            for view in ["kms_events", "current_db_resources", "database_overview", "latest_findings"] {
                #expect(try db.viewExists(view), "\(view)")
            }
        }
    }
}
