-- id: LOG-005
-- contract: docs/rules/LOG-005.md (categories, severities, evidence and the decisions that shape it)
-- title: Gap in CloudTrail coverage
-- severity: medium for a gap shorter than 24 hours; high for 24 hours or more, and for a region or
--   trail that stopped delivering 24 hours or more before the end of the audit window; info where a
--   digest chain starts inside the window (the trail began delivering for that account and region:
--   not a gap, coverage is judged from there)
-- controls: NIST SP 800-53 AU-5, AU-6, AU-12; CIS AWS Foundations 3.1 (CloudTrail enabled in all regions)
-- explanation: For an account and region in the audit window there are hours with neither a log file
--   nor a digest file, or the region's files (or a trail's digest chain) stop well before the end of
--   the window. KMS and RDS activity in those hours is not in the evidence: the trail may have been
--   stopped (StopLogging, DeleteTrail), validation disabled, the region quiet, or the local copy
--   incomplete. Short gaps in quiet regions are common, which is why a gap alone is medium. A chain
--   whose first digest names no previous digest began then (an organisation trail's accounts and
--   regions join at different times): the hours before it are not a gap, only an info note; an
--   earliest digest that does name a previous one is a missing first part, reported as LOG-004.
-- remediation: Confirm that the trail was logging (GetTrailStatus, StopLogging and UpdateTrail events)
--   and that the sync copied every prefix of the bucket for the window; re-sync and re-ingest. Keep
--   log file validation on so that CloudTrail writes an hourly digest even for hours without events.
SELECT
    CASE
        WHEN r.kind = 'verified' THEN 'info'
        WHEN r.kind = 'coverage-gap' AND coalesce(json_extract(r.detail, '$.hours'), 0) >= 24 THEN 'high'
        WHEN r.kind = 'stopped-delivering' AND coalesce(json_extract(r.detail, '$.hours_silent'), 0) >= 24 THEN 'high'
        ELSE 'medium'
    END AS severity,
    CASE WHEN r.kind = 'verified' THEN 'chain-start' ELSE r.kind END AS category,
    r.object_key AS resource,
    r.hour AS first_seen,
    coalesce(json_extract(r.detail, '$.to'), json_extract(r.detail, '$.window_end'), r.hour) AS last_seen,
    json_patch(json_object('account', r.account, 'region', r.region, 'trail', r.trail, 'hour', r.hour),
               r.detail) AS evidence
FROM integrity_latest r
WHERE r.kind IN ('coverage-gap', 'stopped-delivering')
   OR (r.kind = 'verified' AND r.aspect = 'coverage' AND json_extract(r.detail, '$.reason') = 'chain-start')
ORDER BY r.account, r.region, r.hour;
