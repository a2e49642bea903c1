import Foundation
import GRDB

/// Everything a report shows about one `kmsaudit check` run, read from the database once.
///
/// The three renderers (HTML, CSV, JSON) only format this value, so they cannot disagree about
/// what a run found. All reading of the database for reports happens here, including the tables
/// other stages build (`keys`, integrity results, coverage gaps): each is read only when it
/// exists, so a report of a database without them degrades to "not checked" instead of failing.
public struct ReportModel: Sendable {
    /// When the report was made (UTC, canonical) and by which kmsaudit.
    public var generatedAt: String
    public var generatorVersion: String
    public var run: Run
    /// The run before this one (by id), which `is_new` and "resolved" compare against.
    public var previousRunID: Int64?
    public var ingest: Ingest
    /// Keys whose key policy is unknown (RULES.md: KMS-002 says nothing about them).
    /// nil when the `keys` table is absent: not computed, which is not the same as "none".
    public var policyUnknownKeys: [String]?
    /// nil until an integrity check (`kmsaudit verify`, or `check`) has run: not checked.
    public var integrity: Integrity?
    /// Coverage gaps found by that integrity check; nil when it has not run.
    public var coverageGaps: [CoverageGap]?
    /// Findings of the run, ordered by rule, severity (highest first), key, principal, resource.
    public var findings: [Finding]
    /// Findings of the previous run whose fingerprint is absent from this one.
    public var resolvedSincePrevious: [ResolvedFinding]
    /// At most this many evidence events are loaded per finding (nil: all of them).
    public var eventLimit: Int?
    /// Problems reading optional tables, said in the report rather than hidden.
    public var notes: [String]

    public var activeFindings: [Finding] { findings.filter { !$0.suppressed } }
    public var suppressedFindings: [Finding] { findings.filter { $0.suppressed } }
}

/// How reports order and name severities (the enum itself is the rules' `Severity`).
extension Severity {
    /// Highest first: the order of report sections, tables and charts.
    public static let reportOrder: [Severity] = [.critical, .high, .medium, .low, .info]
    /// 0 for critical … 4 for info (the HTML's `data-severity-rank`, for sorting).
    public var reportRank: Int { Severity.reportOrder.firstIndex(of: self)! }
    public var label: String { rawValue.prefix(1).uppercased() + rawValue.dropFirst() }
}

extension ReportModel {
    public struct Run: Sendable {
        public var id: Int64
        public var startedAt: String
        public var finishedAt: String?
        public var toolVersion: String
        public var windowStart: String?
        public var windowEnd: String?
        public var configPath: String?
        public var configSHA256: String?
        /// Rules the run evaluated (ids, with titles when the run recorded them).
        public var rules: [Rule]
        public var failOn: String?
        public var status: String
        public var findingsCount: Int
    }

    public struct Rule: Sendable, Equatable {
        public var id: String
        public var title: String?
    }

    /// What was ingested: the whole database, since every ingested event feeds the derived state.
    public struct Ingest: Sendable {
        public var filesTotal: Int
        public var filesOK: Int
        public var filesFailed: Int
        public var filesSkipped: Int
        public var events: Int
        public var firstEventTime: String?
        public var lastEventTime: String?
        /// Events per receiving account and region.
        public var accountRegions: [AccountRegion]
        public var failedFiles: [FailedFile]
        public var duplicates: Int
        public var clashes: Int
        public var lastIngestAt: String?

        public var accounts: [String] { Array(Set(accountRegions.compactMap(\.account))).sorted() }
        public var regions: [String] { Array(Set(accountRegions.compactMap(\.region))).sorted() }
    }

    public struct AccountRegion: Sendable, Equatable {
        public var account: String?
        public var region: String?
        public var events: Int
    }

    public struct FailedFile: Sendable, Equatable {
        public var path: String
        public var errorKind: String?
        public var error: String?
    }

