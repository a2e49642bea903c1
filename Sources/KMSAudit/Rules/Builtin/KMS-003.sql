-- id: KMS-003
-- title: placeholder
SELECT 'info' AS severity WHERE 0
