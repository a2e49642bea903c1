-- id: KMS-002
-- title: placeholder
SELECT 'info' AS severity WHERE 0
