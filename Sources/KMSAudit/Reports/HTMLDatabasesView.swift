/// The Databases section as the template shows it (see `DatabaseOverview`): one row per DB
/// resource, its recovery paths as a nested list. Plain strings and flags, no optionals.
struct HTMLDatabasesView {
    /// False when the database has no derived state yet: "not computed".
    var checked: Bool
    var rows: [HTMLDatabaseRowView]
    var hasRows: Bool
    var total: String
    var lost: String
    var survives: String
    var unencrypted: String
    var unknown: String

    init(_ databases: [DatabaseOverview]?, findings: [ReportModel.Finding]) {
        checked = databases != nil
        let all = databases ?? []
        rows = all.map { HTMLDatabaseRowView($0, findings: findings) }
        hasRows = !rows.isEmpty
        total = String(all.count)
        lost = String(all.filter { $0.survivesKeyLoss == false }.count)
        survives = String(all.filter { $0.survivesKeyLoss == true }.count)
        unencrypted = String(all.filter { $0.encrypted == "no" }.count)
        unknown = String(all.filter { $0.encrypted == "unknown" }.count)
    }
}

struct HTMLDatabaseRowView {
    var anchor: String
    var arn: String
    var identifier: String
    var kind: String
    var engine: String
    var account: String
    var region: String
    var members: [String]
    var hasMembers: Bool
    /// `yes`, `no`, `unknown`.
    var encrypted: String
    var key: String
    var hasKey: Bool
    var alias: String
    var hasAlias: Bool
    /// `own-account`, `other-account`, `aws-managed`, `unknown`, or `none` (not encrypted).
    var controller: String
    var controllerLabel: String
    var retention: String
    var paths: [HTMLRecoveryPathView]
    var hasPaths: Bool
    /// `yes`, `no` or `n/a`: the `data-survives` attribute and the cell's colour.
    var survives: String
    var verdict: String
    var findings: [HTMLDatabaseFindingView]
    var hasFindings: Bool

    init(_ d: DatabaseOverview, findings all: [ReportModel.Finding]) {
        anchor = htmlAnchor("db", d.arn)
        arn = d.arn
        identifier = d.identifier
        kind = d.kind
        engine = d.engine ?? "—"
        account = d.account ?? "—"
        region = d.region ?? "—"
        members = d.members
        hasMembers = !d.members.isEmpty
        encrypted = d.encrypted
        key = d.keyARN ?? d.keyRef ?? ""
        hasKey = !key.isEmpty
        alias = d.keyAlias ?? ""
        hasAlias = d.keyAlias != nil
        controller = d.keyController ?? "none"
        switch d.keyController {
        case "own-account"?: controllerLabel = "own account"
        case "other-account"?: controllerLabel = "another account (\(d.keyAccount ?? "unknown"))"
        case "aws-managed"?: controllerLabel = "AWS managed (aws/rds)"
        case "unknown"?: controllerLabel = "unknown (key not resolved)"
        default: controllerLabel = "—"
        }
        retention = d.backupRetentionPeriod.map { "\($0) day(s)" } ?? "unknown"
        paths = d.recoveryPaths.map { HTMLRecoveryPathView($0, databaseEncrypted: d.encrypted == "yes") }
        hasPaths = !paths.isEmpty
        switch d.survivesKeyLoss {
        case true?: survives = "yes"
        case false?: survives = "no"
        case nil: survives = "n/a"
        }
        verdict = d.keyLossVerdict
        let byFingerprint = Dictionary(all.map { ($0.fingerprint, $0) }, uniquingKeysWith: { a, _ in a })
        findings = d.findings.map { ref in
            HTMLDatabaseFindingView(ruleID: ref.ruleID, severity: ref.severity.rawValue, category: ref.category ?? "",
                                    anchor: byFingerprint[ref.fingerprint].map(HTMLView.anchorFor) ?? "")
        }
        hasFindings = !findings.isEmpty
    }
}

struct HTMLRecoveryPathView {
    var kind: String
    var label: String
    var name: String
    /// The path's key ARN, "" when unknown (the `data-key` attribute).
    var key: String
    var independent: Bool
    /// `other key`, `same key`, `key unknown` or `not encrypted`, and its badge class.
    var keyNote: String
    var keyClass: String
    /// Paths alike shown as one: "the newest of 5612, oldest 2026-11-01" ("" for one path).
    var many: String
    var hasMany: Bool
    var count: String

    init(_ p: DatabaseOverview.RecoveryPath, databaseEncrypted: Bool) {
        count = String(p.count)
        hasMany = p.count > 1
        many = p.count > 1
            ? "the newest of \(p.count), oldest \(p.oldestCreatedAt.map { String($0.prefix(10)) } ?? "unknown")"
            : ""
        kind = p.kind
        switch p.kind {
        case "automated-backups": label = "automated backups (\(p.retentionDays.map(String.init) ?? "?") day(s))"
        case "final-snapshot": label = "final snapshot"
        case "aws-backup": label = "AWS Backup"
        case "copy": label = "snapshot copy"
        case "read-replica": label = "read replica"
        default: label = "snapshot"
        }
        name = p.kind == "automated-backups" ? "" : p.name
        key = p.keyARN ?? ""
        independent = p.independent
        if p.independent {
            keyNote = "other key"; keyClass = "ok"
        } else if p.keyARN != nil {
            keyNote = "same key"; keyClass = "sev-low"
        } else {
            keyNote = databaseEncrypted ? "key unknown" : "not encrypted"; keyClass = "plain"
        }
    }
}

struct HTMLDatabaseFindingView {
    var ruleID: String
    var severity: String
    var category: String
    var anchor: String
}
