private typealias Member = ReportJSON.Member

extension JSONReport {
    /// One element of the JSON report's `databases` array (docs/REPORT-JSON.md "databases").
    static func databaseJSON(_ d: DatabaseOverview) -> ReportJSON {
        .object([
            Member("arn", .string(d.arn)),
            Member("identifier", .string(d.identifier)),
            Member("kind", .string(d.kind)),
            Member("engine", .from(d.engine)),
            Member("account", .from(d.account)),
            Member("region", .from(d.region)),
            Member("encrypted", .string(d.encrypted)),
            Member("key_arn", .from(d.keyARN)),
            Member("key_ref", .from(d.keyRef)),
            Member("key_alias", .from(d.keyAlias)),
            Member("key_account", .from(d.keyAccount)),
            Member("key_controller", .from(d.keyController)),
            Member("backup_retention_period", .from(d.backupRetentionPeriod.map(Int64.init))),
            Member("members", .from(d.members)),
            Member("recovery_paths", .array(d.recoveryPaths.map { p in
                .object([
                    Member("kind", .string(p.kind)),
                    Member("name", .string(p.name)),
                    Member("key_arn", .from(p.keyARN)),
                    Member("region", .from(p.region)),
                    Member("account", .from(p.account)),
                    Member("retention_days", .from(p.retentionDays.map(Int64.init))),
                    Member("created_at", .from(p.createdAt)),
                    Member("independent", .bool(p.independent)),
                    Member("count", .from(Int64(p.count))),
                    Member("oldest_created_at", .from(p.oldestCreatedAt)),
                ])
            })),
            Member("survives_key_loss", d.survivesKeyLoss.map(ReportJSON.bool) ?? .null),
            Member("verdict", .string(d.keyLossVerdict)),
            Member("findings", .array(d.findings.map { f in
                .object([
                    Member("rule_id", .string(f.ruleID)),
                    Member("category", .from(f.category)),
                    Member("severity", .string(f.severity.rawValue)),
                    Member("fingerprint", .string(f.fingerprint)),
                ])
            })),
        ])
    }
}
