import Foundation
import GRDB

/// KMS-004's precomputation (and KMS-003's critical uplift): every succeeded event that cuts RDS
/// off from a database key while a live DB resource depends on it, when (if ever) it was undone,
/// and which resources it exposed with the backups they had. Fills `revocations` and
/// `revocation_exposures`.
struct RevocationAnalysis: RulePreparation {
    let name = "revocation-analysis"

    /// Key state events that cut RDS off, and what undoes each (docs/rules/DECISIONS.md #12).
    static let keyStateRevocations: [String: (undo: [String], note: String)] = [
        "DisableKey": (["EnableKey"], "key disabled"),
        "ScheduleKeyDeletion": (["CancelKeyDeletion+EnableKey"], "key scheduled for deletion"),
        "DeleteImportedKeyMaterial": (["ImportKeyMaterial"], "imported key material deleted"),
        "DeleteExpiredKeyMaterial": (["ImportKeyMaterial"], "imported key material expired"),
        "DisconnectCustomKeyStore": (["ConnectCustomKeyStore"], "custom key store disconnected"),
    ]

    func prepare(_ db: Database, _ context: CheckContext) throws {
        try db.execute(sql: "DELETE FROM revocation_exposures")
        try db.execute(sql: "DELETE FROM revocations")
        var found: [Revocation] = []
        found += try keyStateChanges(db)
        found += try revokedGrants(db)
        found += try policyChanges(db)
        for r in found {
            let exposures = try Self.exposures(db, keyARN: r.keyARN, at: r.time)
            guard !exposures.isEmpty else { continue }  // nothing depended on the key then
            try db.execute(sql: """
                INSERT OR REPLACE INTO revocations (event_id, key_arn, event_name, event_time, principal, detail,
                    undone_at, undone_by_event_id, undone_by)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [r.eventID, r.keyARN, r.eventName, r.time, r.principal, Self.json(r.detail),
                                 r.undoneAt, r.undoneByEventID, r.undoneBy])
            for x in exposures {
                try db.execute(sql: """
                    INSERT OR REPLACE INTO revocation_exposures (revocation_event_id, resource_arn, db_resource_id, engine,
                        kind, backups, has_other_key_backup) VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [r.eventID, x.arn, x.id, x.engine, x.kind, Self.json(x.backups), x.hasOtherKeyBackup])
            }
        }
    }

    struct Revocation {
        var eventID: String
        var keyARN: String
        var eventName: String
        var time: String
        var principal: String
        var detail: [String: Any] = [:]
        var undoneAt: String?
        var undoneByEventID: String?
        var undoneBy: String?
    }

    // MARK: - Key state

    private func keyStateChanges(_ db: Database) throws -> [Revocation] {
        let rows = try Row.fetchAll(db, sql: """
            SELECT c.key_arn, c.event_time, c.event_name, c.event_id, c.principal, c.deletion_date,
                   c.pending_window_days, c.custom_key_store_id
            FROM key_state_changes c JOIN keys k ON k.key_arn = c.key_arn AND k.is_database_key = 1
            WHERE c.event_name IN (\(Self.keyStateRevocations.keys.map { "'\($0)'" }.joined(separator: ",")))
            UNION ALL
            SELECT k.key_arn, c.event_time, c.event_name, c.event_id, c.principal, NULL, NULL, c.custom_key_store_id
            FROM key_state_changes c JOIN keys k ON k.custom_key_store_id = c.custom_key_store_id AND k.is_database_key = 1
            WHERE c.event_name = 'DisconnectCustomKeyStore' AND c.key_arn IS NULL
            ORDER BY 2
            """)
        return try rows.map { row in
            let name: String = row["event_name"]
            var r = Revocation(eventID: row["event_id"], keyARN: row["key_arn"], eventName: name, time: row["event_time"],
                               principal: row["principal"] ?? "unknown")
            r.detail["what"] = Self.keyStateRevocations[name]?.note
            if let d: String = row["deletion_date"] { r.detail["deletion_date"] = d }
            if let w: Int = row["pending_window_days"] { r.detail["pending_window_days"] = w }
            try undoKeyState(db, &r)
            return r
        }
    }

    /// EnableKey after DisableKey; CancelKeyDeletion then EnableKey after ScheduleKeyDeletion
    /// (a cancelled deletion leaves the key disabled); re-import; reconnect.
    private func undoKeyState(_ db: Database, _ r: inout Revocation) throws {
        func next(_ names: [String], after time: String) throws -> Row? {
            try Row.fetchOne(db, sql: """
                SELECT event_time, event_id, principal FROM key_state_changes
                WHERE key_arn = ? AND event_time >= ? AND event_id <> ? AND event_name IN (\(names.map { "'\($0)'" }.joined(separator: ",")))
                ORDER BY event_time LIMIT 1
                """, arguments: [r.keyARN, time, r.eventID])
        }
        func nextEvent(_ name: String, after time: String) throws -> Row? {
            try Row.fetchOne(db, sql: """
                SELECT event_time, event_id, principal FROM kms_events
                WHERE key_arn = ? AND event_name = ? AND succeeded = 1 AND event_time >= ? ORDER BY event_time LIMIT 1
                """, arguments: [r.keyARN, name, time])
        }
        var undo: Row?
        switch r.eventName {
        case "DisableKey":
            undo = try next(["EnableKey"], after: r.time)
        case "ScheduleKeyDeletion":
            if let cancel = try next(["CancelKeyDeletion", "DeleteKey"], after: r.time),
               try String.fetchOne(db, sql: "SELECT event_name FROM key_state_changes WHERE event_id = ?",
                                   arguments: [cancel["event_id"] as String]) == "CancelKeyDeletion" {
                r.detail["deletion_cancelled_at"] = cancel["event_time"] as String
                undo = try next(["EnableKey"], after: cancel["event_time"])
            }
        case "DeleteImportedKeyMaterial", "DeleteExpiredKeyMaterial":
            undo = try nextEvent("ImportKeyMaterial", after: r.time)
        case "DisconnectCustomKeyStore":
            undo = try nextEvent("ConnectCustomKeyStore", after: r.time)
        default:
            break
        }
        if let undo {
            r.undoneAt = undo["event_time"]
            r.undoneByEventID = undo["event_id"]
            r.undoneBy = undo["principal"]
        }
    }

    // MARK: - Grants

    /// RevokeGrant/RetireGrant of a grant whose grantee is RDS or that was created via RDS;
    /// undone by a later grant to RDS on the same key.
    private func revokedGrants(_ db: Database) throws -> [Revocation] {
        let rows = try Row.fetchAll(db, sql: """
            SELECT g.grant_id, g.key_arn, g.grantee_principal, g.operations, g.ended_at, g.ended_by, g.ended_event_id,
                   g.ended_principal, g.created_at, g.created_via_rds
            FROM grants g JOIN keys k ON k.key_arn = g.key_arn AND k.is_database_key = 1
            WHERE g.ended_at IS NOT NULL AND g.ended_event_id IS NOT NULL
              AND (g.grantee_is_rds = 1 OR g.created_via_rds = 1)
            ORDER BY g.ended_at
            """)
        return try rows.map { row in
            var r = Revocation(eventID: row["ended_event_id"], keyARN: row["key_arn"], eventName: row["ended_by"],
                               time: row["ended_at"], principal: row["ended_principal"] ?? "unknown")
            r.detail["what"] = "grant to RDS ended"
            r.detail["grant_id"] = row["grant_id"] as String
            r.detail["grantee"] = row["grantee_principal"] as String?
            r.detail["operations"] = (try? JSONSerialization.jsonObject(with: Data((row["operations"] as String? ?? "[]").utf8))) ?? []
            if let again = try Row.fetchOne(db, sql: """
                SELECT created_at, created_event_id, created_by FROM grants
                WHERE key_arn = ? AND created_at > ? AND (grantee_is_rds = 1 OR created_via_rds = 1)
                ORDER BY created_at LIMIT 1
                """, arguments: [r.keyARN, r.time]) {
                r.undoneAt = again["created_at"]
                r.undoneByEventID = again["created_event_id"]
                r.undoneBy = again["created_by"]
            }
            return r
        }
    }

    // MARK: - Policy changes

    /// A PutKeyPolicy whose new policy no longer lets the principals that used the key via RDS
    /// (or RDS itself) do what RDS needs (docs/rules/DECISIONS.md #9); undone by a later policy that
    /// allows them again.
    private func policyChanges(_ db: Database) throws -> [Revocation] {
        let versions = try Row.fetchAll(db, sql: """
            SELECT p.key_arn, p.valid_from, p.source, p.event_id, p.principal, p.policy, k.region, k.account
            FROM key_policies p JOIN keys k ON k.key_arn = p.key_arn AND k.is_database_key = 1
            ORDER BY p.key_arn, p.valid_from
            """)
        var byKey: [String: [Row]] = [:]
        for v in versions { byKey[v["key_arn"] as String, default: []].append(v) }
        var found: [Revocation] = []
        for (keyARN, list) in byKey {
            for (i, version) in list.enumerated() where (version["source"] as String) == "PutKeyPolicy" && i > 0 {
                guard let time: String = version["valid_from"], let eventID: String = version["event_id"],
                      let newPolicy = Self.policy(version, keyARN: keyARN) else { continue }
                let previous = Self.policy(list[i - 1], keyARN: keyARN)
                let region: String = version["region"] ?? "us-east-1"
                var users = try Self.rdsUsers(db, keyARN: keyARN, before: time)
                if users.isEmpty, let previous { users = RDSKeyAccess.users(fromViaServiceStatementsOf: previous, keyArn: keyARN) }
                guard !users.isEmpty else { continue }
                let losses = RDSKeyAccess.lostAccess(previous: previous, new: newPolicy, users: users, region: region, keyArn: keyARN)
                guard !losses.isEmpty else { continue }
                var r = Revocation(eventID: eventID, keyARN: keyARN, eventName: "PutKeyPolicy", time: time,
                                   principal: version["principal"] ?? "unknown")
                r.detail["what"] = "key policy no longer lets RDS use the key"
                r.detail["lost_access"] = losses.map { ["principal": $0.user.principalArn, "actions": $0.actions] }
                // Undone when a later version gives the same users their access back.
                for later in list[(i + 1)...] {
                    guard let laterPolicy = Self.policy(later, keyARN: keyARN) else { continue }
                    if RDSKeyAccess.lostAccess(previous: previous, new: laterPolicy, users: users, region: region, keyArn: keyARN).isEmpty {
                        r.undoneAt = later["valid_from"]
                        r.undoneByEventID = later["event_id"]
                        r.undoneBy = later["principal"]
                        break
                    }
                }
                found.append(r)
            }
        }
        return found
    }

    /// Principals of succeeded via-RDS calls on the key before `time`, plus RDS itself.
    static func rdsUsers(_ db: Database, keyARN: String, before time: String) throws -> [RDSKeyUser] {
        let rows = try Row.fetchAll(db, sql: """
            SELECT DISTINCT principal, principal_account, principal_type FROM kms_events
            WHERE key_arn = ? AND via_rds = 1 AND succeeded = 1 AND event_time < ?
            """, arguments: [keyARN, time])
        var users: [RDSKeyUser] = rows.map { row in
            (row["principal_type"] as String?) == "AWSService"
                ? RDSKeyUser.service(row["principal"]) : RDSKeyUser(principalArn: row["principal"], account: row["principal_account"])
        }
        if !users.isEmpty && !users.contains(where: { $0.servicePrincipal != nil }) { users.append(.service("rds.amazonaws.com")) }
        return users
    }

    static func policy(_ row: Row, keyARN: String) -> KeyPolicy? {
        if let text: String = row["policy"] { return try? KeyPolicy(json: text) }
        return KeyPolicy.awsDefault(account: PrincipalResolver.accountOf(arn: keyARN) ?? "")
    }

    // MARK: - Exposure

    struct Exposure {
        var id: Int64
        var arn: String
        var engine: String?
        var kind: String
        var backups: [[String: Any]]
        var hasOtherKeyBackup: Bool
    }

    /// DB resources alive at `time` and encrypted with the key; member instances of a cluster
    /// are represented by their cluster (docs/rules/DECISIONS.md #10). Backups that existed then.
    static func exposures(_ db: Database, keyARN: String, at time: String) throws -> [Exposure] {
        let resources = try Row.fetchAll(db, sql: """
            SELECT id, arn, engine, kind FROM db_resources
            WHERE kms_key_arn = ? AND storage_encrypted = 1
              AND (created_at IS NULL OR created_at <= ?) AND (deleted_at IS NULL OR deleted_at > ?)
              AND NOT (kind = 'instance' AND cluster_identifier IS NOT NULL)
            ORDER BY arn
            """, arguments: [keyARN, time, time])
        return try resources.map { row in
            let id: Int64 = row["id"]
            let arn: String = row["arn"]
            let snapshots = try Row.fetchAll(db, sql: """
                SELECT identifier, arn, key_arn, created_at, source, aws_backup FROM snapshots
                WHERE (db_resource_id = ? OR resource_arn = ?) AND (created_at IS NULL OR created_at <= ?)
                  AND (deleted_at IS NULL OR deleted_at > ?)
                ORDER BY created_at
                """, arguments: [id, arn, time, time])
            let backups: [[String: Any]] = snapshots.map { s in
                ["snapshot": (s["arn"] as String?) ?? (s["identifier"] as String), "key_arn": (s["key_arn"] as String?) ?? NSNull(),
                 "created_at": (s["created_at"] as String?) ?? NSNull(), "source": s["source"] as String,
                 "same_key": (s["key_arn"] as String?) == keyARN]
            }
            let other = snapshots.contains { s in
                guard let k: String = s["key_arn"] else { return false }
                return k != keyARN
            }
            return Exposure(id: id, arn: arn, engine: row["engine"], kind: row["kind"], backups: backups, hasOtherKeyBackup: other)
        }
    }

    static func json(_ object: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
