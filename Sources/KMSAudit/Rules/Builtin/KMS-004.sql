-- id: KMS-004
-- contract: docs/rules/KMS-004.md (categories, severities, evidence and the decisions that shape it)
-- title: RDS cut off from a key a live database depends on
-- severity: critical when not undone and an exposed resource has no backup under another key; high when not undone; medium when undone (the exposure window is given)
-- controls: NIST SP 800-53 SC-12, CP-9, CP-10; AWS Security Hub KMS.3 (keys not unintentionally deleted); ISO 27001 A.8.13, A.8.24; SOC 2 A1.2
-- explanation: Neptune and RDS need their KMS key for as long as the database exists. This event
--   took the key away from RDS (it disabled the key, scheduled it for deletion, removed imported
--   key material, disconnected its key store, ended RDS's grant, or changed the key policy so that
--   the principals RDS acts for can no longer use it) while the databases listed depended on it.
--   When RDS next needs the key the database goes into a terminal state
--   (inaccessible-encryption-credentials) and can only be restored from a backup; a backup under
--   the same key is lost with the key, so only a copy under another key is a recovery path.
--   Failed via-RDS calls after the event are evidence a database already lost its key.
-- remediation: If the change was not intended, undo it now: kms:EnableKey, kms:CancelKeyDeletion
--   then kms:EnableKey, re-import the key material, reconnect the key store, create the grant
--   again, or restore a key policy that allows the database role kms:Encrypt, kms:Decrypt,
--   kms:GenerateDataKey, kms:GenerateDataKeyWithoutPlaintext, kms:ReEncryptFrom, kms:ReEncryptTo,
--   kms:CreateGrant and kms:DescribeKey via rds.REGION.amazonaws.com. Keep a snapshot of every
--   exposed database copied under a different key (CopyDBClusterSnapshot/CopyDBSnapshot with
--   another KmsKeyId), and restrict kms:DisableKey, kms:ScheduleKeyDeletion, kms:RevokeGrant,
--   kms:RetireGrant and kms:PutKeyPolicy on database keys to a break-glass role.
WITH revoked AS (
    SELECT r.*,
           CASE WHEN r.undone_at IS NOT NULL AND r.undone_at <= :window_end THEN 1 ELSE 0 END AS undone,
           (SELECT count(*) FROM revocation_exposures x WHERE x.revocation_event_id = r.event_id
              AND x.has_other_key_backup = 0) AS without_other_backup
    FROM revocations r
    WHERE r.event_time BETWEEN :window_start AND :window_end
),
failures AS (
    SELECT v.event_id AS revocation_event_id, count(e.event_id) AS failed_calls,
           min(e.event_time) AS first_failure, json_group_array(DISTINCT e.error_code) AS error_codes
    FROM revoked v JOIN kms_events e
      ON e.key_arn = v.key_arn AND e.via_rds = 1 AND e.succeeded = 0 AND e.event_time >= v.event_time
     AND (v.undone = 0 OR e.event_time <= v.undone_at) AND e.event_time <= :window_end
    GROUP BY v.event_id
)
SELECT
    CASE WHEN v.undone = 1 THEN 'medium' WHEN v.without_other_backup > 0 THEN 'critical' ELSE 'high' END AS severity,
    v.event_name AS category,
    v.key_arn,
    v.principal,
    (SELECT group_concat(resource_arn, ', ') FROM (SELECT resource_arn FROM revocation_exposures
        WHERE revocation_event_id = v.event_id ORDER BY resource_arn)) AS resource,
    v.event_time AS first_seen,
    CASE WHEN v.undone = 1 THEN v.undone_at ELSE :window_end END AS last_seen,
    1 + coalesce(f.failed_calls, 0) AS event_count,
    json_object(
        'revocation', json(v.detail),
        'undone', json(CASE WHEN v.undone = 1 THEN 'true' ELSE 'false' END),
        'undone_at', v.undone_at,
        'undone_by', v.undone_by,
        'undone_by_event_id', v.undone_by_event_id,
        'exposure_hours', round((julianday(CASE WHEN v.undone = 1 THEN v.undone_at ELSE :window_end END)
                                 - julianday(v.event_time)) * 24, 1),
        'exposed_resources', (SELECT json_group_array(json_object('resource', x.resource_arn, 'engine', x.engine,
                                    'kind', x.kind, 'has_backup_under_other_key', json(CASE WHEN x.has_other_key_backup THEN 'true' ELSE 'false' END),
                                    'backups', json(x.backups)))
                              FROM revocation_exposures x WHERE x.revocation_event_id = v.event_id),
        'failed_rds_calls_after', coalesce(f.failed_calls, 0),
        'first_failure', f.first_failure,
        'failure_error_codes', json(coalesce(f.error_codes, '[]'))
    ) AS evidence,
    (SELECT json_group_array(id) FROM (
        SELECT v.event_id AS id
        UNION ALL SELECT v.undone_by_event_id WHERE v.undone = 1 AND v.undone_by_event_id IS NOT NULL
        UNION ALL SELECT * FROM (SELECT e.event_id FROM kms_events e
            WHERE e.key_arn = v.key_arn AND e.via_rds = 1 AND e.succeeded = 0 AND e.event_time >= v.event_time
              AND e.event_time <= :window_end ORDER BY e.event_time LIMIT 18))) AS event_ids,
    v.event_id AS identity
FROM revoked v LEFT JOIN failures f ON f.revocation_event_id = v.event_id
ORDER BY v.event_time, v.event_id
