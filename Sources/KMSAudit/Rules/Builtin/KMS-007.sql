-- id: KMS-007
-- contract: docs/rules/KMS-007.md (categories, severities, evidence and the decisions that shape it)
-- title: Database key held by another account or managed by AWS
-- severity: high for other-account-key; medium for aws-managed-key
-- controls: NIST SP 800-53 SC-12, SC-12(1), SC-28, AC-6; ISO 27001 A.8.24; AWS Security Hub KMS.3; CIS AWS Foundations 3.x
-- explanation: Who can take this database's key away from it. other-account-key: the KMS key
--   that encrypts this Neptune or RDS database belongs to another AWS account than the database
--   (one the config's trusted_key_accounts does not list). That account can disable the key,
--   revoke RDS's grants or schedule the key's deletion, and the database then goes into a
--   terminal state; those events land in that account's CloudTrail, which may not be part of this
--   evidence. aws-managed-key: the database is encrypted with the account's AWS managed aws/rds
--   key (its create or restore request named no KmsKeyId or named alias/aws/rds, the key resolves
--   from alias/aws/rds, or describe-key says KeyManager AWS). Its key policy cannot be changed, so
--   the recommended restrictions (kms:ViaService RDS only, an explicit Deny outside RDS, grants
--   only for AWS resources) cannot be added, and its snapshots cannot be shared with another
--   account.
-- remediation: Restore the database from a snapshot copied under a customer managed key of the
--   database's own account (CopyDBSnapshot/CopyDBClusterSnapshot with KmsKeyId, then restore),
--   whose key policy allows the database role kms:Encrypt, kms:Decrypt, kms:GenerateDataKey,
--   kms:GenerateDataKeyWithoutPlaintext, kms:ReEncryptFrom, kms:ReEncryptTo, kms:CreateGrant and
--   kms:DescribeKey only with kms:ViaService rds.REGION.amazonaws.com. If another account must
--   hold the key, list it in trusted_key_accounts and collect its CloudTrail too; if the AWS
--   managed key is accepted, set allow_aws_managed_keys: true.
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
encrypted AS (
    SELECT a.*, coalesce(c.kms_key_arn, a.kms_key_arn) AS db_key, coalesce(c.kms_key_ref, a.kms_key_ref) AS key_ref,
           k.account AS key_account, k.key_manager, k.key_state AS inventory_key_state,
           EXISTS (SELECT 1 FROM alias_history h WHERE h.alias_name = 'alias/aws/rds'
                    AND h.key_arn = coalesce(c.kms_key_arn, a.kms_key_arn)) AS aws_rds_alias_target
    FROM alive a JOIN db_resource_changes c ON c.id = a.state_change_id
    LEFT JOIN keys k ON k.key_arn = coalesce(c.kms_key_arn, a.kms_key_arn)
    WHERE c.storage_encrypted = 1
),
judged AS (
    SELECT e.*, 'other-account-key' AS category, 'high' AS severity,
           json_array('the key belongs to account ' || e.key_account || ', the database to ' || e.account) AS reasons
    FROM encrypted e
    WHERE e.key_account IS NOT NULL AND e.account IS NOT NULL AND e.key_account <> e.account
      AND e.key_account NOT IN (SELECT value FROM json_each(:trusted_key_accounts))
    UNION ALL
    SELECT e.*, 'aws-managed-key', 'medium',
           (SELECT json_group_array(reason) FROM (
                SELECT 'the create or restore request named no kmsKeyId or alias/aws/rds' AS reason WHERE e.aws_managed_key_requested = 1
                UNION ALL SELECT 'the key is named alias/aws/rds' WHERE e.key_ref = 'alias/aws/rds' OR e.key_ref LIKE '%:alias/aws/rds'
                UNION ALL SELECT 'alias/aws/rds resolves to the key' WHERE e.aws_rds_alias_target
                UNION ALL SELECT 'describe-key says KeyManager AWS' WHERE e.key_manager = 'AWS'))
    FROM encrypted e
    WHERE :allow_aws_managed_keys = 0
      AND (e.aws_managed_key_requested = 1 OR e.key_ref = 'alias/aws/rds' OR e.key_ref LIKE '%:alias/aws/rds'
           OR e.aws_rds_alias_target OR e.key_manager = 'AWS')
)
SELECT
    j.severity,
    j.category,
    coalesce(j.db_key, j.key_ref) AS key_arn,
    NULL AS principal,
    j.arn AS resource,
    coalesce(j.created_at, (SELECT min(event_time) FROM db_resource_changes c WHERE c.db_resource_id = j.id)) AS first_seen,
    j.last_event_at AS last_seen,
    (SELECT count(*) FROM db_resource_changes c WHERE c.db_resource_id = j.id AND c.event_time <= :window_end)
      + (SELECT count(*) FROM snapshots s WHERE (s.db_resource_id = j.id OR s.resource_arn = j.arn)
                                             AND s.created_at <= :window_end) AS event_count,
    json_object(
        'identifier', j.identifier, 'kind', j.kind, 'engine', j.engine, 'account', j.account, 'region', j.region,
        'kms_key', coalesce(j.db_key, j.key_ref), 'kms_key_as_written', j.key_ref, 'key_account', j.key_account,
        'key_manager', j.key_manager, 'key_state_in_inventory', j.inventory_key_state,
        'aws_managed_key_requested', j.aws_managed_key_requested,
        'trusted_key_accounts', json(:trusted_key_accounts),
        'why', json(j.reasons)
    ) AS evidence,
    (SELECT json_group_array(event_id) FROM (SELECT c.event_id FROM db_resource_changes c
        WHERE c.db_resource_id = j.id AND c.event_id IS NOT NULL AND c.event_time <= :window_end
        ORDER BY c.event_time LIMIT 20)) AS event_ids
FROM judged j
ORDER BY j.arn, j.category
