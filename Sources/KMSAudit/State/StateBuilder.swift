import Foundation
import GRDB

/// What the state builder needs from the caller.
package struct StateOptions {
    /// Keys the config names as database keys: key ARNs, key ids, alias names or alias ARNs.
    package var extraDatabaseKeys: [String]
    /// Whether a key policy (JSON text) has a `kms:ViaService` condition naming
    /// `rds.*.amazonaws.com`. Supplied by the policy evaluator; called once per distinct policy.
    package var policyNamesRDSViaService: (String) -> Bool

    package init(extraDatabaseKeys: [String] = [], policyNamesRDSViaService: @escaping (String) -> Bool) {
        self.extraDatabaseKeys = extraDatabaseKeys
        self.policyNamesRDSViaService = policyNamesRDSViaService
    }
}

/// Row counts of one rebuild (also stored as JSON in `state_builds.summary`).
package struct StateSummary: Codable, Sendable, Equatable {
    package var buildID: Int64 = 0
    package var aliasSegments = 0
    package var eventsResolvedByAlias = 0
    package var eventsUnresolved = 0
    /// `event_keys` was brought up to date rather than rebuilt (`StateEventKeys.swift`), and
    /// how many of its calls were resolved again because their alias changed.
    package var eventKeysKept = false
    package var eventsRekeyed = 0
    /// `state_inputs` was brought up to date rather than copied again (`StateInputs`).
    package var stateInputsKept = false
    package var keys = 0
    package var databaseKeys = 0
    package var keyPolicies = 0
    package var grants = 0
    package var keyStateChanges = 0
    package var dbResources = 0
    package var dbResourceChanges = 0
    package var snapshots = 0
    package var seconds = 0.0

    package init() {}
}

/// Rebuilds the derived-state tables (docs/SCHEMA.md "Derived state") from every stored event,
/// policy file and inventory document: aliases over time, the key each KMS event acts on, keys,
/// key policy versions, grants, key state changes, DB resources and snapshots.
package enum StateBuilder {
    /// Deletes and refills the derived tables (`event_keys` and `state_inputs` are kept and brought
    /// up to date: `StateEventKeys.swift`, `StateInputs`), within the caller's transaction (in a savepoint,
    /// so that a failure leaves the previous state whole even without one). State is learned
    /// from all events, whatever the audit window (docs/rules/DECISIONS.md #7).
    package static func rebuild(_ db: Database, options: StateOptions) throws -> StateSummary {
        var summary = StateSummary()
        try db.inSavepoint {
            let started = Date()
            let build = StateBuild(db: db, options: options)
            try build.run()
            summary = build.summary
            summary.seconds = Date().timeIntervalSince(started)
            let json = String(data: try JSONEncoder().encode(summary), encoding: .utf8)
            try db.execute(sql: "INSERT INTO state_builds (built_at, seconds, summary) VALUES (?, ?, ?)",
                           arguments: [TimeFormats.canonical(Date()), summary.seconds, json])
            summary.buildID = db.lastInsertedRowID
            return .commit
        }
        return summary
    }

    /// Ingest's last step when it stored events: aliases as of time and the key each KMS call
    /// acts on (`alias_history`, `event_keys`) rebuilt from KMS's alias events and alias
    /// inventory, and the resolutions written onto the events. `kms_events` then names every call's key right after ingest, for ad-hoc SQL, and
    /// `check`'s rebuild, which redoes the same, finds nothing left to rewrite. Writing them
    /// is page I/O (a 16 KiB page logged and written per event: 0.3 s for the 9,931 of the 2M
    /// benchmark trail), better spent once while the events are new than in every `check`.
    package static func refreshKeyResolutions(_ db: Database) throws {
        try db.inSavepoint {
            let aliasesBefore = try AliasSegments.read(db)
            try db.execute(sql: "DELETE FROM alias_history")
            let build = StateBuild(db: db, options: StateOptions(policyNamesRDSViaService: { _ in false }))
            // From KMS's alias events and alias inventory only: what RDS responses teach about
            // aliases is left to `check`, which reads every RDS event anyway (here it would be
            // one more pass over them after every ingest).
            try build.buildAliases(rdsFacts: [])
            try build.buildEventKeys(aliasesBefore: aliasesBefore)
            return .commit
        }
    }

    /// The write-back after a kept build: calls stored since the mark (`?`) had no resolution
    /// written yet; a changed alias's calls (`temp.state_rekey`) may gain, change or lose theirs.
    /// Each statement searches `events` by row id, never walks it (`ResolvedKeyColumnTests`
    /// pins the plans); without MATERIALIZED SQLite walks every event to join the few rekeyed.
    static let writeBackSinceStatements = [
        """
        UPDATE events SET resolved_key_arn = NULL, key_resolution = NULL
         WHERE id IN (SELECT id FROM temp.state_rekey) AND key_resolution IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM event_keys k WHERE k.event_rowid = events.id AND k.resolution IS NOT NULL)
        """,
        """
        UPDATE events SET resolved_key_arn = k.key_arn, key_resolution = k.resolution
          FROM event_keys k
         WHERE k.event_rowid > ? AND k.event_rowid = events.id AND k.resolution IS NOT NULL
           AND (events.resolved_key_arn IS NOT k.key_arn OR events.key_resolution IS NOT k.resolution)
        """,
        """
        WITH t AS MATERIALIZED (
            SELECT k.event_rowid, k.key_arn, k.resolution FROM temp.state_rekey r CROSS JOIN event_keys k
             WHERE k.event_rowid = r.id AND k.resolution IS NOT NULL)
        UPDATE events SET resolved_key_arn = t.key_arn, key_resolution = t.resolution
          FROM t
         WHERE t.event_rowid = events.id
           AND (events.resolved_key_arn IS NOT t.key_arn OR events.key_resolution IS NOT t.resolution)
        """,
    ]

    /// Alias resolutions are redone from scratch (aliases change as events arrive) and kept on
    /// the events themselves so that `kms_events` needs no join (migrations v8, v15): in
    /// `resolved_key_arn` and `key_resolution`, never in `key_arn`, which stays the key the
    /// record named. Only the events whose resolution changed are written: re-doing all of them
    /// every night cost ~0.8 s; and only the calls `scope` says may differ are compared.
    static func writeBackKeyResolutions(_ db: Database, scope: KeyResolutionScope) throws {
        switch scope {
        case .everything:
            try db.execute(sql: """
                UPDATE events SET resolved_key_arn = NULL, key_resolution = NULL
                 WHERE key_resolution IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM event_keys k WHERE k.event_rowid = events.id AND k.resolution IS NOT NULL);
                UPDATE events SET resolved_key_arn = k.key_arn, key_resolution = k.resolution
                  FROM event_keys k
                 WHERE k.event_rowid = events.id AND k.resolution IS NOT NULL
                   AND (events.resolved_key_arn IS NOT k.key_arn OR events.key_resolution IS NOT k.resolution);
                """)
        case .since(let through):
            try db.execute(sql: "CREATE TEMP TABLE IF NOT EXISTS state_rekey (id INTEGER PRIMARY KEY)")
            for sql in writeBackSinceStatements {
                try db.execute(sql: sql, arguments: sql.contains("?") ? [through] : [])
            }
        }
        try db.execute(sql: "DROP TABLE IF EXISTS temp.state_rekey")
    }
}

