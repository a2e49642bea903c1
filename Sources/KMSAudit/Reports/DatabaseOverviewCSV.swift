import Foundation

extension CSVReport {
    /// databases.csv: one row per database of the report's Databases section (docs/REPORTS.md).
    package static let databasesColumns = [
        "account", "region", "arn", "identifier", "kind", "engine", "members", "encrypted", "key_arn", "key_alias",
        "key_controller", "backup_retention_period", "recovery_paths", "independent_paths", "survives_key_loss",
        "rule_ids", "fingerprints",
    ]

    /// databases.csv as text; only the header when the section was not computed.
    package static func databases(_ model: ReportModel) throws -> String {
        var out = Data()
        try writeDatabases(model) { out.append($0) }
        return String(decoding: out, as: UTF8.self)
    }

    static func writeDatabases(_ model: ReportModel, _ sink: (Data) throws -> Void) throws {
        try withoutActuallyEscaping(sink) { sink in
            let table = try CSVTable(columns: databasesColumns, sink: sink)
            for d in model.databases ?? [] { try table.add(row(d)) }
            try table.finish()
        }
    }

    /// A databases.csv row, in `databasesColumns` order. Recovery paths are one per line:
    /// `KIND NAME key=KEY (other key)` or `(same key)`; paths alike are one line, NAME the
    /// newest's, followed by ` count=N oldest=TIME`.
    static func row(_ d: DatabaseOverview) -> [String] {
        let paths = d.recoveryPaths.map { p in
            let name = p.kind == "automated-backups" ? "retention=\(p.retentionDays.map(String.init) ?? "?")d" : p.name
            let line = "\(p.kind) \(name) key=\(p.keyARN ?? "unknown") (\(p.independent ? "other key" : "same key"))"
            return p.count > 1 ? line + " count=\(p.count) oldest=\(p.oldestCreatedAt ?? "unknown")" : line
        }
        let survives = d.survivesKeyLoss.map { $0 ? "yes" : "no" } ?? ""
        var cells = [d.account ?? "", d.region ?? "", d.arn, d.identifier, d.kind, d.engine ?? ""]
        cells += [d.members.joined(separator: " "), d.encrypted, d.keyARN ?? d.keyRef ?? "", d.keyAlias ?? ""]
        cells += [d.keyController ?? "", d.backupRetentionPeriod.map(String.init) ?? "", paths.joined(separator: "\n")]
        cells += [String(d.recoveryPaths.filter(\.independent).count), survives]
        cells += [Array(Set(d.findings.map(\.ruleID))).sorted().joined(separator: " "),
                  d.findings.map(\.fingerprint).joined(separator: " ")]
        return cells
    }
}
