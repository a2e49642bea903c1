-- id: KMS-005
-- contract: docs/rules/KMS-005.md (categories, severities, evidence and the decisions that shape it)
-- title: Unencrypted database
-- severity: high; low once an encrypted restore of one of its snapshots exists (the migration happened)
-- controls: AWS Security Hub RDS.3, RDS.27, Neptune.1; NIST SP 800-53 SC-28, SC-28(1); ISO 27001 A.8.24; CIS AWS Foundations 2.3.1
-- explanation: This Neptune or RDS database (a cluster, or an instance outside a cluster) is alive
--   at the end of the audit window and its storage is not encrypted, according to the latest
--   record that states it: its create call (created-unencrypted; a create that does not ask for
--   encryption gets none), its restore (restored-unencrypted) or read replica creation
--   (replica-unencrypted), which inherit their source's encryption when they do not state it, or
--   another RDS response or an inventory file (reported-unencrypted). Encryption at rest can only
--   be chosen when a database is created: an unencrypted cluster or instance can never be
--   converted, so its data, automated backups, snapshots and replicas stay readable to anyone
--   who obtains the storage. When an encrypted restore of one of its snapshots already exists,
--   the evidence names that successor and the severity is low: the migration happened and only
--   the unencrypted original remains to be retired.
-- remediation: Take a snapshot of the database, copy it with a customer managed KMS key
--   (CopyDBSnapshot/CopyDBClusterSnapshot with KmsKeyId) where the engine requires it, restore it
--   as a new encrypted cluster or instance (RestoreDBClusterFromSnapshot/
--   RestoreDBInstanceFromDBSnapshot with KmsKeyId), move clients to the new endpoint and delete the
--   unencrypted original with a final snapshot. Create new databases with StorageEncrypted true.
WITH alive AS (
    SELECT r.*,
           (SELECT c.id FROM db_resource_changes c
             WHERE c.db_resource_id = r.id AND (c.event_time IS NULL OR c.event_time <= :window_end)
             ORDER BY coalesce(c.event_time, '') DESC, c.id DESC LIMIT 1) AS state_change_id
    FROM db_resources r
    WHERE NOT (r.kind = 'instance' AND r.cluster_identifier IS NOT NULL)
      AND (r.created_at IS NULL OR r.created_at <= :window_end)
      AND (r.deleted_at IS NULL OR r.deleted_at > :window_end)
),
judged AS (
    SELECT a.*, c.encryption_settled_by AS settled_by,
           CASE
               WHEN c.encryption_settled_by IN ('CreateDBCluster', 'CreateDBInstance') THEN 'created-unencrypted'
               WHEN c.encryption_settled_by LIKE 'Restore%' THEN 'restored-unencrypted'
               WHEN c.encryption_settled_by = 'CreateDBInstanceReadReplica' THEN 'replica-unencrypted'
               ELSE 'reported-unencrypted'
           END AS category,
           (SELECT json_group_array(json_object('resource', s2.arn, 'identifier', s2.identifier,
                                                'restored_at', s2.created_at, 'event_id', s2.created_event_id,
                                                'from_snapshot', sn.arn, 'kms_key', coalesce(s2.kms_key_arn, s2.kms_key_ref)))
              FROM db_resources s2 JOIN snapshots sn ON sn.arn = s2.restored_from_snapshot
             WHERE (sn.db_resource_id = a.id OR sn.resource_arn = a.arn)
               AND s2.storage_encrypted = 1 AND s2.created_at IS NOT NULL AND s2.created_at <= :window_end
               AND s2.id <> a.id) AS successors
    FROM alive a JOIN db_resource_changes c ON c.id = a.state_change_id
    WHERE c.storage_encrypted = 0
)
SELECT
    CASE WHEN json_array_length(j.successors) > 0 THEN 'low' ELSE 'high' END AS severity,
    j.category,
    NULL AS key_arn,
    NULL AS principal,
    j.arn AS resource,
    coalesce(j.created_at, (SELECT min(event_time) FROM db_resource_changes c WHERE c.db_resource_id = j.id)) AS first_seen,
    j.last_event_at AS last_seen,
    (SELECT count(*) FROM db_resource_changes c WHERE c.db_resource_id = j.id AND c.event_time <= :window_end)
      + (SELECT count(*) FROM snapshots s WHERE (s.db_resource_id = j.id OR s.resource_arn = j.arn)
                                             AND s.created_at <= :window_end) AS event_count,
    json_object(
        'identifier', j.identifier, 'kind', j.kind, 'engine', j.engine, 'account', j.account, 'region', j.region,
        'settled_by', j.settled_by,
        'settled_how', CASE WHEN j.settled_by = j.encryption_settled_by THEN j.encryption_basis END,
        'settled_event_id', CASE WHEN j.settled_by = j.encryption_settled_by THEN j.encryption_event_id END,
        'restored_from_snapshot', j.restored_from_snapshot,
        'source_resource', coalesce(j.replica_source_arn, j.source_resource_arn),
        'created_at', j.created_at, 'deleted_at', j.deleted_at,
        'encrypted_successors', json(j.successors),
        'encryption_history', (SELECT json_group_array(json_object('time', c.event_time, 'event', c.event_name,
                                      'storage_encrypted', c.storage_encrypted))
                               FROM db_resource_changes c WHERE c.db_resource_id = j.id)
    ) AS evidence,
    (SELECT json_group_array(event_id) FROM (SELECT c.event_id FROM db_resource_changes c
        WHERE c.db_resource_id = j.id AND c.event_id IS NOT NULL AND c.event_time <= :window_end
        ORDER BY c.event_time LIMIT 20)) AS event_ids
FROM judged j
ORDER BY j.arn
