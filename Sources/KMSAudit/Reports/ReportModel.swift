import Foundation
import GRDB

/// Everything a report shows about one `kmsaudit check` run, read from the database once.
///
/// The three renderers (HTML, CSV, JSON) only format this value, so they cannot disagree about
/// what a run found. All reading of the database for reports happens here, including the tables
/// other stages build (`keys`, integrity results, coverage gaps): each is read only when it
/// exists, so a report of a database without them degrades to "not checked" instead of failing.
package struct ReportModel: Sendable {
    /// When the report was made (UTC, canonical) and by which kmsaudit.
    package var generatedAt: String
    package var generatorVersion: String
    package var run: Run
    /// The run before this one (by id), which `is_new` and "resolved" compare against.
    package var previousRunID: Int64?
    package var ingest: Ingest
    /// Keys whose key policy is unknown (docs/rules/KMS-002.md: KMS-002 says nothing about them).
    /// nil when the `keys` table is absent: not computed, which is not the same as "none".
    package var policyUnknownKeys: [String]?
    /// nil until an integrity check (`kmsaudit verify`, or `check`) has run: not checked.
    package var integrity: Integrity?
    /// Coverage gaps found by that integrity check; nil when it has not run.
    package var coverageGaps: [CoverageGap]?
    /// Findings of the run, ordered by rule, severity (highest first), key, principal, resource.
    package var findings: [Finding]
    /// Findings of the previous run whose fingerprint is absent from this one.
    package var resolvedSincePrevious: [ResolvedFinding]
    /// At most this many evidence events are loaded per finding (nil: all of them).
    package var eventLimit: Int?
    /// Problems reading optional tables, said in the report rather than hidden.
    package var notes: [String]
    /// The Databases section (DatabaseOverview.swift); nil when not computed (no state yet).
    package var databases: [DatabaseOverview]? = nil

    package var activeFindings: [Finding] { findings.filter { !$0.suppressed } }
    package var suppressedFindings: [Finding] { findings.filter { $0.suppressed } }
}

/// How reports order and name severities (the enum itself is the rules' `Severity`).
extension Severity {
    /// Highest first: the order of report sections, tables and charts.
    package static let reportOrder: [Severity] = [.critical, .high, .medium, .low, .info]
    /// 0 for critical … 4 for info (the HTML's `data-severity-rank`, for sorting).
    package var reportRank: Int { Severity.reportOrder.firstIndex(of: self)! }
    package var label: String { rawValue.prefix(1).uppercased() + rawValue.dropFirst() }
}

extension ReportModel {
    package struct Run: Sendable {
        package var id: Int64
        package var startedAt: String
        package var finishedAt: String?
        package var toolVersion: String
        package var windowStart: String?
        package var windowEnd: String?
        package var configPath: String?
        package var configSHA256: String?
        /// Rules the run evaluated (ids, with titles when the run recorded them).
        package var rules: [Rule]
        package var failOn: String?
        package var status: String
        package var findingsCount: Int
    }

    package struct Rule: Sendable, Equatable {
        package var id: String
        package var title: String?
    }

    /// What was ingested: the whole database, since every ingested event feeds the derived state.
    package struct Ingest: Sendable {
        package var filesTotal: Int
        package var filesOK: Int
        package var filesFailed: Int
        package var filesSkipped: Int
        package var events: Int
        package var firstEventTime: String?
        package var lastEventTime: String?
        /// Events per receiving account and region.
        package var accountRegions: [AccountRegion]
        package var failedFiles: [FailedFile]
        package var duplicates: Int
        package var clashes: Int
        package var lastIngestAt: String?

        package var accounts: [String] { Array(Set(accountRegions.compactMap(\.account))).sorted() }
        package var regions: [String] { Array(Set(accountRegions.compactMap(\.region))).sorted() }
    }

    package struct AccountRegion: Sendable, Equatable {
        package var account: String?
        package var region: String?
        package var events: Int
    }

    package struct FailedFile: Sendable, Equatable {
        package var path: String
        package var errorKind: String?
        package var error: String?
    }

    /// Evidence integrity (CloudTrail digests), from the latest finished integrity check: how
    /// many log files and digests were verified, could not be verified (no digest covers them,
    /// the newest digest of a chain), or failed (tampered, missing, unlisted, chain broken,
    /// bad signature).
    package struct Integrity: Sendable {
        package var checkedAt: String
        /// Digest signatures were checked against public keys (`verify --public-keys`).
        package var signaturesChecked: Bool
        package var logFiles: Int
        package var digests: Int
        package var verified: Int
        package var notVerifiable: Int
        package var failed: Int
        /// What failed: the file (path, else S3 key), the kind of failure, the checker's message.
        package var failures: [FailedFile]
    }

    /// Hours with neither a log file nor a digest for an account and region (`coverage-gap`), or
    /// a region or trail that stopped delivering before the window end (`stopped-delivering`).
    package struct CoverageGap: Sendable, Equatable {
        package var kind: String
        package var account: String?
        package var region: String?
        package var start: String?
        package var end: String?
        package var hours: Int?
        package var message: String?
    }

