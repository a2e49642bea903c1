-- id: KMS-003
-- contract: docs/rules/KMS-003.md (categories, severities, evidence and the decisions that shape it)
-- title: Encrypted database without a backup that survives its key
-- severity: high for backups-off and deleted-without-final-snapshot; medium for retention-below-minimum; critical when the resource is also exposed by a KMS-004 revocation
-- controls: AWS Security Hub Neptune.5, RDS.11, RDS.26; NIST SP 800-53 CP-9, CP-10; ISO 27001 A.8.13; CIS AWS Foundations (backups)
-- explanation: This Neptune or RDS database is encrypted with a KMS key. If RDS loses access to
--   that key (disabled, scheduled for deletion, grant revoked, policy changed), the database goes
--   into a terminal state and only a backup can bring it back. This one has no such backup:
--   automated backups are off and no recent snapshot exists (backups-off), its automated backup
--   retention is below the minimum and no recent snapshot exists (retention-below-minimum), or it
--   was deleted with skipFinalSnapshot and no recent snapshot (deleted-without-final-snapshot).
--   The evidence lists every snapshot and the key protecting it: a snapshot under the same key is
--   lost with that key.
-- remediation: Turn on automated backups with a retention of at least min_backup_retention_days
--   (ModifyDBInstance/ModifyDBCluster BackupRetentionPeriod), take a manual snapshot now, and copy
--   it under a different KMS key (CopyDBClusterSnapshot/CopyDBSnapshot with another KmsKeyId) so
--   that losing the database key is recoverable; delete databases with a final snapshot. The key
--   itself must keep allowing RDS kms:Encrypt, kms:Decrypt, kms:GenerateDataKey,
--   kms:GenerateDataKeyWithoutPlaintext, kms:ReEncryptFrom, kms:ReEncryptTo, kms:CreateGrant and
--   kms:DescribeKey.
WITH resources AS (
    -- Deleted after the window's end: alive at it (docs/rules/DECISIONS.md #30); judged on its
    -- state as of the window's end, or of its deletion (#33).
    SELECT r.id, r.arn, r.identifier, r.kind, r.engine, r.account, r.region, r.cluster_identifier,
           r.storage_encrypted, r.kms_key_arn, r.kms_key_ref, r.created_at, r.last_event_at, r.skip_final_snapshot,
           CASE WHEN r.deleted_at <= :window_end THEN r.deleted_at END AS deleted_at,
           (SELECT c.backup_retention_period FROM db_resource_changes c
             WHERE c.db_resource_id = r.id
               AND (c.event_time IS NULL OR c.event_time <= CASE WHEN r.deleted_at IS NOT NULL AND r.deleted_at <= :window_end
                                                                 THEN r.deleted_at ELSE :window_end END)
             ORDER BY coalesce(c.event_time, '') DESC, c.id DESC LIMIT 1) AS backup_retention_period,
           strftime('%Y-%m-%dT%H:%M:%SZ', CASE WHEN r.deleted_at IS NOT NULL AND r.deleted_at <= :window_end
                                               THEN r.deleted_at ELSE :window_end END,
                    printf('-%d days', :max_snapshot_age_days)) AS snapshot_since,
           CASE WHEN r.deleted_at IS NOT NULL AND r.deleted_at <= :window_end THEN r.deleted_at ELSE :window_end END AS as_of
    FROM db_resources r
    WHERE r.storage_encrypted = 1
      AND NOT (r.kind = 'instance' AND r.cluster_identifier IS NOT NULL)
      AND (r.created_at IS NULL OR r.created_at <= :window_end)
),
judged AS (
    SELECT r.*,
           (SELECT count(*) FROM snapshots s
             WHERE (s.db_resource_id = r.id OR s.resource_arn = r.arn)
               AND s.created_at IS NOT NULL AND s.created_at > r.snapshot_since AND s.created_at <= r.as_of
               AND (s.deleted_at IS NULL OR s.deleted_at > r.as_of)) AS recent_snapshots,
           CASE
               WHEN r.deleted_at IS NOT NULL THEN
                   CASE WHEN r.deleted_at BETWEEN :window_start AND :window_end AND r.skip_final_snapshot = 1
                        THEN 'deleted-without-final-snapshot' END
               WHEN r.backup_retention_period = 0 THEN 'backups-off'
               WHEN r.backup_retention_period < :min_backup_retention_days THEN 'retention-below-minimum'
           END AS category
    FROM resources r
    WHERE r.deleted_at IS NULL OR r.deleted_at > :window_start
)
SELECT
    CASE
        WHEN EXISTS (SELECT 1 FROM revocation_exposures x JOIN revocations v ON v.event_id = x.revocation_event_id
                     WHERE x.resource_arn = j.arn AND v.event_time BETWEEN :window_start AND :window_end) THEN 'critical'
        WHEN j.category = 'retention-below-minimum' THEN 'medium'
        ELSE 'high'
    END AS severity,
    j.category,
    j.kms_key_arn AS key_arn,
    NULL AS principal,
    j.arn AS resource,
    coalesce(j.created_at, (SELECT min(event_time) FROM db_resource_changes c WHERE c.db_resource_id = j.id)) AS first_seen,
    coalesce(j.deleted_at, j.last_event_at) AS last_seen,
    (SELECT count(*) FROM db_resource_changes c WHERE c.db_resource_id = j.id)
      + (SELECT count(*) FROM snapshots s WHERE s.db_resource_id = j.id OR s.resource_arn = j.arn) AS event_count,
    json_object(
        'identifier', j.identifier, 'kind', j.kind, 'engine', j.engine, 'account', j.account, 'region', j.region,
        'kms_key', coalesce(j.kms_key_arn, j.kms_key_ref),
        'backup_retention_period', j.backup_retention_period,
        'min_backup_retention_days', :min_backup_retention_days,
        'created_at', j.created_at, 'deleted_at', j.deleted_at,
        'skip_final_snapshot', j.skip_final_snapshot,
        'snapshots', (SELECT json_group_array(json_object('snapshot', coalesce(s.arn, s.identifier), 'key_arn', s.key_arn,
                             'same_key', json(CASE WHEN s.key_arn = j.kms_key_arn THEN 'true' ELSE 'false' END),
                             'created_at', s.created_at, 'deleted_at', s.deleted_at, 'source', s.source))
                      FROM snapshots s WHERE s.db_resource_id = j.id OR s.resource_arn = j.arn),
        'exposed_by_revocations', (SELECT json_group_array(x.revocation_event_id) FROM revocation_exposures x
                                   WHERE x.resource_arn = j.arn),
        'backup_history', (SELECT json_group_array(json_object('time', c.event_time, 'event', c.event_name,
                                  'backup_retention_period', c.backup_retention_period))
                           FROM db_resource_changes c WHERE c.db_resource_id = j.id)
    ) AS evidence,
    (SELECT json_group_array(event_id) FROM (SELECT c.event_id FROM db_resource_changes c
        WHERE c.db_resource_id = j.id AND c.event_id IS NOT NULL ORDER BY c.event_time LIMIT 20)) AS event_ids
FROM judged j
WHERE j.category IS NOT NULL AND j.recent_snapshots = 0
ORDER BY j.arn, j.category
