-- id: KMS-008
-- contract: docs/rules/KMS-008.md (categories, severities, evidence and the decisions that shape it)
-- title: No copy of the database under an independent key
-- severity: low; medium when the database's key belongs to another account
-- controls: NIST SP 800-53 CP-9, CP-9(8), CP-6, SC-12; ISO 27001 A.8.13; AWS Security Hub RDS.26, Neptune.5
-- explanation: Automated backups, snapshots and in-region read replicas of an encrypted Neptune or
--   RDS database are encrypted with the database's own KMS key (encrypted read replicas must use
--   the same key as their source). If that key is lost for good (deleted, or its key material
--   deleted), every one of them is lost with it. This database has backups (no KMS-003 finding)
--   but none that survives its key: at the end of the audit window there is no snapshot copy
--   under another key (CopyDBSnapshot/CopyDBClusterSnapshot, or a snapshot listed in inventory)
--   made within max_independent_copy_age_days, no cross-region read replica (whose key is by
--   necessity another key), and no AWS Backup copy job of its recovery points to another region or
--   account within that period. The evidence lists every backup path found, with its key.
-- remediation: Copy a recent snapshot under a different KMS key, ideally in another region or a
--   separate backup account (CopyDBClusterSnapshot/CopyDBSnapshot with another KmsKeyId, or an AWS
--   Backup copy rule to a vault in another region or account), on a schedule shorter than
--   max_independent_copy_age_days, or run a cross-region read replica. Keep the copy key's policy
--   allowing RDS kms:Encrypt, kms:Decrypt, kms:GenerateDataKey*, kms:ReEncrypt*, kms:CreateGrant
--   and kms:DescribeKey, and protect it from deletion as carefully as the database key.
WITH alive AS (
    SELECT r.*,
           (SELECT c.id FROM db_resource_changes c
             WHERE c.db_resource_id = r.id AND (c.event_time IS NULL OR c.event_time <= :window_end)
             ORDER BY coalesce(c.event_time, '') DESC, c.id DESC LIMIT 1) AS state_change_id,
           strftime('%Y-%m-%dT%H:%M:%SZ', :window_end, printf('-%d days', :max_independent_copy_age_days)) AS copy_since,
           strftime('%Y-%m-%dT%H:%M:%SZ', :window_end, printf('-%d days', :max_snapshot_age_days)) AS snapshot_since
    FROM db_resources r
    WHERE NOT (r.kind = 'instance' AND r.cluster_identifier IS NOT NULL)
      AND (r.created_at IS NULL OR r.created_at <= :window_end)
      AND (r.deleted_at IS NULL OR r.deleted_at > :window_end)
),
encrypted AS (
    SELECT a.*, c.kms_key_arn AS db_key, c.backup_retention_period AS retention, k.account AS key_account
    FROM alive a JOIN db_resource_changes c ON c.id = a.state_change_id
    LEFT JOIN keys k ON k.key_arn = c.kms_key_arn
    WHERE c.storage_encrypted = 1 AND c.kms_key_arn IS NOT NULL
),
-- KMS-003's judgement of a resource alive at the window's end: those are reported there.
without_backup_finding AS (
    SELECT e.* FROM encrypted e
    WHERE NOT (coalesce(e.retention = 0 OR e.retention < :min_backup_retention_days, 0)
               AND NOT EXISTS (SELECT 1 FROM snapshots s
                                WHERE (s.db_resource_id = e.id OR s.resource_arn = e.arn)
                                  AND s.created_at IS NOT NULL AND s.created_at > e.snapshot_since
                                  AND s.created_at <= :window_end
                                  AND (s.deleted_at IS NULL OR s.deleted_at > :window_end)))
),
paths AS (
    SELECT e.*,
           (SELECT count(*) FROM snapshots s
             WHERE (s.db_resource_id = e.id OR s.resource_arn = e.arn)
               AND (s.source LIKE 'Copy%' OR s.source = 'inventory')
               AND s.encrypted IS NOT 0 AND s.key_arn IS NOT NULL AND s.key_arn <> e.db_key
               AND s.created_at IS NOT NULL AND s.created_at > e.copy_since AND s.created_at <= :window_end
               AND (s.deleted_at IS NULL OR s.deleted_at > :window_end)) AS independent_copies,
           (SELECT count(*) FROM db_resources x
             WHERE ((x.replica_source_arn = e.arn AND x.region IS NOT e.region)
                    OR (e.replica_source_arn = x.arn AND x.region IS NOT e.region))
               AND (x.created_at IS NULL OR x.created_at <= :window_end)
               AND (x.deleted_at IS NULL OR x.deleted_at > :window_end)) AS cross_region_replicas,
           (SELECT count(*) FROM backup_copy_jobs b
             WHERE (b.db_resource_id = e.id OR b.resource_arn = e.arn)
               AND b.event_time > e.copy_since AND b.event_time <= :window_end
               AND (b.destination_region IS NOT e.region OR b.destination_account IS NOT e.account)) AS copy_jobs
    FROM without_backup_finding e
)
SELECT
    CASE WHEN p.key_account IS NOT NULL AND p.key_account <> p.account THEN 'medium' ELSE 'low' END AS severity,
    'single-key' AS category,
    p.db_key AS key_arn,
    NULL AS principal,
    p.arn AS resource,
    coalesce(p.created_at, (SELECT min(event_time) FROM db_resource_changes c WHERE c.db_resource_id = p.id)) AS first_seen,
    p.last_event_at AS last_seen,
    (SELECT count(*) FROM db_resource_changes c WHERE c.db_resource_id = p.id AND c.event_time <= :window_end)
      + (SELECT count(*) FROM snapshots s WHERE (s.db_resource_id = p.id OR s.resource_arn = p.arn)
                                             AND s.created_at <= :window_end) AS event_count,
    json_object(
        'identifier', p.identifier, 'kind', p.kind, 'engine', p.engine, 'account', p.account, 'region', p.region,
        'kms_key', p.db_key, 'key_account', p.key_account, 'backup_retention_period', p.retention,
        'max_independent_copy_age_days', :max_independent_copy_age_days,
        'automated_backups', json_object('retention_days', p.retention, 'key_arn', p.db_key, 'same_key', json('true')),
        'snapshots_total', (SELECT count(*) FROM snapshots s WHERE (s.db_resource_id = p.id OR s.resource_arn = p.arn)
                                                             AND (s.created_at IS NULL OR s.created_at <= :window_end)),
        'snapshots_under_other_keys', (SELECT json_group_array(json_object('snapshot', coalesce(s.arn, s.identifier),
                              'key_arn', s.key_arn, 'region', s.region, 'account', s.account,
                              'created_at', s.created_at, 'deleted_at', s.deleted_at, 'source', s.source))
                      FROM snapshots s WHERE (s.db_resource_id = p.id OR s.resource_arn = p.arn)
                        AND (s.created_at IS NULL OR s.created_at <= :window_end) AND s.key_arn IS NOT p.db_key),
        'latest_snapshots', (SELECT json_group_array(json_object('snapshot', coalesce(s.arn, s.identifier), 'key_arn', s.key_arn,
                              'same_key', json(CASE WHEN s.same_key THEN 'true' ELSE 'false' END),
                              'created_at', s.created_at, 'deleted_at', s.deleted_at, 'source', s.source))
                      FROM (SELECT s.*, s.key_arn = p.db_key AS same_key FROM snapshots s
                             WHERE (s.db_resource_id = p.id OR s.resource_arn = p.arn)
                               AND (s.created_at IS NULL OR s.created_at <= :window_end)
                            ORDER BY s.created_at DESC LIMIT 25) s),
        'replicas', (SELECT json_group_array(json_object('resource', x.arn, 'region', x.region,
                             'key_arn', x.kms_key_arn, 'created_at', x.created_at, 'deleted_at', x.deleted_at))
                     FROM db_resources x WHERE x.replica_source_arn = p.arn OR p.replica_source_arn = x.arn),
        'copy_jobs', (SELECT json_group_array(json_object('event_id', b.event_id, 'time', b.event_time,
                              'recovery_point', b.source_recovery_point_arn, 'destination_vault', b.destination_vault_arn,
                              'key_arn', NULL))
                      FROM backup_copy_jobs b WHERE b.db_resource_id = p.id OR b.resource_arn = p.arn)
    ) AS evidence,
    (SELECT json_group_array(event_id) FROM (SELECT c.event_id FROM db_resource_changes c
        WHERE c.db_resource_id = p.id AND c.event_id IS NOT NULL AND c.event_time <= :window_end
        ORDER BY c.event_time LIMIT 20)) AS event_ids
FROM paths p
WHERE p.independent_copies = 0 AND p.cross_region_replicas = 0 AND p.copy_jobs = 0
ORDER BY p.arn