    /// Evidence integrity (CloudTrail digests), from the latest finished integrity check: how
    /// many log files and digests were verified, could not be verified (no digest covers them,
    /// the newest digest of a chain), or failed (tampered, missing, unlisted, chain broken,
    /// bad signature).
    public struct Integrity: Sendable {
        public var checkedAt: String
        /// Digest signatures were checked against public keys (`verify --public-keys`).
        public var signaturesChecked: Bool
        public var logFiles: Int
        public var digests: Int
        public var verified: Int
        public var notVerifiable: Int
        public var failed: Int
        /// What failed: the file (path, else S3 key), the kind of failure, the checker's message.
        public var failures: [FailedFile]
    }

    /// Hours with neither a log file nor a digest for an account and region (`coverage-gap`), or
    /// a region or trail that stopped delivering before the window end (`stopped-delivering`).
    public struct CoverageGap: Sendable, Equatable {
        public var kind: String
        public var account: String?
        public var region: String?
        public var start: String?
        public var end: String?
        public var hours: Int?
        public var message: String?
    }

    public struct ResolvedFinding: Sendable {
        public var ruleID: String
        public var severity: Severity
        public var title: String
        public var keyARN: String?
        public var principal: String?
        public var resource: String?
        public var fingerprint: String
    }

    /// One finding as the rules engine stored it (see docs/SCHEMA.md `findings`).
    public struct Finding: Sendable {
        public var id: Int64
        public var ruleID: String
        public var severity: Severity
        public var category: String?
        public var title: String
        public var keyARN: String?
        public var principal: String?
        public var resource: String?
        public var firstSeen: String?
        public var lastSeen: String?
        public var eventCount: Int
        public var fingerprint: String
        public var isNew: Bool
        public var explanation: String
        public var remediation: String
        public var controls: [String]
        /// The rule's structured evidence (an object in the rules' key order).
        public var evidence: ReportJSON
        /// Suppressed by the config and the suppression has not expired.
        public var suppressed: Bool
        public var suppressionReason: String?
        public var suppressionExpires: String?
        /// A suppression matched but its `expires` date has passed: it no longer applies.
        public var suppressionExpired: Bool
        /// Evidence events (at most `ReportModel.eventLimit`), oldest first.
        public var events: [EvidenceEvent]
        /// How many evidence events the finding lists in `finding_events`.
        public var eventTotal: Int
    }

    /// One event a finding cites, from `finding_events` joined to `events`.
    public struct EvidenceEvent: Sendable, Equatable {
        public var eventID: String
        /// False when the id is not (or no longer) in `events`: only the id is known.
        public var stored: Bool
        public var eventTime: String?
        public var eventSource: String?
        public var eventName: String?
        public var region: String?
        public var principal: String?
        public var sessionName: String?
        public var sourceIP: String?
        public var userAgent: String?
        public var errorCode: String?
        public var errorMessage: String?
        /// `requestParameters.encryptionContext` as compact JSON text.
        public var encryptionContext: String?
    }
}

/// Why a report cannot be made.
public enum ReportError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The database has no `kmsaudit check` run yet.
    case noRun
    case runNotFound(Int64)

    public var description: String {
        switch self {
        case .noRun: return "the database has no check run yet: run `kmsaudit check` (or `kmsaudit audit`) first"
        case .runNotFound(let id): return "no check run with id \(id) in the database (see `SELECT id, started_at FROM runs`)"
        }
    }
}

extension ReportModel {
    /// Names of rules when the run did not record titles (RULES.md).
    static let knownRuleTitles: [String: String] = [
    "KMS-001": "Key used outside ViaService RDS",
    "KMS-002": "Key used by an unintended principal",
    "KMS-003": "Encrypted database without backups",
    "KMS-004": "Revoked-key exposure",
    "KMS-006": "Key policy does not follow the recommended pattern",
]

    /// The key permissions the Neptune guide says a principal needs on a database key
    /// (seed: "Key permissions needed when enabling encryption"): remediation names them.
    public static let neptuneKeyPermissions = [
        "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:ReEncryptTo",
        "kms:GenerateDataKeyWithoutPlaintext", "kms:CreateGrant", "kms:ReEncryptFrom", "kms:DescribeKey",
    ]
}

