-- id: KMS-002
-- contract: docs/rules/KMS-002.md (categories, severities, evidence and the decisions that shape it)
-- title: Database key used by an unintended principal
-- severity: critical for cross-account and policy-drift; high for root-user and not-named; medium for root-delegation and not-evaluable
-- controls: NIST SP 800-53 AC-3, AC-6, SC-12; CIS AWS Foundations 1.16 (least privilege); AWS Security Hub KMS.1, KMS.2; ISO 27001 A.8.24
-- explanation: Every call on a database key was checked against the key policy in effect at the
--   time of the call, the grants active then and the configured allow-list. This principal is not
--   one the policy means to use the key: it belongs to another account that nothing names
--   (cross-account), the call succeeded although an explicit Deny of the policy matches it
--   (policy-drift: the policy on record is not what KMS enforced), it is an account's root user
--   acting directly (root-user), it is allowed only because the policy delegates to the whole
--   account through IAM (root-delegation), nothing names it at all (not-named), or a statement
--   that would decide it uses a condition kmsaudit cannot evaluate (not-evaluable).
-- remediation: Name the principals that should use the key in the key policy, each with the
--   actions it needs (for the database role: kms:Encrypt, kms:Decrypt, kms:GenerateDataKey,
--   kms:GenerateDataKeyWithoutPlaintext, kms:ReEncryptFrom, kms:ReEncryptTo, kms:CreateGrant,
--   kms:DescribeKey, with kms:ViaService rds.REGION.amazonaws.com); remove the principal's access
--   if it is not meant to have it; replace account-root delegation with named roles where IAM
--   policies are broad; for policy-drift, fetch the live policy (aws kms get-key-policy) and
--   reconcile it with the one on record.
WITH evaluated AS (
    SELECT * FROM key_use_evaluations
    WHERE category <> 'intended' AND event_time BETWEEN :window_start AND :window_end
),
groups AS (
    SELECT key_arn, principal, category,
           min(event_time) AS first_seen, max(event_time) AS last_seen,
           count(DISTINCT coalesce(shared_event_id, event_id)) AS event_count,
           sum(succeeded) AS succeeded_calls, sum(1 - succeeded) AS denied_calls,
           json_group_array(DISTINCT event_name) AS event_names,
           json_group_array(DISTINCT policy_source) AS policy_sources,
           json_group_array(DISTINCT decided_by) FILTER (WHERE decided_by IS NOT NULL) AS decided_by,
           json_group_array(DISTINCT note) FILTER (WHERE note IS NOT NULL) AS notes,
           max(principal_account) AS principal_account
    FROM evaluated
    GROUP BY key_arn, principal, category
)
SELECT
    CASE g.category
        WHEN 'cross-account' THEN 'critical'
        WHEN 'policy-drift' THEN 'critical'
        WHEN 'root-user' THEN 'high'
        WHEN 'not-named' THEN 'high'
        ELSE 'medium'
    END AS severity,
    g.category, g.key_arn, g.principal, NULL AS resource, g.first_seen, g.last_seen, g.event_count,
    json_object(
        'category', g.category,
        'principal_account', g.principal_account,
        'succeeded_calls', g.succeeded_calls,
        'denied_calls', g.denied_calls,
        'event_names', json(g.event_names),
        'policy_sources', json(g.policy_sources),
        'matched_statements', json(coalesce(g.decided_by, '[]')),
        'not_evaluable', json(coalesce(g.notes, '[]')),
        'all_events_sql', printf(
            'SELECT e.* FROM key_use_evaluations v JOIN event_ids i ON i.event_id = v.event_id JOIN kms_events e ON e.id = i.event_row WHERE v.key_arn = %Q AND v.principal = %Q AND v.category = %Q ORDER BY e.event_time',
            g.key_arn, g.principal, g.category)
    ) AS evidence,
    (SELECT json_group_array(event_id) FROM (SELECT event_id FROM evaluated v
        WHERE v.key_arn = g.key_arn AND v.principal = g.principal AND v.category = g.category
        ORDER BY event_time, event_id LIMIT 20)) AS event_ids
FROM groups g
ORDER BY g.key_arn, g.principal, g.category
