-- id: KMS-004
-- title: placeholder
SELECT 'info' AS severity WHERE 0