// MARK: - Loading

extension ReportModel {
    /// Events loaded per finding by default; evidence.csv always lists them all.
    public static let defaultEventLimit = 100

    /// Loads run `runID`, or the latest run when nil.
    /// - Throws: `ReportError.noRun` / `.runNotFound`, or a database error.
    public static func load(db: Database, runID: Int64?, eventLimit: Int? = defaultEventLimit) throws -> ReportModel {
        guard try relationExists(db, "runs") else { throw ReportError.noRun }
        let runRow: Row?
        if let runID {
            runRow = try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [runID])
            if runRow == nil { throw ReportError.runNotFound(runID) }
        } else {
            runRow = try Row.fetchOne(db, sql: "SELECT * FROM runs ORDER BY id DESC LIMIT 1")
        }
        guard let runRow else { throw ReportError.noRun }
        let run = loadRun(runRow, db: db)
        let previous = try Int64.fetchOne(db, sql: "SELECT max(id) FROM runs WHERE id < ?", arguments: [run.id])

        var notes: [String] = []
        let integrity = loadIntegrity(db, notes: &notes)
        return ReportModel(
            generatedAt: TimeFormats.canonical(Date()),
            generatorVersion: KMSAuditVersion.current,
            run: run,
            previousRunID: previous,
            ingest: try loadIngest(db),
            policyUnknownKeys: loadPolicyUnknownKeys(db, notes: &notes),
            integrity: integrity,
            coverageGaps: loadCoverageGaps(db, integrity: integrity, notes: &notes),
            findings: try loadFindings(db, runID: run.id, eventLimit: eventLimit),
            resolvedSincePrevious: try previous.map { try loadResolved(db, runID: run.id, previousID: $0) } ?? [],
            eventLimit: eventLimit,
            notes: notes)
    }

    /// Convenience for callers holding an `AuditDatabase`.
    public static func load(from database: AuditDatabase, runID: Int64?, eventLimit: Int? = defaultEventLimit) throws -> ReportModel {
        try database.queue.read { db in try load(db: db, runID: runID, eventLimit: eventLimit) }
    }

    /// The title of a rule: as the run recorded it, else the RULES.md name, else a finding's title.
    public func ruleTitle(_ ruleID: String) -> String {
        if let t = run.rules.first(where: { $0.id == ruleID })?.title, !t.isEmpty { return t }
        if let t = ReportModel.knownRuleTitles[ruleID] { return t }
        return findings.first { $0.ruleID == ruleID }?.title ?? ruleID
    }

    /// Rule ids with findings, plus the rules the run evaluated, in id order.
    public var ruleIDs: [String] {
        Array(Set(findings.map(\.ruleID)).union(run.rules.map(\.id))).sorted()
    }

    private static func loadRun(_ row: Row, db: Database) -> Run {
        Run(
            id: row["id"],
            startedAt: row["started_at"],
            finishedAt: row["finished_at"],
            toolVersion: row["tool_version"],
            windowStart: row["window_start"],
            windowEnd: row["window_end"],
            configPath: row["config_path"],
            configSHA256: row["config_sha256"],
            rules: parseRules(row["rules"] ?? "[]", db: db),
            failOn: row["fail_on"],
            status: row["status"],
            findingsCount: row["findings_count"])
    }

    /// `runs.rules` is a JSON array of rule ids, or of objects with `id` (and `title`).
    private static func parseRules(_ text: String, db: Database) -> [Rule] {
        guard case .array(let items)? = ReportJSON.parse(text, db: db) else { return [] }
        return items.compactMap { item in
            if case .string(let id) = item { return Rule(id: id, title: nil) }
            if let id = item["id"]?.stringValue { return Rule(id: id, title: item["title"]?.stringValue) }
            return nil
        }
    }

    private static func loadIngest(_ db: Database) throws -> Ingest {
        let files = try Row.fetchOne(db, sql: """
            SELECT count(*) AS total,
                   coalesce(sum(status = 'ok'), 0) AS ok,
                   coalesce(sum(status = 'failed'), 0) AS failed,
                   coalesce(sum(status = 'skipped'), 0) AS skipped,
                   coalesce(sum(duplicates), 0) AS duplicates,
                   coalesce(sum(clashes), 0) AS clashes
            FROM files
            """)!
        // One pass over events; the columns read come before `raw`, so its pages stay unread.
        let groups = try Row.fetchAll(db, sql: """
            SELECT account, aws_region, count(*) AS n, min(event_time) AS first, max(event_time) AS last
            FROM events GROUP BY account, aws_region ORDER BY account, aws_region
            """)
        let failed = try Row.fetchAll(db, sql: """
            SELECT path, error_kind, error FROM files WHERE status = 'failed' ORDER BY path
            """).map { FailedFile(path: $0["path"], errorKind: $0["error_kind"], error: $0["error"]) }
        let lastIngest = try String.fetchOne(db, sql: "SELECT max(coalesce(finished_at, started_at)) FROM ingest_runs")
        return Ingest(
            filesTotal: files["total"], filesOK: files["ok"], filesFailed: files["failed"],
            filesSkipped: files["skipped"],
            events: groups.reduce(0) { $0 + ($1["n"] as Int) },
            firstEventTime: groups.compactMap { $0["first"] as String? }.min(),
            lastEventTime: groups.compactMap { $0["last"] as String? }.max(),
            accountRegions: groups.map { AccountRegion(account: $0["account"], region: $0["aws_region"], events: $0["n"]) },
            failedFiles: failed,
            duplicates: files["duplicates"], clashes: files["clashes"],
            lastIngestAt: lastIngest)
    }

    private static func loadFindings(_ db: Database, runID: Int64, eventLimit: Int?) throws -> [Finding] {
        let rows = try Row.fetchAll(db, sql: """
            SELECT * FROM findings WHERE run_id = ?
            ORDER BY rule_id,
                     CASE severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2
                                   WHEN 'low' THEN 3 ELSE 4 END,
                     key_arn, principal, resource, fingerprint
            """, arguments: [runID])
        return try rows.map { row in
            let id: Int64 = row["id"]
            let expired: Bool = row["suppression_expired"]
            let evidenceText: String = row["evidence"]
            return Finding(
                id: id,
                ruleID: row["rule_id"],
                severity: Severity(rawValue: row["severity"]) ?? .info,
                category: nonEmpty(row["category"]),
                title: row["title"],
                keyARN: nonEmpty(row["key_arn"]),
                principal: nonEmpty(row["principal"]),
                resource: nonEmpty(row["resource"]),
                firstSeen: nonEmpty(row["first_seen"]),
                lastSeen: nonEmpty(row["last_seen"]),
                eventCount: row["event_count"],
                fingerprint: row["fingerprint"],
                isNew: row["is_new"],
                explanation: row["explanation"],
                remediation: row["remediation"],
                controls: parseControls(row["controls"] ?? "[]", db: db),
                evidence: ReportJSON.parse(evidenceText, db: db) ?? .string(evidenceText),
                suppressed: (row["suppressed"] as Bool) && !expired,
                suppressionReason: nonEmpty(row["suppression_reason"]),
                suppressionExpires: nonEmpty(row["suppression_expires"]),
                suppressionExpired: expired,
                events: try loadEvents(db, findingID: id, limit: eventLimit),
                eventTotal: try Int.fetchOne(db, sql: "SELECT count(*) FROM finding_events WHERE finding_id = ?",
                                             arguments: [id]) ?? 0)
        }
    }

    /// `findings.controls` is a JSON array of references; a plain `;`-separated string is accepted too.
    private static func parseControls(_ text: String, db: Database) -> [String] {
        if case .array(let items)? = ReportJSON.parse(text, db: db) {
            return items.compactMap(\.stringValue)
        }
        return text.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The SQL both the model and evidence.csv use to read a finding's events.
    static let evidenceColumns = """
        fe.event_id AS event_id, e.id IS NOT NULL AS stored, e.event_time, e.event_source, e.event_name,
        e.aws_region, e.principal, e.session_name, e.source_ip, e.user_agent, e.error_code, e.error_message,
        CASE WHEN json_valid(e.raw) THEN json_extract(e.raw, '$.requestParameters.encryptionContext') END
            AS encryption_context
        """

    static func evidenceEvent(_ row: Row) -> EvidenceEvent {
        // json_extract returns an object as JSON text, a scalar as its value: keep both as text.
        let context: DatabaseValue = row["encryption_context"]
        return EvidenceEvent(
            eventID: row["event_id"], stored: row["stored"], eventTime: row["event_time"],
            eventSource: row["event_source"], eventName: row["event_name"], region: row["aws_region"],
            principal: row["principal"], sessionName: row["session_name"], sourceIP: row["source_ip"],
            userAgent: row["user_agent"], errorCode: row["error_code"], errorMessage: row["error_message"],
            encryptionContext: context.isNull ? nil : (String.fromDatabaseValue(context) ?? "\(context)"))
    }

    private static func loadEvents(_ db: Database, findingID: Int64, limit: Int?) throws -> [EvidenceEvent] {
        try Row.fetchAll(db, sql: """
            SELECT \(evidenceColumns)
            FROM finding_events fe LEFT JOIN events e ON e.event_id = fe.event_id
            WHERE fe.finding_id = ?
            ORDER BY e.event_time IS NULL, e.event_time, fe.event_id
            LIMIT ?
            """, arguments: [findingID, limit ?? -1]).map(evidenceEvent)
    }

    private static func loadResolved(_ db: Database, runID: Int64, previousID: Int64) throws -> [ResolvedFinding] {
        try Row.fetchAll(db, sql: """
            SELECT rule_id, severity, title, key_arn, principal, resource, fingerprint FROM findings
            WHERE run_id = ? AND fingerprint NOT IN (SELECT fingerprint FROM findings WHERE run_id = ?)
            ORDER BY rule_id, fingerprint
            """, arguments: [previousID, runID]).map {
            ResolvedFinding(ruleID: $0["rule_id"], severity: Severity(rawValue: $0["severity"]) ?? .info,
                            title: $0["title"], keyARN: $0["key_arn"], principal: $0["principal"],
                            resource: $0["resource"], fingerprint: $0["fingerprint"])
        }
    }
}

