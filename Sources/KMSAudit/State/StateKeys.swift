import Foundation
import GRDB

extension StateBuild {
    /// Which custom key store each key lives in (CreateKey events, describe-key inventory), for
    /// `DisconnectCustomKeyStore`; and CreateKey facts for `keys`.
    func buildKeyStores() throws {
        try db.execute(sql: """
            DROP TABLE IF EXISTS temp.state_created_keys;
            CREATE TEMP TABLE state_created_keys AS
            SELECT coalesce(json_extract(e.raw, '$.responseElements.keyMetadata.arn'), e.key_arn) AS key_arn,
                   e.event_time, e.event_id, e.principal,
                   coalesce(json_extract(e.raw, '$.responseElements.keyMetadata.customKeyStoreId'),
                            json_extract(e.raw, '$.requestParameters.customKeyStoreId')) AS custom_key_store_id,
                   json_extract(e.raw, '$.responseElements.keyMetadata.keyManager') AS key_manager,
                   e.id AS event_rowid
              FROM events e
             WHERE e.event_name = 'CreateKey' AND e.event_source = 'kms.amazonaws.com' AND e.succeeded = 1;
            CREATE INDEX temp.state_created_keys_key ON state_created_keys(key_arn, event_time);

            DROP TABLE IF EXISTS temp.state_key_metadata;
            CREATE TEMP TABLE state_key_metadata AS
            SELECT d.file_id,
                   json_extract(d.content, '$.KeyMetadata.Arn') AS key_arn,
                   json_extract(d.content, '$.KeyMetadata.CreationDate') AS creation_date,
                   json_extract(d.content, '$.KeyMetadata.KeyManager') AS key_manager,
                   json_extract(d.content, '$.KeyMetadata.KeyState') AS key_state,
                   json_extract(d.content, '$.KeyMetadata.CustomKeyStoreId') AS custom_key_store_id,
                   json_extract(d.content, '$.KeyMetadata.Description') AS description
              FROM (SELECT file_id, content FROM documents WHERE kind = 'key-metadata' AND json_valid(content)) d
             WHERE json_type(d.content, '$.KeyMetadata.Arn') = 'text';

            DROP TABLE IF EXISTS temp.state_key_stores;
            CREATE TEMP TABLE state_key_stores AS
            SELECT DISTINCT key_arn, custom_key_store_id FROM (
                SELECT key_arn, custom_key_store_id FROM state_created_keys
                UNION SELECT key_arn, custom_key_store_id FROM state_key_metadata
            ) WHERE key_arn IS NOT NULL AND custom_key_store_id IS NOT NULL;
            """)
    }

    /// `key_policies`: CreateKey (its `policy`, or AWS's default policy when it has none) and
    /// PutKeyPolicy events that succeeded, and policy files, which hold from the beginning of time
    /// until the key's first policy event (docs/rules/DECISIONS.md #7).
    func buildKeyPolicies() throws {
        try db.execute(sql: """
            INSERT INTO key_policies (key_arn, valid_from, source, event_id, principal, policy)
            SELECT key_arn, event_time, source, event_id, principal, policy FROM (
                SELECT coalesce(CASE WHEN e.event_name = 'CreateKey'
                                     THEN json_extract(e.raw, '$.responseElements.keyMetadata.arn') END,
                                iif(k.event_rowid IS NULL, e.key_arn, k.key_arn)) AS key_arn,
                       e.event_time, e.id,
                       CASE WHEN e.event_name = 'PutKeyPolicy' THEN 'PutKeyPolicy'
                            WHEN json_extract(e.raw, '$.requestParameters.policy') IS NULL THEN 'default'
                            ELSE 'CreateKey' END AS source,
                       e.event_id, e.principal,
                       CAST(json_extract(e.raw, '$.requestParameters.policy') AS TEXT) AS policy
                  FROM events e LEFT JOIN event_keys k ON k.event_rowid = e.id
                 WHERE e.event_name IN ('CreateKey', 'PutKeyPolicy') AND e.event_source = 'kms.amazonaws.com'
                   AND e.succeeded = 1
            )
             WHERE key_arn IS NOT NULL AND (source <> 'PutKeyPolicy' OR policy IS NOT NULL)
             ORDER BY event_time, id;

            UPDATE key_policies SET valid_to = (
                SELECT min(p.valid_from) FROM key_policies p
                 WHERE p.key_arn = key_policies.key_arn
                   AND (p.valid_from > key_policies.valid_from OR (p.valid_from = key_policies.valid_from AND p.id > key_policies.id)));

            INSERT INTO key_policies (key_arn, valid_from, valid_to, source, file_id, policy)
            SELECT d.key_arn, NULL,
                   (SELECT min(p.valid_from) FROM key_policies p WHERE p.key_arn = d.key_arn),
                   'file', d.file_id,
                   CASE WHEN json_valid(d.content)
                        THEN CASE WHEN json_type(d.content, '$.Policy') = 'text' THEN json_extract(d.content, '$.Policy')
                                  ELSE d.content END
                        ELSE d.content END
              FROM documents d
             WHERE d.kind = 'key-policy' AND d.key_arn IS NOT NULL
               AND d.file_id = (SELECT max(d2.file_id) FROM documents d2 WHERE d2.kind = 'key-policy' AND d2.key_arn = d.key_arn);
            """)

        // The evaluator's answer, once per distinct policy text.
        let texts = try String.fetchAll(db, sql: "SELECT DISTINCT policy FROM key_policies WHERE policy IS NOT NULL")
        let mark = try db.cachedStatement(sql: "UPDATE key_policies SET names_rds_via_service = 1 WHERE policy = ?")
        for text in texts where options.policyNamesRDSViaService(text) {
            try mark.execute(arguments: [text])
        }
        summary.keyPolicies = try Int.fetchOne(db, sql: "SELECT count(*) FROM key_policies") ?? 0
    }

