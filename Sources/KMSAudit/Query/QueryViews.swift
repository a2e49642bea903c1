/// The views for the questions people ask most (docs/SCHEMA.md "Views"), over the other stages'
/// tables, for `kmsaudit query`, the report and ad-hoc SQL. Registered in
/// `SchemaMigrations.stages`. (`kms_events`, the KMS calls with their resolved key, is the
/// State stage's: it is defined with the columns the state stage writes.)
enum QueryViews {
    static let schema = StageSchema(stage: "Query", parts: [
        SchemaPart(7, "views", sql: v7Views),
        SchemaPart(12, "databases-view", sql: v12),
        SchemaPart(24, "databases-view-counted", foreignKeyChecks: .immediate, sql: v24),
    ])

    /// Views for the questions people ask most (docs/SCHEMA.md "Views").
    static let v7Views = """
    CREATE VIEW current_db_resources AS
    SELECT r.arn, r.identifier, r.kind, r.engine, r.account, r.region, r.cluster_identifier,
           r.storage_encrypted, r.kms_key_arn, r.backup_retention_period, r.created_at, r.last_event_at,
           k.is_database_key,
           (SELECT c.new_state FROM key_state_changes c WHERE c.key_arn = r.kms_key_arn
             ORDER BY c.event_time DESC LIMIT 1) AS key_state,
           (SELECT count(*) FROM snapshots s WHERE (s.db_resource_id = r.id OR s.resource_arn = r.arn)
             AND s.deleted_at IS NULL) AS snapshots,
           (SELECT count(*) FROM snapshots s WHERE (s.db_resource_id = r.id OR s.resource_arn = r.arn)
             AND s.deleted_at IS NULL AND s.key_arn IS NOT NULL AND s.key_arn <> r.kms_key_arn) AS snapshots_under_other_key
    FROM db_resources r LEFT JOIN keys k ON k.key_arn = r.kms_key_arn
    WHERE r.deleted_at IS NULL;

    CREATE VIEW kms_use_by_key_principal AS
    SELECT key_arn, principal, count(*) AS calls, sum(via_rds) AS via_rds_calls,
           sum(1 - via_rds) AS direct_calls, sum(1 - succeeded) AS failed_calls,
           min(event_time) AS first_seen, max(event_time) AS last_seen,
           group_concat(DISTINCT event_name) AS event_names
    FROM kms_events WHERE key_arn IS NOT NULL
    GROUP BY key_arn, principal;

    CREATE VIEW latest_findings AS
    SELECT f.* FROM findings f WHERE f.run_id = (SELECT max(id) FROM runs WHERE status = 'ok');

    CREATE VIEW key_state_history AS
    SELECT c.key_arn, c.event_time, c.event_name, c.new_state, c.principal, c.deletion_date, c.event_id,
           k.is_database_key,
           (SELECT group_concat(DISTINCT a.alias_name) FROM alias_history a WHERE a.key_arn = c.key_arn) AS aliases
    FROM key_state_changes c LEFT JOIN keys k ON k.key_arn = c.key_arn;
    """

