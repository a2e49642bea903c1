-- id: KMS-001
-- contract: docs/rules/KMS-001.md (categories, severities, evidence and the decisions that shape it)
-- title: Database key used outside ViaService RDS
-- severity: high when the calls succeeded; low when they were denied (one finding per key, principal and outcome)
-- controls: CIS AWS Foundations 3.7 (CloudTrail logs KMS use); NIST SP 800-53 SC-12, SC-28, AC-6; AWS Security Hub KMS.1, KMS.2; PCI DSS 3.6
-- explanation: This key protects a Neptune or RDS database, and its recommended key policy allows
--   its cryptographic use only through RDS (the kms:ViaService condition rds.REGION.amazonaws.com).
--   These calls used the key directly, without RDS: whoever made them could decrypt or re-encrypt
--   data under the database's key outside the database. Succeeded calls mean the policy does not
--   enforce the restriction; denied calls are attempts the policy stopped.
-- remediation: Add (or repair) the key policy statement that denies kms:* to the database role
--   when kms:ViaService is not rds.REGION.amazonaws.com, and keep kms:Encrypt, kms:Decrypt,
--   kms:GenerateDataKey, kms:GenerateDataKeyWithoutPlaintext, kms:ReEncryptFrom, kms:ReEncryptTo,
--   kms:CreateGrant and kms:DescribeKey allowed only with that condition (optionally
--   kms:GrantIsForAWSResource true on CreateGrant). Find out who made the direct calls and why.
WITH uses AS (
    -- CROSS JOIN keeps the database keys as the outer loop: SQLite then reads each key's events
    -- through events_key_time and filters via_rds in the index, instead of walking every
    -- Encrypt/Decrypt of every key by name (0.5 s -> 0.08 s on 2M events).
    SELECT e.*
    FROM keys k
    CROSS JOIN kms_events e ON e.key_arn = k.key_arn
    WHERE k.is_database_key = 1
      AND e.event_name IN ('Encrypt', 'Decrypt', 'ReEncrypt', 'GenerateDataKey', 'GenerateDataKeyWithoutPlaintext',
                           'GenerateDataKeyPair', 'GenerateDataKeyPairWithoutPlaintext', 'CreateGrant')
      AND e.via_rds = 0
      AND e.event_time BETWEEN :window_start AND :window_end
),
groups AS (
    SELECT key_arn, principal, succeeded,
           min(event_time) AS first_seen, max(event_time) AS last_seen,
           count(DISTINCT coalesce(shared_event_id, event_id)) AS event_count,
           json_group_array(DISTINCT event_name) AS event_names
    FROM uses
    GROUP BY key_arn, principal, succeeded
)
SELECT
    CASE WHEN g.succeeded = 1 THEN 'high' ELSE 'low' END AS severity,
    CASE WHEN g.succeeded = 1 THEN 'succeeded' ELSE 'denied' END AS category,
    g.key_arn, g.principal, NULL AS resource, g.first_seen, g.last_seen, g.event_count,
    json_object(
        'outcome', CASE WHEN g.succeeded = 1 THEN 'succeeded' ELSE 'denied' END,
        'event_names', json(g.event_names),
        'source_ips', (SELECT json_group_array(ip) FROM (SELECT DISTINCT source_ip AS ip FROM uses u
                        WHERE u.key_arn = g.key_arn AND u.principal = g.principal AND u.succeeded = g.succeeded
                          AND u.source_ip IS NOT NULL ORDER BY 1 LIMIT 20)),
        'user_agents', (SELECT json_group_array(ua) FROM (SELECT DISTINCT user_agent AS ua FROM uses u
                        WHERE u.key_arn = g.key_arn AND u.principal = g.principal AND u.succeeded = g.succeeded
                          AND u.user_agent IS NOT NULL ORDER BY 1 LIMIT 20)),
        'error_codes', (SELECT json_group_array(DISTINCT error_code) FROM uses u
                        WHERE u.key_arn = g.key_arn AND u.principal = g.principal AND u.succeeded = g.succeeded
                          AND u.error_code IS NOT NULL),
        'all_events_sql', printf(
            'SELECT * FROM kms_events WHERE key_arn = %Q AND principal = %Q AND via_rds = 0 AND succeeded = %d AND event_name IN (''Encrypt'', ''Decrypt'', ''ReEncrypt'', ''GenerateDataKey'', ''GenerateDataKeyWithoutPlaintext'', ''GenerateDataKeyPair'', ''GenerateDataKeyPairWithoutPlaintext'', ''CreateGrant'') AND event_time BETWEEN %Q AND %Q ORDER BY event_time',
            g.key_arn, g.principal, g.succeeded, :window_start, :window_end)
    ) AS evidence,
    (SELECT json_group_array(event_id) FROM (SELECT event_id FROM uses u
        WHERE u.key_arn = g.key_arn AND u.principal = g.principal AND u.succeeded = g.succeeded
        ORDER BY event_time, event_id LIMIT 20)) AS event_ids
FROM groups g
ORDER BY g.key_arn, g.principal, g.succeeded DESC
