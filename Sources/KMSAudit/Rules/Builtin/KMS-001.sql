-- id: KMS-001
-- title: placeholder
SELECT 'info' AS severity WHERE 0