/// One management event of RDS (or AWS Backup) with its request and response parsed.
struct RDSEvent {
    var rowID: Int64
    var eventID: String
    var time: String
    var name: String
    var region: String?
    var account: String?
    var principal: String?
    var invokedBy: String?
    var sourceIP: String?
    var request: JSONFields?
    var response: JSONFields?

    /// A create whose missing `kmsKeyId` means the account's `aws/rds` key.
    var usesDefaultRDSKeyWhenNoKeyGiven: Bool {
        guard StateJSON.string(request, "kmsKeyId") == nil else { return false }
        let encrypted = StateJSON.bool(request, "storageEncrypted") ?? StateJSON.bool(response, "storageEncrypted") ?? false
        guard encrypted else { return false }
        switch name {
        case "CreateDBCluster":
            for k in ["replicationSourceIdentifier", "globalClusterIdentifier", "snapshotIdentifier"]
            where StateJSON.string(request, k) != nil { return false }
            return true
        case "CreateDBInstance":
            return StateJSON.string(request, "dBClusterIdentifier") == nil
        default:
            return false
        }
    }

    /// Called by AWS Backup (docs/rules/DECISIONS.md #11).
    var invokedByBackup: Bool {
        invokedBy == "backup.amazonaws.com" || sourceIP == "backup.amazonaws.com"
    }
}

/// The state of one rebuild.
final class StateBuild {
    let db: Database
    let options: StateOptions
    var summary = StateSummary()
    var aliases = AliasHistory(facts: [])
    var resources: [ResourceRecord] = []
    var resourcesByARN: [String: [ResourceRecord]] = [:]

    static let resourceEventNames = [
        "CreateDBCluster", "RestoreDBClusterFromSnapshot", "RestoreDBClusterToPointInTime", "ModifyDBCluster",
        "DeleteDBCluster", "CreateDBInstance", "RestoreDBInstanceFromDBSnapshot", "RestoreDBInstanceToPointInTime",
        "CreateDBInstanceReadReplica", "ModifyDBInstance", "DeleteDBInstance",
    ]
    static let snapshotEventNames = [
        "CreateDBSnapshot", "CreateDBClusterSnapshot", "CopyDBSnapshot", "CopyDBClusterSnapshot",
        "DeleteDBSnapshot", "DeleteDBClusterSnapshot",
    ]

