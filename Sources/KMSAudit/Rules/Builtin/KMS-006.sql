-- id: KMS-006
-- title: Key policy does not follow the recommended pattern
-- severity: high for rds-cannot-use; medium for usable-outside-rds and not-evaluable; low for no-deny-outside-rds and grant-not-restricted (one finding per key, principal and category)
-- controls: NIST SP 800-53 AC-3, AC-6, SC-12, SC-28; CIS AWS Foundations 1.16 (least privilege); AWS Security Hub KMS.1 (IAM policies should not allow decryption on all KMS keys), KMS.2 (principals should not have IAM inline policies allowing decryption on all KMS keys); ISO 27001 A.8.24; PCI DSS 3.6
-- explanation: The recommended key policy for a Neptune or RDS database key lets the database's
--   role do exactly eight things (kms:Encrypt, kms:Decrypt, kms:GenerateDataKey,
--   kms:GenerateDataKeyWithoutPlaintext, kms:ReEncryptFrom, kms:ReEncryptTo, kms:CreateGrant,
--   kms:DescribeKey) and only through RDS (kms:ViaService rds.REGION.amazonaws.com), denies that
--   role every other use, and may allow CreateGrant only for AWS resources. The policy in effect
--   at the end of the audit window was asked, through the same policy evaluator as KMS-002, what
--   it allows: a principal that uses the key through RDS is not allowed, or is denied, one of the
--   eight actions through RDS, so the database goes into a terminal state the next time RDS needs
--   the key (rds-cannot-use); a principal other than an account root may encrypt, decrypt,
--   re-encrypt or generate data keys without going through RDS, so it can read the database's data
--   outside the database (usable-outside-rds); a principal other than an account root may create
--   grants on the key outside RDS for anyone, itself included (grant-not-restricted); the policy
--   delegates key use to a database principal's account through IAM and no Deny stops that
--   principal's use outside RDS, so an IAM policy could open it (no-deny-outside-rds); or a
--   statement that would decide one of these uses a condition kmsaudit cannot evaluate
--   (not-evaluable). A principal shown as * is allowed by a statement with Principal "*" or
--   NotPrincipal; the evidence names the statement. The account root's own delegation statement
--   is not a finding.
-- remediation: Give the database role kms:Encrypt, kms:Decrypt, kms:GenerateDataKey,
--   kms:GenerateDataKeyWithoutPlaintext, kms:ReEncryptFrom, kms:ReEncryptTo, kms:CreateGrant and
--   kms:DescribeKey with the condition StringEquals kms:ViaService rds.REGION.amazonaws.com (the
--   key's own region), and add a Deny of kms:* to that role with StringNotEquals kms:ViaService
--   rds.REGION.amazonaws.com. Remove kms:Encrypt, kms:Decrypt, kms:ReEncrypt*, kms:GenerateDataKey*
--   from statements that allow them without that condition (or with Principal "*"), and add the
--   condition Bool kms:GrantIsForAWSResource true to every statement that allows kms:CreateGrant
--   (kms:Create*, kms:*) to a key administrator or application. For not-evaluable, rewrite the
--   condition with kms:ViaService, kms:CallerAccount, kms:GrantIsForAWSResource,
--   kms:EncryptionContext:* or aws:PrincipalArn and the String/Bool operators, or review it by hand.
SELECT
    CASE j.category
        WHEN 'rds-cannot-use' THEN 'high'
        WHEN 'usable-outside-rds' THEN 'medium'
        WHEN 'not-evaluable' THEN 'medium'
        ELSE 'low'
    END AS severity,
    j.category, j.key_arn, j.principal, NULL AS resource,
    j.policy_from AS first_seen, j.judged_at AS last_seen,
    1 AS event_count,  -- the number of policy versions judged: the one in effect at the window's end
    -- json_patch onto {} drops the members that are null (no via-RDS calls, no file, ...).
    json_patch('{}', json_object(
        'category', j.category,
        'actions', json(j.actions),
        'deciding_statements', json(j.statements),
        'outcomes', json_extract(j.detail, '$.outcomes'),
        'context', json_extract(j.detail, '$.context'),
        'principals_tested', json_extract(j.detail, '$.principals_tested'),
        'why_asked', json_extract(j.detail, '$.why_asked'),
        'undecided_categories', json_extract(j.detail, '$.undecided_categories'),
        'also_not_evaluable', json_extract(j.detail, '$.also_not_evaluable'),
        'via_rds_calls', json_extract(j.detail, '$.via_rds_calls'),
        'config_database_principals', json_extract(j.detail, '$.config_database_principals'),
        'policy_source', j.policy_source,
        'policy_start', coalesce(j.policy_from, 'beginning of time'),
        'policy_event_id', j.policy_event_id,
        'policy_file', j.policy_file,
        'policy_sql', printf('SELECT * FROM key_policies WHERE id = %d', j.policy_id)
    )) AS evidence,
    CASE WHEN j.policy_event_id IS NOT NULL THEN json_array(j.policy_event_id) ELSE '[]' END AS event_ids
FROM key_policy_judgements j
ORDER BY j.key_arn, j.principal, j.category