// MARK: - Tables built by other stages (read only when present)

extension ReportModel {
    /// `keys(key_arn, policy_known)`, built by the state stage.
    private static func loadPolicyUnknownKeys(_ db: Database, notes: inout [String]) -> [String]? {
        optional(db, "keys", needs: ["key_arn", "policy_known", "is_database_key"], notes: &notes) { () -> [String]? in
            // Before any state build the table is empty but says nothing: report "unknown", not "none".
            guard try Int.fetchOne(db, sql: "SELECT count(*) FROM state_builds") ?? 0 > 0 else { return nil }
            // RULES.md: the database keys whose policy is unknown (KMS-002 could not judge them).
            return try String.fetchAll(db, sql: "SELECT key_arn FROM keys WHERE is_database_key AND NOT policy_known ORDER BY key_arn")
        } ?? nil
    }

    /// `integrity_runs` and `integrity_latest` (docs/SCHEMA.md "Integrity"), written by
    /// `kmsaudit verify` and the evidence-integrity step of `check`/`audit`. nil until an
    /// integrity check has finished.
    private static func loadIntegrity(_ db: Database, notes: inout [String]) -> Integrity? {
        let loaded: Integrity?? = optional(db, "integrity_runs",
                                           needs: ["finished_at", "verified", "not_verifiable", "failed"], notes: &notes) {
            guard let run = try Row.fetchOne(db, sql: """
                SELECT * FROM integrity_runs WHERE finished_at IS NOT NULL ORDER BY id DESC LIMIT 1
                """) else { return nil }
            let columns = Set(try db.columns(in: "integrity_runs").map(\.name))
            func count(_ name: String) -> Int { columns.contains(name) ? (run[name] as Int? ?? 0) : 0 }
            return Integrity(
                checkedAt: run["finished_at"],
                signaturesChecked: columns.contains("public_keys") && (run["public_keys"] as Bool? ?? false),
                logFiles: count("log_files"), digests: count("digests"),
                verified: run["verified"], notVerifiable: run["not_verifiable"], failed: run["failed"],
                failures: [])
        }
        guard var integrity = loaded ?? nil else { return nil }
        integrity.failures = optional(db, "integrity_latest", needs: ["status", "kind", "object_key", "file_id", "detail"],
                                      notes: &notes) {
            try Row.fetchAll(db, sql: """
                SELECT coalesce(f.path, r.object_key, r.account || ' ' || r.region) AS path, r.kind,
                       CASE WHEN json_valid(r.detail) THEN json_extract(r.detail, '$.message') END AS message
                FROM integrity_latest r LEFT JOIN files f ON f.id = r.file_id
                WHERE r.status = 'failed' ORDER BY r.hour, path
                """).map { FailedFile(path: $0["path"] ?? "(unknown)", errorKind: $0["kind"], error: $0["message"]) }
        } ?? []
        return integrity
    }