    init(db: Database, options: StateOptions) {
        self.db = db
        self.options = options
    }

    func run() throws {
        let aliasesBefore = try AliasSegments.read(db)
        for table in StateSchema.derivedTables {
            try db.execute(sql: "DELETE FROM \(table)")
        }
        let trace = ProcessInfo.processInfo.environment["KMSAUDIT_TRACE_STATE"] != nil
        var mark = Date()
        func step(_ name: String) {
            guard trace else { return }
            FileHandle.standardError.write(Data(String(format: "state %@ %.2f s\n", name, Date().timeIntervalSince(mark)).utf8))
            mark = Date()
        }
        summary.stateInputsKept = try StateInputs.refresh(db); step("state-inputs")
        // RDS and Backup events are streamed, one at a time, in the order each step needs:
        // holding them all (with their parsed payloads) took 1.1 GB of `check` at 20M records.
        // This first pass reads every RDS event for what responses say about aliases and what
        // snapshot creates and copies say about their encryption (restores need both, later).
        var aliasFacts: [AliasHistory.Fact] = []
        var snapshotFacts: [String: SnapshotEncryption] = [:]
        try forEachEvent(sql: Self.rdsEventsSQL(names: Self.resourceEventNames + Self.snapshotEventNames)) { ev in
            Self.appendAliasFacts(of: ev, to: &aliasFacts)
            if Self.snapshotEventNames.contains(ev.name) { addSnapshotEncryptionFact(ev, to: &snapshotFacts) }
        }
        step("rds-events")
        try buildAliases(rdsFacts: aliasFacts); step("aliases")
        aliasFacts = []
        try buildEventKeys(aliasesBefore: aliasesBefore); step("event-keys")
        try buildKeyStores(); step("key-stores")
        try buildKeyPolicies(); step("key-policies")
        try buildGrants(); step("grants")
        try buildKeyStateChanges(); step("key-state")
        try addSnapshotInventoryEncryptionFacts(to: &snapshotFacts)
        try buildResources(snapshotFacts: snapshotFacts); step("resources")
        snapshotFacts = [:]
        try buildSnapshots(); step("snapshots")
        try buildCopyJobs(); step("copy-jobs")
        try buildKeys(); step("keys")
        try db.execute(sql: "DROP TABLE IF EXISTS temp.state_key_stores")
    }

    /// Succeeded RDS events of the given names, in time order (ties by row id), from
    /// `state_inputs` (`StateInputs`).
    static func rdsEventsSQL(names: [String]) -> String {
        """
        SELECT \(eventColumns) FROM state_inputs
         WHERE event_name IN (\(names.map { "'\($0)'" }.joined(separator: ","))) AND event_source = 'rds.amazonaws.com'
         ORDER BY event_time, event_rowid
        """
    }

    /// Succeeded AWS Backup events of the given names, in time order (ties by row id).
    static func backupEventsSQL(names: [String]) -> String {
        """
        SELECT \(eventColumns) FROM state_inputs
         WHERE event_name IN (\(names.map { "'\($0)'" }.joined(separator: ","))) AND event_source = 'backup.amazonaws.com'
         ORDER BY event_time, event_rowid
        """
    }

    /// What a pass reads of each event (`state_inputs`' columns, `id` its `events.id`).
    static let eventColumns = """
        event_rowid AS id, event_id, event_time, event_name, aws_region, account, principal, invoked_by, source_ip,
        request_parameters, response_elements
        """

    /// Calls `body` with each event the query selects (`eventColumns`), parsed as it is read;
    /// none is kept.
    func forEachEvent(sql: String, _ body: (RDSEvent) throws -> Void) throws {
        let rows = try Row.fetchCursor(db, sql: sql)
        while let row = try rows.next() {
            try body(RDSEvent(
                rowID: row["id"], eventID: row["event_id"], time: row["event_time"], name: row["event_name"],
                region: row["aws_region"], account: row["account"], principal: row["principal"],
                invokedBy: row["invoked_by"], sourceIP: row["source_ip"],
                request: StateJSON.fields(row.stateText("request_parameters")),
                response: StateJSON.fields(row.stateText("response_elements"))))
        }
    }
}

extension StateBuilder {
    /// State's step after ingest ("key-resolutions"), wired in `IngestHooks.standard`.
    package static let keyResolutionsStep = PostIngestStep(name: "key-resolutions") { db in
        try StateBuilder.refreshKeyResolutions(db)
    }
}
