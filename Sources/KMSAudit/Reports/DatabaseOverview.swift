import Foundation
import GRDB

/// The report's Databases section: one row per DB resource alive at the run's window end (a
/// cluster with its member instances, or an instance outside a cluster), its key, who controls
/// that key, every recovery path with the key protecting it, whether any path survives the loss
/// of the database's key, and the run's findings that concern it.
///
/// Read from the `database_overview` view (migration `v12-databases-view`, docs/SCHEMA.md) in one
/// query for all rows; the findings are matched in memory against the model's own findings.
package struct DatabaseOverview: Sendable, Equatable {
    package var arn: String
    package var identifier: String
    /// `cluster` or `instance`.
    package var kind: String
    package var engine: String?
    package var account: String?
    package var region: String?
    /// `yes`, `no`, or `unknown` (no record settles it).
    package var encrypted: String
    /// The key's ARN; nil when not encrypted or the reference did not resolve (see `keyRef`).
    package var keyARN: String?
    /// The key as the records wrote it (`kmsKeyId`), e.g. an alias that never resolved.
    package var keyRef: String?
    package var keyAlias: String?
    package var keyAccount: String?
    /// `own-account`, `other-account`, `aws-managed` or `unknown`; nil when not encrypted.
    package var keyController: String?
    package var backupRetentionPeriod: Int?
    /// ARNs of the cluster's member instances alive at the window end.
    package var members: [String]
    /// Paths alive at the window end, those alike (same kind, key, place and retention) as one
    /// entry with their count: a database backed up daily has hundreds of recovery points,
    /// and listing each made a 52 MB report (and spreadsheet cells past Excel's 32,767
    /// characters) for 27 databases of the 20M benchmark trail. Every single path stays in the
    /// `database_overview` view.
    package var recoveryPaths: [RecoveryPath]
    /// True when some recovery path is under another key than the database's; nil when the
    /// database is not (known to be) encrypted, so there is no key to lose.
    package var survivesKeyLoss: Bool?
    /// The run's findings about it: by resource (itself or a member), and key-level findings
    /// (no resource) on its key.
    package var findings: [FindingReference]

    /// One recovery path, or several alike: `count` of them, `name` and `createdAt` the newest's.
    package struct RecoveryPath: Sendable, Equatable {
        /// `automated-backups`, `snapshot`, `final-snapshot`, `aws-backup`, `copy` or `read-replica`.
        package var kind: String
        /// The snapshot's or replica's ARN (else identifier); the database's identifier for
        /// automated backups. The newest one's when `count` > 1.
        package var name: String
        package var keyARN: String?
        package var region: String?
        package var account: String?
        package var retentionDays: Int?
        /// When it was made; the newest one's when `count` > 1.
        package var createdAt: String?
        /// Under another key than the database's: it survives the loss of that key.
        package var independent: Bool
        /// How many paths alike this entry stands for (1 for a single path).
        package var count = 1
        /// The oldest one's time when `count` > 1 (else `createdAt`).
        package var oldestCreatedAt: String?

        /// Paths alike, each group in the order of its newest path: same kind, key, region,
        /// account, retention and independence. Times compare as text (canonical UTC).
        static func grouped(_ paths: [RecoveryPath]) -> [RecoveryPath] {
            struct Alike: Hashable {
                var kind: String, keyARN: String?, region: String?, account: String?, retentionDays: Int?, independent: Bool
            }
            var groups: [Alike: RecoveryPath] = [:]
            for p in paths {
                let alike = Alike(kind: p.kind, keyARN: p.keyARN, region: p.region, account: p.account,
                                  retentionDays: p.retentionDays, independent: p.independent)
                guard var g = groups[alike] else {
                    var first = p
                    first.oldestCreatedAt = p.createdAt
                    groups[alike] = first
                    continue
                }
                g.count += 1
                if (p.createdAt ?? "", p.name) > (g.createdAt ?? "", g.name) { g.createdAt = p.createdAt; g.name = p.name }
                if let t = p.createdAt, g.oldestCreatedAt.map({ t < $0 }) ?? true { g.oldestCreatedAt = t }
                groups[alike] = g
            }
            return groups.values.sorted {
                ($0.kind, $0.createdAt ?? "", $0.name, $0.keyARN ?? "") < ($1.kind, $1.createdAt ?? "", $1.name, $1.keyARN ?? "")
            }
        }
    }

    package struct FindingReference: Sendable, Equatable {
        package var ruleID: String
        package var category: String?
        package var severity: Severity
        package var fingerprint: String
    }

    /// The answer to "if this key were gone tomorrow, what would we lose?" in one phrase.
    package var keyLossVerdict: String {
        switch (encrypted, survivesKeyLoss) {
        case ("no", _): return "not encrypted: no key to lose"
        case (_, true?): return "survives: a recovery path is under another key"
        case (_, false?): return recoveryPaths.isEmpty ? "lost: no recovery path at all"
                                                         : "lost: every recovery path is under the same key"
        default: return "unknown: encryption not known"
        }
    }
}

