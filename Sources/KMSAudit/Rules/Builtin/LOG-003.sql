-- id: LOG-003
-- contract: docs/rules/LOG-003.md (categories, severities, evidence and the decisions that shape it)
-- title: CloudTrail log file not listed in any digest
-- severity: high: the file cannot be shown to come from CloudTrail
-- controls: CIS AWS Foundations 3.2 (log file validation); NIST SP 800-53 AU-9, AU-10, SI-7
-- explanation: This log file sits in the trail's folder for an account, region and hour that signed
--   digest files cover, yet no digest lists it. CloudTrail lists every file it delivers while validation
--   is on, so the file was most likely added after delivery (planted events), or delivered while log
--   file validation was off. Its events are in the audit but are not authenticated.
-- remediation: Check whether the object exists in the trail's S3 bucket and who wrote it (S3 server
--   access or data-event logs); check the trail's log file validation history (UpdateTrail events with
--   EnableLogFileValidation). Exclude the file from the evidence until its origin is established.
SELECT
    'high' AS severity,
    'unlisted' AS category,
    r.object_key AS resource,
    r.hour AS first_seen,
    r.hour AS last_seen,
    json_patch(json_object('account', r.account, 'region', r.region, 'hour', r.hour), r.detail) AS evidence
FROM integrity_latest r
WHERE r.kind = 'unlisted'
ORDER BY r.object_key;
