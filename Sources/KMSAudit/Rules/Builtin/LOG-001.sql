-- id: LOG-001
-- contract: docs/rules/LOG-001.md (categories, severities, evidence and the decisions that shape it)
-- title: CloudTrail log file altered after delivery
-- severity: critical: the file's content is not what CloudTrail delivered
-- controls: CIS AWS Foundations 3.2 (log file validation); NIST SP 800-53 AU-9, AU-10, SI-7; PCI DSS 10.3.4
-- explanation: The uncompressed SHA-256 of a local CloudTrail log file differs from the hash CloudTrail
--   recorded for it in its signed digest file at delivery. The file was changed after delivery (by a
--   person, a tool that rewrote it, or storage corruption), so the events it holds, and any finding or
--   absence of finding that rests on them, cannot be trusted as evidence.
-- remediation: Fetch the original object from the trail's S3 bucket (or a replica with Object Lock)
--   and compare; find who could write to the log archive (s3:PutObject, s3:DeleteObject on the bucket,
--   the sync job's role) and restrict it; enable S3 Object Lock or MFA delete on the log bucket.
SELECT
    'critical' AS severity,
    'tampered' AS category,
    r.object_key AS resource,
    r.hour AS first_seen,
    r.hour AS last_seen,
    json_patch(json_object('account', r.account, 'region', r.region, 'hour', r.hour), r.detail) AS evidence
FROM integrity_latest r
WHERE r.kind = 'tampered'
ORDER BY r.object_key;