extension ReportModel {
    /// Loads the Databases section: nil when the database has no derived state yet (no check
    /// ran since migration v12), which the report shows as "not computed".
    static func loadDatabases(_ db: Database, windowEnd: String?, findings: [Finding],
                              notes: inout [String]) -> [DatabaseOverview]? {
        do {
            guard try relationExists(db, "database_overview"),
                  try Int.fetchOne(db, sql: "SELECT count(*) FROM state_builds") ?? 0 > 0 else { return nil }
            // Alive at the window's end (docs/rules/DECISIONS.md #30, #33): created by then, not
            // deleted by then. An open window ends after everything ingested.
            let rows = try Row.fetchAll(db, sql: """
                SELECT * FROM database_overview
                WHERE (?1 IS NULL AND deleted_at IS NULL)
                   OR (?1 IS NOT NULL AND (created_at IS NULL OR created_at <= ?1) AND (deleted_at IS NULL OR deleted_at > ?1))
                ORDER BY account, region, kind, arn, db_resource_id
                """, arguments: [windowEnd])
            // One row per ARN: should two incarnations both look alive (an identifier created
            // again without a delete in the evidence), the latest speaks for it.
            var latest: [String: Int] = [:]
            for (i, row) in rows.enumerated() { latest[row["arn"]] = i }
            return rows.enumerated().filter { latest[$0.element["arn"]] == $0.offset }
                .map { overview($0.element, windowEnd: windowEnd, findings: findings) }
        } catch {
            notes.append("the Databases section could not be read: \(error)")
            return nil
        }
    }

    private static func overview(_ row: Row, windowEnd: String?, findings: [Finding]) -> DatabaseOverview {
        func alive(_ item: [String: Any]) -> Bool {
            let created = item["created_at"] as? String, deleted = item["deleted_at"] as? String
            guard let end = windowEnd else { return deleted == nil }
            return (created == nil || created! <= end) && (deleted == nil || deleted! > end)
        }
        let members = jsonObjects(row["members"]).filter(alive).compactMap { $0["arn"] as? String }.sorted()
        let paths = DatabaseOverview.RecoveryPath.grouped(jsonObjects(row["recovery_paths"]).filter(alive).map { p in
            DatabaseOverview.RecoveryPath(
                kind: p["kind"] as? String ?? "snapshot", name: p["name"] as? String ?? "",
                keyARN: p["key_arn"] as? String, region: p["region"] as? String, account: p["account"] as? String,
                retentionDays: int(p["retention_days"]), createdAt: p["created_at"] as? String,
                independent: bool(p["independent"]) ?? false)
        })
        let arn: String = row["arn"]
        let encrypted: String = row["encrypted"]
        let keyARN: String? = row["key_arn"]
        let subjects = Set([arn] + members)
        let related = findings.filter { f in
            if let resource = f.resource {
                // KMS-004 lists every exposed resource, comma-separated.
                return resource.split(separator: ",").contains { subjects.contains($0.trimmingCharacters(in: .whitespaces)) }
            }
            return keyARN != nil && f.keyARN == keyARN && f.ruleID.hasPrefix("KMS-")
        }
        return DatabaseOverview(
            arn: arn, identifier: row["identifier"], kind: row["kind"], engine: row["engine"],
            account: row["account"], region: row["region"], encrypted: encrypted,
            keyARN: keyARN, keyRef: row["key_ref"], keyAlias: row["key_alias"], keyAccount: row["key_account"],
            keyController: row["key_controller"], backupRetentionPeriod: row["backup_retention_period"],
            members: members, recoveryPaths: paths,
            survivesKeyLoss: encrypted == "yes" ? paths.contains(where: \.independent) : nil,
            findings: related.map {
                DatabaseOverview.FindingReference(ruleID: $0.ruleID, category: $0.category, severity: $0.severity,
                                                  fingerprint: $0.fingerprint)
            })
    }

    /// Foundation's JSON numbers and booleans arrive as `Int`/`Bool` or as `NSNumber`, by platform.
    private static func int(_ value: Any?) -> Int? { value as? Int ?? (value as? NSNumber)?.intValue }
    private static func bool(_ value: Any?) -> Bool? { value as? Bool ?? (value as? NSNumber)?.boolValue }

    /// A JSON array of objects as Foundation values (the view's own output, never log text
    /// rendered as markup).
    private static func jsonObjects(_ text: String?) -> [[String: Any]] {
        guard let text, let value = try? JSONSerialization.jsonObject(with: Data(text.utf8)) else { return [] }
        return (value as? [Any] ?? []).compactMap { $0 as? [String: Any] }
    }
}