    /// Migration `v12-databases-view`: `database_overview`, one row per DB resource (a cluster, or an
    /// instance outside a cluster) with its key, who controls that key, and every recovery path with
    /// the key that protects it. It answers "if this key were gone tomorrow, what would we lose?" for
    /// the report's Databases section and for ad-hoc SQL (docs/SCHEMA.md "Views").
    ///
    /// The view reads only the derived state (`db_resources`, `snapshots`, `keys`, `alias_history`)
    /// and the creating event of a read replica, so it costs nothing until queried. It carries every
    /// incarnation with its `created_at`/`deleted_at` and every path with its own times, so a caller
    /// can judge the state at any instant (the report uses the run's window end,
    /// docs/rules/DECISIONS.md #33); `survives_key_loss` is the state after everything ingested.
    static let v12 = """
    CREATE VIEW database_overview AS
    WITH aws_rds_keys AS (
        SELECT DISTINCT key_arn FROM alias_history WHERE alias_name = 'alias/aws/rds' AND key_arn IS NOT NULL
    ),
    replicas AS (
        -- A read replica names its source in the creating request: an instance replica by
        -- sourceDBInstanceIdentifier, a cluster replica by replicationSourceIdentifier (identifier
        -- or ARN; RDS lower-cases identifiers, and so does db_resources).
        SELECT x.id, x.arn, x.region, x.account, x.kms_key_arn, x.kms_key_ref, x.storage_encrypted,
               x.created_at, x.deleted_at, lower(e.source_ref) AS source_ref
        FROM db_resources x
        JOIN (SELECT event_id, coalesce(json_extract(request_parameters, '$.sourceDBInstanceIdentifier'),
                                        json_extract(request_parameters, '$.replicationSourceIdentifier')) AS source_ref
              FROM events WHERE event_name IN ('CreateDBInstanceReadReplica', 'CreateDBCluster')) e
          ON e.event_id = x.created_event_id
        WHERE e.source_ref IS NOT NULL
    ),
    base AS (
        SELECT r.*, k.key_manager, k.account AS key_account,
               (SELECT group_concat(DISTINCT a.alias_name) FROM alias_history a
                 WHERE a.key_arn = r.kms_key_arn AND a.valid_to IS NULL) AS current_aliases,
               CASE
                   WHEN coalesce(r.storage_encrypted, 0) <> 1 THEN NULL
                   WHEN k.key_manager = 'AWS'
                        OR r.kms_key_arn IN (SELECT key_arn FROM aws_rds_keys)
                        OR r.kms_key_ref = 'alias/aws/rds' OR r.kms_key_ref LIKE 'arn:%:alias/aws/rds'
                        OR k.database_key_reasons LIKE '%"aws-rds-default"%' THEN 'aws-managed'
                   WHEN k.account IS NULL THEN 'unknown'
                   WHEN k.account = r.account THEN 'own-account'
                   ELSE 'other-account'
               END AS key_controller,
               coalesce(r.kms_key_arn, r.kms_key_ref) AS own_key
        FROM db_resources r LEFT JOIN keys k ON k.key_arn = r.kms_key_arn
        WHERE NOT (r.kind = 'instance' AND r.cluster_identifier IS NOT NULL)
    ),
    paths AS (
        SELECT b.id AS db_resource_id,
               (SELECT json_group_array(json(p.path)) FROM (
                    SELECT json_object('kind', 'automated-backups', 'name', b.identifier, 'key_arn', b.own_key,
                                       'region', b.region, 'account', b.account,
                                       'retention_days', b.backup_retention_period,
                                       'created_at', NULL, 'deleted_at', b.deleted_at,
                                       'independent', json('false')) AS path
                    WHERE b.backup_retention_period > 0
                    UNION ALL
                    SELECT json_object('kind', CASE
                                           WHEN s.source IN ('CopyDBSnapshot', 'CopyDBClusterSnapshot') OR s.snapshot_type = 'copy' THEN 'copy'
                                           WHEN s.aws_backup = 1 THEN 'aws-backup'
                                           WHEN s.source IN ('DeleteDBInstance', 'DeleteDBCluster') OR s.snapshot_type = 'final' THEN 'final-snapshot'
                                           ELSE 'snapshot' END,
                                       'name', coalesce(s.arn, s.identifier),
                                       'key_arn', coalesce(s.key_arn, s.key_ref),
                                       'region', s.region, 'account', s.account, 'retention_days', NULL,
                                       'created_at', s.created_at, 'deleted_at', s.deleted_at,
                                       'independent', json(CASE WHEN coalesce(s.key_arn, s.key_ref) IS NOT NULL AND b.own_key IS NOT NULL
                                                                 AND coalesce(s.key_arn, s.key_ref) <> b.own_key THEN 'true' ELSE 'false' END))
                    FROM snapshots s WHERE s.db_resource_id = b.id OR s.resource_arn = b.arn
                    UNION ALL
                    SELECT json_object('kind', 'read-replica', 'name', x.arn,
                                       'key_arn', CASE WHEN x.storage_encrypted = 1 THEN coalesce(x.kms_key_arn, x.kms_key_ref) END,
                                       'region', x.region, 'account', x.account, 'retention_days', NULL,
                                       'created_at', x.created_at, 'deleted_at', x.deleted_at,
                                       'independent', json(CASE WHEN x.storage_encrypted = 1 AND b.own_key IS NOT NULL
                                                                 AND coalesce(x.kms_key_arn, x.kms_key_ref) <> b.own_key THEN 'true' ELSE 'false' END))
                    FROM replicas x WHERE x.source_ref IN (b.identifier, b.arn) AND x.id <> b.id
                ) p) AS recovery_paths
        FROM base b
    )
    SELECT b.id AS db_resource_id, b.arn, b.identifier, b.kind, b.engine, b.account, b.region,
           b.created_at, b.deleted_at,
           CASE b.storage_encrypted WHEN 1 THEN 'yes' WHEN 0 THEN 'no' ELSE 'unknown' END AS encrypted,
           CASE WHEN b.storage_encrypted = 1 THEN b.kms_key_arn END AS key_arn,
           CASE WHEN b.storage_encrypted = 1 THEN b.kms_key_ref END AS key_ref,
           CASE WHEN b.storage_encrypted = 1 THEN coalesce(b.current_aliases,
                CASE WHEN b.kms_key_ref LIKE 'alias/%' THEN b.kms_key_ref
                     WHEN b.kms_key_ref LIKE 'arn:%:alias/%' THEN substr(b.kms_key_ref, instr(b.kms_key_ref, ':alias/') + 1) END) END AS key_alias,
           CASE WHEN b.storage_encrypted = 1 THEN b.key_account END AS key_account,
           b.key_controller,
           b.backup_retention_period,
           (SELECT json_group_array(json_object('arn', m.arn, 'identifier', m.identifier,
                                                'created_at', m.created_at, 'deleted_at', m.deleted_at))
              FROM db_resources m WHERE m.kind = 'instance' AND m.cluster_arn = b.arn AND b.kind = 'cluster') AS members,
           p.recovery_paths,
           (SELECT count(*) FROM json_each(p.recovery_paths) j
             WHERE json_extract(j.value, '$.independent') = 1 AND json_extract(j.value, '$.deleted_at') IS NULL) AS independent_paths,
           CASE WHEN b.storage_encrypted = 1 THEN
                (SELECT count(*) > 0 FROM json_each(p.recovery_paths) j
                  WHERE json_extract(j.value, '$.independent') = 1 AND json_extract(j.value, '$.deleted_at') IS NULL)
           END AS survives_key_loss
    FROM base b JOIN paths p ON p.db_resource_id = b.id;
    """