    package struct ResolvedFinding: Sendable {
        package var ruleID: String
        package var severity: Severity
        package var title: String
        package var keyARN: String?
        package var principal: String?
        package var resource: String?
        package var fingerprint: String
    }

    /// One finding as the rules engine stored it (see docs/SCHEMA.md `findings`).
    package struct Finding: Sendable {
        package var id: Int64
        package var ruleID: String
        package var severity: Severity
        package var category: String?
        package var title: String
        package var keyARN: String?
        package var principal: String?
        package var resource: String?
        package var firstSeen: String?
        package var lastSeen: String?
        package var eventCount: Int
        package var fingerprint: String
        package var isNew: Bool
        package var explanation: String
        package var remediation: String
        package var controls: [String]
        /// The rule's structured evidence (an object in the rules' key order).
        package var evidence: ReportJSON
        /// Suppressed by the config and the suppression has not expired.
        package var suppressed: Bool
        package var suppressionReason: String?
        package var suppressionExpires: String?
        /// A suppression matched but its `expires` date has passed: it no longer applies.
        package var suppressionExpired: Bool
        /// Evidence events (at most `ReportModel.eventLimit`), oldest first.
        package var events: [EvidenceEvent]
        /// How many evidence events the finding lists in `finding_events`.
        package var eventTotal: Int
    }

    /// One event a finding cites, from `finding_events` joined to `events`.
    package struct EvidenceEvent: Sendable, Equatable {
        package var eventID: String
        /// False when the id is not (or no longer) in `events`: only the id is known.
        package var stored: Bool
        package var eventTime: String?
        package var eventSource: String?
        package var eventName: String?
        package var region: String?
        package var principal: String?
        package var sessionName: String?
        package var sourceIP: String?
        package var userAgent: String?
        package var errorCode: String?
        package var errorMessage: String?
        /// `requestParameters.encryptionContext` as compact JSON text.
        package var encryptionContext: String?
    }
}

/// Why a report cannot be made.
package enum ReportError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The database has no `kmsaudit check` run yet.
    case noRun
    case runNotFound(Int64)
    /// ASFF needs an AWS account and region, and neither the finding nor the ingest names one.
    case noAccount(fingerprint: String)

    package var description: String {
        switch self {
        case .noRun: return "the database has no check run yet: run `kmsaudit check` (or `kmsaudit audit`) first"
        case .runNotFound(let id): return "no check run with id \(id) in the database (see `SELECT id, started_at FROM runs`)"
        case .noAccount(let fingerprint):
            return "finding \(fingerprint): no AWS account or region to file it under in ASFF (the database holds no events)"
        }
    }
}

extension ReportModel {
    /// Titles of the built-in rules, from their files' headers: a run records only rule ids, and
    /// a rule without findings (the LOG rules, most of the time) still needs its title.
    static let knownRuleTitles: [String: String] = {
        var titles: [String: String] = [:]
        for rule in (try? RuleCatalog.builtin()) ?? [] { titles[rule.id] = rule.title }
        return titles
    }()

    /// The key permissions the Neptune guide says a principal needs on a database key
    /// (seed: "Key permissions needed when enabling encryption"): remediation names them.
    package static let neptuneKeyPermissions = [
        "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:ReEncryptTo",
        "kms:GenerateDataKeyWithoutPlaintext", "kms:CreateGrant", "kms:ReEncryptFrom", "kms:DescribeKey",
    ]
}

// MARK: - Loading

extension ReportModel {
    /// Events loaded per finding by default; evidence.csv always lists them all.
    package static let defaultEventLimit = 100