    /// `coverage-gap` and `stopped-delivering` results of the latest integrity check.
    private static func loadCoverageGaps(_ db: Database, integrity: Integrity?, notes: inout [String]) -> [CoverageGap]? {
        guard integrity != nil else { return nil }
        return optional(db, "integrity_latest", needs: ["kind", "account", "region", "hour", "detail"], notes: &notes) {
            try Row.fetchAll(db, sql: """
                SELECT kind, account, region, hour,
                       CASE WHEN json_valid(detail) THEN json_extract(detail, '$.to') END AS gap_end,
                       CASE WHEN json_valid(detail) THEN json_extract(detail, '$.window_end') END AS window_end,
                       CASE WHEN json_valid(detail) THEN coalesce(json_extract(detail, '$.hours'),
                           json_extract(detail, '$.hours_silent')) END AS hours,
                       CASE WHEN json_valid(detail) THEN json_extract(detail, '$.message') END AS message
                FROM integrity_latest WHERE kind IN ('coverage-gap', 'stopped-delivering')
                ORDER BY account, region, hour, kind
                """).map {
                CoverageGap(kind: $0["kind"], account: $0["account"], region: $0["region"], start: $0["hour"],
                            end: $0["gap_end"] ?? $0["window_end"], hours: $0["hours"], message: $0["message"])
            }
        }
    }

    /// Runs `load` when table (or view) `name` exists with the columns `needs`; nil otherwise.
    /// A table in an unexpected shape becomes a note in the report instead of an error.
    private static func optional<T>(_ db: Database, _ name: String, needs: [String], notes: inout [String],
                                    _ load: () throws -> T) -> T? {
        do {
            guard try relationExists(db, name) else { return nil }
            let columns = Set(try db.columns(in: name).map(\.name))
            let missing = needs.filter { !columns.contains($0) }
            if !missing.isEmpty {
                notes.append("table \(name) lacks column(s) \(missing.joined(separator: ", ")): not shown")
                return nil
            }
            return try load()
        } catch {
            notes.append("table \(name) could not be read: \(error)")
            return nil
        }
    }

    static func relationExists(_ db: Database, _ name: String) throws -> Bool {
        try Bool.fetchOne(db, sql: "SELECT count(*) > 0 FROM sqlite_master WHERE type IN ('table', 'view') AND name = ?",
                          arguments: [name]) ?? false
    }
}

private func nonEmpty(_ s: String?) -> String? {
    guard let s, !s.isEmpty else { return nil }
    return s
}
