import KMSAudit
print(KMSAuditVersion.current)