    /// Migration `v24-databases-view-counted`: `database_overview` as v12 defined it, same rows and
    /// columns, with `independent_paths` and `survives_key_loss` counted from the tables instead
    /// of out of the `recovery_paths` JSON twice per row (1.6-2.0 -> 0.8 s at 20M records, the
    /// view read once by every report).
    static let v24 = """
    DROP VIEW database_overview;
    CREATE VIEW database_overview AS
    WITH aws_rds_keys AS (
        SELECT DISTINCT key_arn FROM alias_history WHERE alias_name = 'alias/aws/rds' AND key_arn IS NOT NULL
    ),
    replicas AS (
        -- A read replica names its source in the creating request: an instance replica by
        -- sourceDBInstanceIdentifier, a cluster replica by replicationSourceIdentifier (identifier
        -- or ARN; RDS lower-cases identifiers, and so does db_resources).
        SELECT x.id, x.arn, x.region, x.account, x.kms_key_arn, x.kms_key_ref, x.storage_encrypted,
               x.created_at, x.deleted_at, lower(e.source_ref) AS source_ref
        FROM db_resources x
        JOIN (SELECT event_id, coalesce(json_extract(request_parameters, '$.sourceDBInstanceIdentifier'),
                                        json_extract(request_parameters, '$.replicationSourceIdentifier')) AS source_ref
              FROM events WHERE event_name IN ('CreateDBInstanceReadReplica', 'CreateDBCluster')) e
          ON e.event_id = x.created_event_id
        WHERE e.source_ref IS NOT NULL
    ),
    base AS (
        SELECT r.*, k.key_manager, k.account AS key_account,
               (SELECT group_concat(DISTINCT a.alias_name) FROM alias_history a
                 WHERE a.key_arn = r.kms_key_arn AND a.valid_to IS NULL) AS current_aliases,
               CASE
                   WHEN coalesce(r.storage_encrypted, 0) <> 1 THEN NULL
                   WHEN k.key_manager = 'AWS'
                        OR r.kms_key_arn IN (SELECT key_arn FROM aws_rds_keys)
                        OR r.kms_key_ref = 'alias/aws/rds' OR r.kms_key_ref LIKE 'arn:%:alias/aws/rds'
                        OR k.database_key_reasons LIKE '%"aws-rds-default"%' THEN 'aws-managed'
                   WHEN k.account IS NULL THEN 'unknown'
                   WHEN k.account = r.account THEN 'own-account'
                   ELSE 'other-account'
               END AS key_controller,
               coalesce(r.kms_key_arn, r.kms_key_ref) AS own_key
        FROM db_resources r LEFT JOIN keys k ON k.key_arn = r.kms_key_arn
        WHERE NOT (r.kind = 'instance' AND r.cluster_identifier IS NOT NULL)
    ),
    paths AS MATERIALIZED (
        SELECT b.id AS db_resource_id,
               (SELECT json_group_array(json(p.path)) FROM (
                    SELECT json_object('kind', 'automated-backups', 'name', b.identifier, 'key_arn', b.own_key,
                                       'region', b.region, 'account', b.account,
                                       'retention_days', b.backup_retention_period,
                                       'created_at', NULL, 'deleted_at', b.deleted_at,
                                       'independent', json('false')) AS path
                    WHERE b.backup_retention_period > 0
                    UNION ALL
                    SELECT json_object('kind', CASE
                                           WHEN s.source IN ('CopyDBSnapshot', 'CopyDBClusterSnapshot') OR s.snapshot_type = 'copy' THEN 'copy'
                                           WHEN s.aws_backup = 1 THEN 'aws-backup'
                                           WHEN s.source IN ('DeleteDBInstance', 'DeleteDBCluster') OR s.snapshot_type = 'final' THEN 'final-snapshot'
                                           ELSE 'snapshot' END,
                                       'name', coalesce(s.arn, s.identifier),
                                       'key_arn', coalesce(s.key_arn, s.key_ref),
                                       'region', s.region, 'account', s.account, 'retention_days', NULL,
                                       'created_at', s.created_at, 'deleted_at', s.deleted_at,
                                       'independent', json(CASE WHEN coalesce(s.key_arn, s.key_ref) IS NOT NULL AND b.own_key IS NOT NULL
                                                                 AND coalesce(s.key_arn, s.key_ref) <> b.own_key THEN 'true' ELSE 'false' END))
                    FROM snapshots s WHERE s.db_resource_id = b.id OR s.resource_arn = b.arn
                    UNION ALL
                    SELECT json_object('kind', 'read-replica', 'name', x.arn,
                                       'key_arn', CASE WHEN x.storage_encrypted = 1 THEN coalesce(x.kms_key_arn, x.kms_key_ref) END,
                                       'region', x.region, 'account', x.account, 'retention_days', NULL,
                                       'created_at', x.created_at, 'deleted_at', x.deleted_at,
                                       'independent', json(CASE WHEN x.storage_encrypted = 1 AND b.own_key IS NOT NULL
                                                                 AND coalesce(x.kms_key_arn, x.kms_key_ref) <> b.own_key THEN 'true' ELSE 'false' END))
                    FROM replicas x WHERE x.source_ref IN (b.identifier, b.arn) AND x.id <> b.id
                ) p) AS recovery_paths,
               -- The paths above that survive the key's loss (under a key of their own, not
               -- deleted), counted from the tables: counting them back out of the JSON was 1.4 of
               -- the view's 1.9 s at 20M records. The two conditions must stay those of
               -- 'independent' above (SchemaTests checks every row's count against its paths).
               (SELECT count(*) FROM snapshots s
                 WHERE (s.db_resource_id = b.id OR s.resource_arn = b.arn) AND s.deleted_at IS NULL
                   AND coalesce(s.key_arn, s.key_ref) IS NOT NULL AND b.own_key IS NOT NULL
                   AND coalesce(s.key_arn, s.key_ref) <> b.own_key)
               + (SELECT count(*) FROM replicas x
                   WHERE x.source_ref IN (b.identifier, b.arn) AND x.id <> b.id AND x.deleted_at IS NULL
                     AND x.storage_encrypted = 1 AND b.own_key IS NOT NULL
                     AND coalesce(x.kms_key_arn, x.kms_key_ref) <> b.own_key) AS independent_paths
        FROM base b
    )
    SELECT b.id AS db_resource_id, b.arn, b.identifier, b.kind, b.engine, b.account, b.region,
           b.created_at, b.deleted_at,
           CASE b.storage_encrypted WHEN 1 THEN 'yes' WHEN 0 THEN 'no' ELSE 'unknown' END AS encrypted,
           CASE WHEN b.storage_encrypted = 1 THEN b.kms_key_arn END AS key_arn,
           CASE WHEN b.storage_encrypted = 1 THEN b.kms_key_ref END AS key_ref,
           CASE WHEN b.storage_encrypted = 1 THEN coalesce(b.current_aliases,
                CASE WHEN b.kms_key_ref LIKE 'alias/%' THEN b.kms_key_ref
                     WHEN b.kms_key_ref LIKE 'arn:%:alias/%' THEN substr(b.kms_key_ref, instr(b.kms_key_ref, ':alias/') + 1) END) END AS key_alias,
           CASE WHEN b.storage_encrypted = 1 THEN b.key_account END AS key_account,
           b.key_controller,
           b.backup_retention_period,
           (SELECT json_group_array(json_object('arn', m.arn, 'identifier', m.identifier,
                                                'created_at', m.created_at, 'deleted_at', m.deleted_at))
              FROM db_resources m WHERE m.kind = 'instance' AND m.cluster_arn = b.arn AND b.kind = 'cluster') AS members,
           p.recovery_paths,
           p.independent_paths,
           CASE WHEN b.storage_encrypted = 1 THEN p.independent_paths > 0 END AS survives_key_loss
    FROM base b JOIN paths p ON p.db_resource_id = b.id;
    """
}