    /// Loads run `runID`, or the latest run when nil.
    /// - Throws: `ReportError.noRun` / `.runNotFound`, or a database error.
    package static func load(db: Database, runID: Int64?, eventLimit: Int? = defaultEventLimit) throws -> ReportModel {
        guard try relationExists(db, "runs") else { throw ReportError.noRun }
        let runRow: Row?
        if let runID {
            runRow = try Row.fetchOne(db, sql: "SELECT * FROM runs WHERE id = ?", arguments: [runID])
            if runRow == nil { throw ReportError.runNotFound(runID) }
        } else {
            runRow = try Row.fetchOne(db, sql: "SELECT * FROM runs ORDER BY id DESC LIMIT 1")
        }
        guard let runRow else { throw ReportError.noRun }
        let run = loadRun(runRow)
        let previous = try Int64.fetchOne(db, sql: "SELECT max(id) FROM runs WHERE id < ?", arguments: [run.id])

        var notes: [String] = []
        let integrity = loadIntegrity(db, notes: &notes)
        var model = ReportModel(
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
        model.databases = loadDatabases(db, windowEnd: run.windowEnd, findings: model.findings, notes: &model.notes)
        return model
    }

    /// Convenience for callers holding an `AuditDatabase`.
    package static func load(from database: AuditDatabase, runID: Int64?, eventLimit: Int? = defaultEventLimit) throws -> ReportModel {
        try database.queue.read { db in try load(db: db, runID: runID, eventLimit: eventLimit) }
    }

    /// The title of a rule: as the run recorded it, else the docs/rules/ name, else a finding's title.
    package func ruleTitle(_ ruleID: String) -> String {
        if let t = run.rules.first(where: { $0.id == ruleID })?.title, !t.isEmpty { return t }
        if let t = ReportModel.knownRuleTitles[ruleID] { return t }
        return findings.first { $0.ruleID == ruleID }?.title ?? ruleID
    }

    /// Rule ids with findings, plus the rules the run evaluated, in id order.
    package var ruleIDs: [String] {
        Array(Set(findings.map(\.ruleID)).union(run.rules.map(\.id))).sorted()
    }

    private static func loadRun(_ row: Row) -> Run {
        Run(
            id: row["id"],
            startedAt: row["started_at"],
            finishedAt: row["finished_at"],
            toolVersion: row["tool_version"],
            windowStart: row["window_start"],
            windowEnd: row["window_end"],
            configPath: row["config_path"],
            configSHA256: row["config_sha256"],
            rules: parseRules(row["rules"] ?? "[]"),
            failOn: row["fail_on"],
            status: row["status"],
            findingsCount: row["findings_count"])
    }

    /// `runs.rules` is a JSON array of rule ids, or of objects with `id` (and `title`).
    private static func parseRules(_ text: String) -> [Rule] {
        guard case .array(let items)? = ReportJSON.parse(text) else { return [] }
        return items.compactMap { item in
            if case .string(let id) = item { return Rule(id: id, title: nil) }
            if let id = item["id"]?.stringValue { return Rule(id: id, title: item["title"]?.stringValue) }
            return nil
        }
    }

    /// Events, first and last time per account and region: from `events_account_region` alone
    /// (LedgerSchema.v19AccountRegionIndex), not the table, when ingest's kept counts
    /// (`EventCoverage`) do not cover every stored event.
    static let accountRegionSQL = """
        SELECT account, aws_region, count(*) AS n, min(event_time) AS first, max(event_time) AS last
        FROM events GROUP BY account, aws_region ORDER BY account, aws_region
        """

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
        let groups = try EventCoverage.currentRows(db) ?? Row.fetchAll(db, sql: accountRegionSQL)
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
        // Every finding's events and count in one query, grouped here (not one query per finding).
        let evidence = try loadEvents(db, runID: runID, limit: eventLimit)
        return rows.map { row in
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
                controls: parseControls(row["controls"] ?? "[]"),
                evidence: ReportJSON.parse(evidenceText) ?? .string(evidenceText),
                suppressed: (row["suppressed"] as Bool) && !expired,
                suppressionReason: nonEmpty(row["suppression_reason"]),
                suppressionExpires: nonEmpty(row["suppression_expires"]),
                suppressionExpired: expired,
                events: evidence[id]?.events ?? [],
                eventTotal: evidence[id]?.total ?? 0)
        }
    }

    /// `findings.controls` is a JSON array of references; a plain `;`-separated string is accepted too.
    private static func parseControls(_ text: String) -> [String] {
        if case .array(let items)? = ReportJSON.parse(text) {
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

    /// The evidence events of every finding of a run, oldest first, at most `limit` per finding
    /// (nil: all), and each finding's total: a query for each over all the run's findings,
    /// grouped here. Events are numbered per finding over the keys alone, so only the rows kept
    /// read `raw` for the encryption context.
    private static func loadEvents(_ db: Database, runID: Int64, limit: Int?) throws
        -> [Int64: (events: [EvidenceEvent], total: Int)] {
        var byFinding: [Int64: (events: [EvidenceEvent], total: Int)] = [:]
        let totals = try Row.fetchCursor(db, sql: """
            SELECT fe.finding_id AS finding_id, count(*) AS total
            FROM findings f JOIN finding_events fe ON fe.finding_id = f.id
            WHERE f.run_id = ? GROUP BY fe.finding_id
            """, arguments: [runID])
        while let row = try totals.next() {
            byFinding[row["finding_id"]] = ([], row["total"])
        }
        let rows = try Row.fetchCursor(db, sql: """
            WITH ranked AS (
                SELECT fe.finding_id, fe.event_id,
                       row_number() OVER (PARTITION BY fe.finding_id
                                          ORDER BY e.event_time IS NULL, e.event_time, fe.event_id) AS n
                FROM findings f JOIN finding_events fe ON fe.finding_id = f.id
                LEFT JOIN events e ON e.id = \(EventIDStore.rowOf("fe.event_id"))
                WHERE f.run_id = ?1)
            SELECT fe.finding_id AS finding_id, \(evidenceColumns)
            FROM ranked fe LEFT JOIN events e ON e.id = \(EventIDStore.rowOf("fe.event_id"))
            WHERE ?2 < 0 OR fe.n <= ?2
            ORDER BY fe.finding_id, fe.n
            """, arguments: [runID, limit ?? -1])
        while let row = try rows.next() {
            byFinding[row["finding_id"], default: ([], 0)].events.append(evidenceEvent(row))
        }
        return byFinding
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
            // docs/rules/DECISIONS.md #25: the database keys whose policy is unknown (KMS-002 could not judge them).
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