    /// `grants`: CreateGrant that succeeded, and grants `list-grants` inventory lists that no
    /// CreateGrant event made (they hold from the beginning of time); each ended by the first
    /// RevokeGrant/RetireGrant of its grant id (RetireGrant carries it in `additionalEventData`).
    func buildGrants() throws {
        try db.execute(sql: """
            INSERT INTO grants (grant_id, key_arn, grantee_principal, retiring_principal, operations, constraints, name,
                                grantee_is_rds, created_at, created_event_id, created_by, created_via_rds)
            SELECT grant_id, key_arn, grantee, retiring, coalesce(operations, '[]'), constraints, name,
                   CASE WHEN grantee = 'rds.amazonaws.com' OR grantee GLOB 'rds.*.amazonaws.com' THEN 1 ELSE 0 END,
                   event_time, event_id, principal, via_rds
              FROM (
                SELECT json_extract(e.response_elements, '$.grantId') AS grant_id,
                       iif(k.event_rowid IS NULL, e.key_arn, k.key_arn) AS key_arn,
                       coalesce(json_extract(e.request_parameters, '$.granteePrincipal'),
                                json_extract(e.request_parameters, '$.granteeServicePrincipal')) AS grantee,
                       json_extract(e.request_parameters, '$.retiringPrincipal') AS retiring,
                       json_extract(e.request_parameters, '$.operations') AS operations,
                       json_extract(e.request_parameters, '$.constraints') AS constraints,
                       json_extract(e.request_parameters, '$.name') AS name,
                       e.event_time, e.event_id, e.principal, e.via_rds, e.event_rowid
                  FROM state_inputs e LEFT JOIN event_keys k ON k.event_rowid = e.event_rowid
                 WHERE e.event_name = 'CreateGrant' AND e.event_source = 'kms.amazonaws.com'
              )
             WHERE grant_id IS NOT NULL
             ORDER BY event_time, event_rowid;
            """)
        try buildInventoryGrants()
        try db.execute(sql: """
            DROP TABLE IF EXISTS temp.state_grant_ends;
            CREATE TEMP TABLE state_grant_ends AS
            SELECT coalesce(json_extract(e.additional_event_data, '$.grantId'),
                            json_extract(e.request_parameters, '$.grantId')) AS grant_id,
                   iif(k.event_rowid IS NULL, e.key_arn, k.key_arn) AS key_arn,
                   e.event_time, e.event_name, e.event_id, e.principal, e.event_rowid
              FROM state_inputs e LEFT JOIN event_keys k ON k.event_rowid = e.event_rowid
             WHERE e.event_name IN ('RetireGrant', 'RevokeGrant') AND e.event_source = 'kms.amazonaws.com';
            CREATE INDEX temp.state_grant_ends_grant ON state_grant_ends(grant_id, event_time);

            UPDATE grants SET (ended_at, ended_by, ended_event_id, ended_principal) = (
                SELECT x.event_time, x.event_name, x.event_id, x.principal FROM state_grant_ends x
                 WHERE x.grant_id = grants.grant_id AND (grants.created_at IS NULL OR x.event_time >= grants.created_at)
                   AND (x.key_arn IS NULL OR grants.key_arn IS NULL OR x.key_arn = grants.key_arn)
                 ORDER BY x.event_time, x.event_rowid LIMIT 1)
             WHERE EXISTS (SELECT 1 FROM state_grant_ends x WHERE x.grant_id = grants.grant_id);

            DROP TABLE temp.state_grant_ends;
            """)
        summary.grants = try Int.fetchOne(db, sql: "SELECT count(*) FROM grants") ?? 0
    }

