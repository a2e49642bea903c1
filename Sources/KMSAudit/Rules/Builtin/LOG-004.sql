-- id: LOG-004
-- contract: docs/rules/LOG-004.md (categories, severities, evidence and the decisions that shape it)
-- title: CloudTrail digest chain broken or digest signature invalid
-- severity: critical when a digest signature does not verify (forged or altered digest); high when
--   the chain is broken (a digest edited, missing, unreadable or moved)
-- controls: CIS AWS Foundations 3.2 (log file validation); NIST SP 800-53 AU-9, AU-10, SI-7
-- explanation: CloudTrail writes one signed digest per trail, region and hour; each names the previous
--   one with its SHA-256 and signature, so the chain proves that no hour of logs was removed and no
--   digest rewritten. Here a digest's content no longer matches the hash its successor recorded, an
--   hour of the chain is missing (every missing hour is reported, consecutive ones included), or a
--   digest's SHA256withRSA signature does not verify with CloudTrail's published public key. Log files
--   of the affected hours cannot be proven complete and unaltered. A digest that fails its own check
--   (its hash differs from the one the next digest recorded, or its signature fails) cannot vouch
--   for the log files it lists: they are reported as not verifiable (naming this digest), never as
--   altered (LOG-001), since the edit may be the digest's. An earliest digest of a chain that names
--   a previous digest is a missing first part; one that names none is where the chain began.
-- remediation: Copy the named digest objects from the trail's S3 bucket again and re-run verify; if
--   they are missing or different there too, treat it as tampering with audit evidence: restrict
--   write and delete rights on the log bucket, enable S3 Object Lock, and validate online with
--   aws cloudtrail validate-logs. For a bad signature, make sure --public-keys holds the keys of the
--   digest's region and time (aws cloudtrail list-public-keys --start-time --end-time in that region).
SELECT
    CASE WHEN r.kind = 'bad-signature' THEN 'critical' ELSE 'high' END AS severity,
    r.kind AS category,
    r.object_key AS resource,
    r.hour AS first_seen,
    r.hour AS last_seen,
    json_patch(json_object('account', r.account, 'region', r.region, 'trail', r.trail, 'hour', r.hour),
               r.detail) AS evidence
FROM integrity_latest r
WHERE r.kind IN ('chain-broken', 'bad-signature')
ORDER BY r.object_key, r.kind;
