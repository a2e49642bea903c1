-- id: LOG-002
-- contract: docs/rules/LOG-002.md (categories, severities, evidence and the decisions that shape it)
-- title: CloudTrail log file listed in a digest is missing
-- severity: high: delivered events are absent from the evidence
-- controls: CIS AWS Foundations 3.2 (log file validation); NIST SP 800-53 AU-9, AU-11; PCI DSS 10.5.1
-- explanation: A signed CloudTrail digest lists this log file as delivered, but it is not among the
--   ingested files, or it is present and could not be read. The events it held are not in this audit:
--   activity during its hour may be unaccounted for, whether the file was deleted from the archive or
--   the local copy is incomplete.
-- remediation: Copy the object from the trail's S3 bucket again (aws s3 cp with the key shown) and
--   re-run ingest. If it is gone from the bucket too, treat it as deletion of audit evidence: review
--   s3:DeleteObject rights and S3 server access or data-event logs for the bucket, and enable Object Lock.
SELECT
    'high' AS severity,
    'missing' AS category,
    r.object_key AS resource,
    r.hour AS first_seen,
    r.hour AS last_seen,
    json_patch(json_object('account', r.account, 'region', r.region, 'hour', r.hour), r.detail) AS evidence
FROM integrity_latest r
WHERE r.kind = 'missing'
ORDER BY r.object_key;