    /// Grants from `list-grants` documents, like policy files a baseline whose time is unknown:
    /// `created_at` NULL ("since the beginning of time"), until an event about the grant. A grant
    /// a CreateGrant event made is that event's row; one listed by several documents is taken
    /// from the newest. List-grants names the key by ARN (moto: by id, completed from the
    /// document's account and region); its `Constraints` members are renamed as in CreateGrant.
    func buildInventoryGrants() throws {
        var taken = Set(try String.fetchAll(db, sql: "SELECT DISTINCT grant_id FROM grants"))
        let docs = try Row.fetchAll(db, sql: """
            SELECT file_id, account, region, content FROM documents WHERE kind = 'grants' ORDER BY file_id DESC
            """)
        let insert = try db.cachedStatement(sql: """
            INSERT INTO grants (grant_id, key_arn, grantee_principal, retiring_principal, operations, constraints, name,
                                grantee_is_rds, source, file_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'inventory', ?)
            """)
        func json(_ value: Any) -> String? {
            guard JSONSerialization.isValidJSONObject(value),
                  let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]) else { return nil }
            return String(decoding: data, as: UTF8.self)
        }
        for doc in docs {
            let text: String = doc["content"]
            guard let root = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                  let grants = root["Grants"] as? [[String: Any]] else { continue }
            let account: String? = doc["account"], region: String? = doc["region"]
            for g in grants {
                guard let grantID = g["GrantId"] as? String, !grantID.isEmpty, taken.insert(grantID).inserted else { continue }
                var keyARN = g["KeyId"] as? String
                if let k = keyARN, !KeyReference.isKeyARN(k) {
                    if let account, let region, !k.hasPrefix("alias/") {
                        keyARN = "arn:\(ARNParts.partition(forRegion: region)):kms:\(region):\(account):key/\(k)"
                    } else {
                        keyARN = nil
                    }
                }
                let grantee = g["GranteePrincipal"] as? String
                var constraints: String?
                if let c = g["Constraints"] as? [String: Any] {
                    var renamed: [String: Any] = [:]
                    for (name, value) in c { renamed[name.prefix(1).lowercased() + name.dropFirst()] = value }
                    constraints = json(renamed)
                }
                let isRDS = grantee.map { $0 == "rds.amazonaws.com" || ($0.hasPrefix("rds.") && $0.hasSuffix(".amazonaws.com")) } ?? false
                try insert.execute(arguments: [
                    grantID, keyARN, grantee, g["RetiringPrincipal"] as? String,
                    json(g["Operations"] as? [String] ?? []) ?? "[]", constraints, g["Name"] as? String,
                    isRDS ? 1 : 0, doc["file_id"] as Int64,
                ])
            }
        }
    }

    /// `key_state_changes`: succeeded events that change whether a key can be used.
    func buildKeyStateChanges() throws {
        try db.execute(sql: """
            INSERT INTO key_state_changes (key_arn, event_time, event_name, event_id, principal, new_state,
                                           pending_window_days)
            SELECT iif(k.event_rowid IS NULL, e.key_arn, k.key_arn), e.event_time, e.event_name, e.event_id, e.principal,
                   CASE e.event_name
                        WHEN 'DisableKey' THEN 'Disabled'
                        WHEN 'EnableKey' THEN 'Enabled'
                        WHEN 'ScheduleKeyDeletion' THEN coalesce(json_extract(e.raw, '$.responseElements.keyState'), 'PendingDeletion')
                        WHEN 'CancelKeyDeletion' THEN 'Disabled'
                        WHEN 'DeleteKey' THEN 'Deleted'
                        WHEN 'DeleteImportedKeyMaterial' THEN 'PendingImport'
                        WHEN 'DeleteExpiredKeyMaterial' THEN 'PendingImport'
                        WHEN 'ImportKeyMaterial' THEN 'Enabled'
                   END,
                   CASE WHEN e.event_name = 'ScheduleKeyDeletion'
                        THEN coalesce(json_extract(e.raw, '$.responseElements.pendingWindowInDays'),
                                      json_extract(e.raw, '$.requestParameters.pendingWindowInDays'), 30) END
              FROM events e LEFT JOIN event_keys k ON k.event_rowid = e.id
             WHERE e.event_name IN ('DisableKey', 'EnableKey', 'ScheduleKeyDeletion', 'CancelKeyDeletion', 'DeleteKey',
                                    'DeleteImportedKeyMaterial', 'DeleteExpiredKeyMaterial', 'ImportKeyMaterial')
               AND e.event_source = 'kms.amazonaws.com' AND e.succeeded = 1
             ORDER BY e.event_time, e.id;

            INSERT INTO key_state_changes (key_arn, event_time, event_name, event_id, principal, new_state, custom_key_store_id)
            SELECT s.key_arn, e.event_time, e.event_name, e.event_id, e.principal,
                   CASE e.event_name WHEN 'DisconnectCustomKeyStore' THEN 'Unavailable' ELSE 'Available' END,
                   json_extract(e.raw, '$.requestParameters.customKeyStoreId')
              FROM events e
              LEFT JOIN temp.state_key_stores s
                ON s.custom_key_store_id = json_extract(e.raw, '$.requestParameters.customKeyStoreId')
             WHERE e.event_name IN ('DisconnectCustomKeyStore', 'ConnectCustomKeyStore')
               AND e.event_source = 'kms.amazonaws.com' AND e.succeeded = 1
             ORDER BY e.event_time, e.id;
            """)

        // deletionDate is not ISO-8601 ("Oct 21, 2024, 2:25:29 PM"); without one, the event's time
        // plus the waiting period.
        let rows = try Row.fetchAll(db, sql: """
            SELECT c.id, c.event_time, c.pending_window_days,
                   json_extract(e.raw, '$.responseElements.deletionDate') AS deletion_date
              FROM key_state_changes c JOIN events e ON e.id = \(EventIDStore.rowOf("c.event_id"))
             WHERE c.event_name = 'ScheduleKeyDeletion'
            """)
        let update = try db.cachedStatement(sql: "UPDATE key_state_changes SET deletion_date = ? WHERE id = ?")
        for row in rows {
            let raw: DatabaseValue = row["deletion_date"]
            var date = StateTime.canonical(raw)
            if date == nil, let days = row.stateText("pending_window_days").flatMap({ Double($0) }).map({ Int($0) }) {
                date = StateTime.adding(days: days, to: row["event_time"])
            }
            try update.execute(arguments: [date, row["id"] as Int64])
        }
        summary.keyStateChanges = try Int.fetchOne(db, sql: "SELECT count(*) FROM key_state_changes") ?? 0
    }

    /// A call through RDS on key `k.key_arn`, the record's own key or the one its alias resolved
    /// to (written back by `buildEventKeys`), found through events_key_time, whose columns include
    /// `via_rds`. Before, aliased calls were found by a join from `event_keys` to each call's row:
    /// at 20M records with the page cache dropped, 3.36 s against 2.87 s now (the rest is the index).
    static let usedViaRDSProbe = """
        1 FROM events e
         WHERE CAST(coalesce(e.key_arn, e.resolved_key_arn) AS TEXT) = k.key_arn AND e.via_rds = 1
           AND e.event_source = 'kms.amazonaws.com'
        """

    /// `keys`: every key ARN seen anywhere, with creation, deletion and why it is a database key.
    func buildKeys() throws {
        // The events' distinct keys by hopping through events_key_time, one search per key
        // (a DISTINCT read every entry of the index: 0.04 s against under 1 ms). The index holds
        // the records' keys and the resolutions last written (`event_keys`, below, adds this
        // build's), as the expression written here (StateSchema.v15ResolvedKeyColumn); only KMS
        // calls have a key, and saying so lets SQLite use that partial index (v18KeyUseIndex).
        try db.execute(sql: """
            INSERT OR IGNORE INTO keys (key_arn, key_id)
            WITH RECURSIVE event_key(a) AS (
                SELECT min(CAST(coalesce(key_arn, resolved_key_arn) AS TEXT)) FROM events
                 WHERE CAST(coalesce(key_arn, resolved_key_arn) AS TEXT) IS NOT NULL AND event_source = 'kms.amazonaws.com'
                UNION ALL
                SELECT (SELECT min(CAST(coalesce(key_arn, resolved_key_arn) AS TEXT)) FROM events
                         WHERE CAST(coalesce(key_arn, resolved_key_arn) AS TEXT) > event_key.a
                           AND event_source = 'kms.amazonaws.com')
                  FROM event_key WHERE event_key.a IS NOT NULL
            )
            SELECT a, substr(a, instr(a, ':key/') + 5) FROM (
                SELECT a FROM event_key WHERE a IS NOT NULL
                UNION SELECT key_arn FROM event_keys WHERE key_arn IS NOT NULL
                UNION SELECT key_arn FROM alias_history WHERE key_arn IS NOT NULL
                UNION SELECT key_arn FROM key_policies
                UNION SELECT key_arn FROM grants WHERE key_arn IS NOT NULL
                UNION SELECT key_arn FROM key_state_changes WHERE key_arn IS NOT NULL
                UNION SELECT kms_key_arn FROM db_resources WHERE kms_key_arn IS NOT NULL
                UNION SELECT key_arn FROM snapshots WHERE key_arn IS NOT NULL
                UNION SELECT key_arn FROM state_created_keys WHERE key_arn IS NOT NULL
                UNION SELECT key_arn FROM state_key_metadata
            ) WHERE a GLOB 'arn:*:kms:*:*:key/*';
            """)

        // Keys named by the config: key ARNs, key ids, alias names or alias ARNs.
        var configKeys = Set<String>()
        for entry in options.extraDatabaseKeys.map({ $0.trimmingCharacters(in: .whitespaces) }) where !entry.isEmpty {
            if KeyReference.isKeyARN(entry) {
                configKeys.insert(entry)
            } else if AliasName.isAlias(entry) {
                if entry.hasPrefix("arn:"), let alias = AliasName(ref: entry, account: nil, region: nil) {
                    if let key = aliases.resolve(alias, at: nil) { configKeys.insert(key) }
                } else {
                    for (alias, _) in aliases.segments where alias.name == entry {
                        if let key = aliases.resolve(alias, at: nil) { configKeys.insert(key) }
                    }
                }
            } else {
                for key in try String.fetchAll(db, sql: "SELECT key_arn FROM keys WHERE key_id = ?", arguments: [entry]) {
                    configKeys.insert(key)
                }
            }
        }
        try db.execute(sql: "DROP TABLE IF EXISTS temp.state_config_keys; CREATE TEMP TABLE state_config_keys (key_arn TEXT PRIMARY KEY)")
        let addConfig = try db.cachedStatement(sql: "INSERT OR IGNORE INTO temp.state_config_keys VALUES (?)")
        for key in configKeys { try addConfig.execute(arguments: [key]) }

        try db.execute(sql: """
            INSERT OR IGNORE INTO keys (key_arn, key_id)
            SELECT key_arn, substr(key_arn, instr(key_arn, ':key/') + 5) FROM temp.state_config_keys;

            -- account and region from the ARN (arn:PARTITION:kms:REGION:ACCOUNT:key/ID).
            WITH a AS (SELECT key_arn, substr(key_arn, 5) AS r1 FROM keys),
                 b AS (SELECT key_arn, substr(r1, instr(r1, ':') + 1) AS r2 FROM a),
                 c AS (SELECT key_arn, substr(r2, instr(r2, ':') + 1) AS r3 FROM b),
                 d AS (SELECT key_arn, substr(r3, 1, instr(r3, ':') - 1) AS region,
                              substr(r3, instr(r3, ':') + 1) AS r4 FROM c)
            UPDATE keys SET (region, account) = (
                SELECT d.region, substr(d.r4, 1, instr(d.r4, ':') - 1) FROM d WHERE d.key_arn = keys.key_arn);

            UPDATE keys SET (created_at, created_event_id, created_by, key_manager, custom_key_store_id) = (
                SELECT c.event_time, c.event_id, c.principal, c.key_manager, c.custom_key_store_id
                  FROM state_created_keys c WHERE c.key_arn = keys.key_arn ORDER BY c.event_time LIMIT 1)
             WHERE key_arn IN (SELECT key_arn FROM state_created_keys);

            UPDATE keys SET
                key_manager = coalesce(key_manager, (SELECT m.key_manager FROM state_key_metadata m WHERE m.key_arn = keys.key_arn
                                                       ORDER BY m.file_id DESC LIMIT 1)),
                custom_key_store_id = coalesce(custom_key_store_id, (SELECT m.custom_key_store_id FROM state_key_metadata m
                                                       WHERE m.key_arn = keys.key_arn ORDER BY m.file_id DESC LIMIT 1)),
                key_state = (SELECT m.key_state FROM state_key_metadata m WHERE m.key_arn = keys.key_arn
                              ORDER BY m.file_id DESC LIMIT 1)
             WHERE key_arn IN (SELECT key_arn FROM state_key_metadata);

            UPDATE keys SET deleted_at = (SELECT min(c.event_time) FROM key_state_changes c
                                           WHERE c.key_arn = keys.key_arn AND c.event_name = 'DeleteKey')
             WHERE key_arn IN (SELECT key_arn FROM key_state_changes WHERE event_name = 'DeleteKey');

            UPDATE keys SET policy_known = 1 WHERE key_arn IN (SELECT key_arn FROM key_policies);
            """)

        // Creation time from describe-key inventory when no CreateKey event was seen.
        let metadata = try Row.fetchAll(db, sql: """
            SELECT m.key_arn, m.creation_date FROM state_key_metadata m JOIN keys k ON k.key_arn = m.key_arn
             WHERE k.created_at IS NULL AND m.creation_date IS NOT NULL
            """)
        let setCreated = try db.cachedStatement(sql: "UPDATE keys SET created_at = ? WHERE key_arn = ? AND created_at IS NULL")
        for row in metadata {
            let raw: DatabaseValue = row["creation_date"]
            if let t = StateTime.canonical(raw) {
                try setCreated.execute(arguments: [t, row["key_arn"] as String])
            }
        }

        // Why each key is a database key (docs/rules/README.md Terms "Database key"; docs/rules/DECISIONS.md #16: snapshot
        // copies, exports and activity streams do not count, so snapshots are not consulted).
        try db.execute(sql: """
            DROP TABLE IF EXISTS temp.state_key_reasons;
            CREATE TEMP TABLE state_key_reasons (key_arn TEXT NOT NULL, reason TEXT NOT NULL, ord INTEGER NOT NULL,
                                                 PRIMARY KEY (key_arn, reason));
            INSERT OR IGNORE INTO state_key_reasons
            SELECT kms_key_arn, 'rds-resource', 1 FROM db_resources
             WHERE kms_key_arn IS NOT NULL AND storage_encrypted IS NOT 0;
            INSERT OR IGNORE INTO state_key_reasons
            SELECT key_arn, 'policy-via-service-rds', 2 FROM key_policies WHERE names_rds_via_service = 1;
            INSERT OR IGNORE INTO state_key_reasons
            SELECT k.key_arn, 'used-via-rds', 3 FROM keys k
             WHERE EXISTS (SELECT \(Self.usedViaRDSProbe));
            INSERT OR IGNORE INTO state_key_reasons
            SELECT key_arn, 'config', 4 FROM temp.state_config_keys;
            INSERT OR IGNORE INTO state_key_reasons
            SELECT key_arn, 'aws-rds-default', 5 FROM alias_history WHERE alias_name = 'alias/aws/rds' AND key_arn IS NOT NULL;
            INSERT OR IGNORE INTO state_key_reasons
            SELECT key_arn, 'aws-rds-default', 5 FROM state_key_metadata
             WHERE key_manager = 'AWS' AND description LIKE '%protects my RDS database volumes%';

            UPDATE keys SET
                is_database_key = 1,
                database_key_reasons = (SELECT json_group_array(reason) FROM
                                          (SELECT reason FROM state_key_reasons r WHERE r.key_arn = keys.key_arn ORDER BY ord))
             WHERE key_arn IN (SELECT key_arn FROM state_key_reasons);

            DROP TABLE temp.state_key_reasons;
            DROP TABLE temp.state_config_keys;
            DROP TABLE temp.state_created_keys;
            DROP TABLE temp.state_key_metadata;
            """)
        summary.keys = try Int.fetchOne(db, sql: "SELECT count(*) FROM keys") ?? 0
        summary.databaseKeys = try Int.fetchOne(db, sql: "SELECT count(*) FROM keys WHERE is_database_key = 1") ?? 0
    }
}
