import Foundation
import GRDB

/// What `kmsaudit check` was asked to do.
package struct CheckOptions: Sendable {
    package var config = AuditConfig()
    package var userRuleDirectories: [String] = []
    /// Override the config's window.
    package var since: String?
    package var until: String?
    package var failOn: Severity = .high
    package var now = Date()
    /// CloudTrail public keys and digest signatures for the integrity rules (optional).
    package var publicKeysPath: String?
    package var signaturesPath: String?

    package init() {}
}

/// What one check found, printed one line per severity (or as JSON).
package struct CheckSummary: Codable, Sendable {
    package var runID: Int64 = 0
    package var windowStart: String?
    package var windowEnd: String?
    package var rules = 0
    package var findings = 0
    /// Unsuppressed findings per severity.
    package var bySeverity: [String: Int] = [:]
    package var new = 0
    package var suppressed = 0
    package var expiredSuppressions = 0
    /// Unsuppressed findings at or above `--fail-on`.
    package var failing = 0
    package var failOn: String = Severity.high.rawValue
    package var seconds = 0.0
    /// Seconds each preparation and rule took, in order (`--json` shows them).
    package var timings: [Timing] = []

    package struct Timing: Codable, Sendable {
        package var step: String
        package var seconds: Double
    }

    /// 0 nothing at or above --fail-on, 1 some.
    package var exitStatus: Int32 { failing > 0 ? 1 : 0 }

    package var lines: [String] {
        var out = Severity.allCases.reversed().filter { $0 != .info || (bySeverity["info"] ?? 0) > 0 }.map {
            "\($0.rawValue): \(bySeverity[$0.rawValue] ?? 0)"
        }
        out.append("check: run \(runID), \(rules) rules, \(findings) findings (\(new) new, \(suppressed) suppressed), "
                   + "\(failing) at or above \(failOn); window \(windowStart ?? "-") .. \(windowEnd ?? "-")"
                   + String(format: "; %.1f s", seconds))
        return out
    }
}

/// Work a check does before the rules run: derive state, evaluate policies, verify evidence.
/// Each fills tables the rule queries read (the engine's answer to what SQL cannot do).
package protocol RulePreparation: Sendable {
    var name: String { get }
    func prepare(_ db: Database, _ context: CheckContext) throws
}

/// What preparations and rules know about the check being run.
package struct CheckContext {
    package var options: CheckOptions
    package var windowStart: String
    package var windowEnd: String
}

/// Runs every rule over the database and records a `runs` row and its `findings`.
package enum CheckRunner {
    /// Work done before the rules, in order: state first (everything reads it), then the policy
    /// evaluations KMS-002, KMS-006 and KMS-004 need, then the evidence checks LOG-00x read.
    static let preparations: [RulePreparation] = [
        StatePreparation(), KeyUseEvaluation(), KeyPolicyJudgements(), RevocationAnalysis(), IntegrityPreparation(),
    ]

    package static func run(_ database: AuditDatabase, _ options: CheckOptions) throws -> CheckSummary {
        let started = Date()
        let rules = try RuleCatalog.load(userDirectories: options.userRuleDirectories)
        var summary = CheckSummary()
        summary.rules = rules.count
        summary.failOn = options.failOn.rawValue

        try database.mapForReading()
        // The state rebuild rewrites scattered event rows (alias resolutions): their pages reach
        // the disk while the evaluations run, not all in the final commit's fsync.
        let writeback = database.startBackgroundWriteback()
        defer { writeback.finish() }
        try database.queue.write { db in
            let window = try auditWindow(db, options)
            summary.windowStart = window.start
            summary.windowEnd = window.end
            let context = CheckContext(options: options, windowStart: window.start, windowEnd: window.end)
            for preparation in preparations {
                let t = Date()
                try preparation.prepare(db, context)
                summary.timings.append(.init(step: preparation.name, seconds: Date().timeIntervalSince(t)))
            }

            let previousRun = try Int64.fetchOne(db, sql: "SELECT max(id) FROM runs WHERE status = 'ok'")
            let previous = Set(try String.fetchAll(db, sql: "SELECT fingerprint FROM findings WHERE run_id = ?",
                                                   arguments: [previousRun]))
            try db.execute(sql: """
                INSERT INTO runs (started_at, tool_version, window_start, window_end, config_path, config_sha256, rules, fail_on)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [TimeFormats.canonical(started), KMSAuditVersion.current, window.start, window.end,
                                 options.config.path, options.config.sha256,
                                 jsonArray(rules.map(\.id)), options.failOn.rawValue])
            let runID = db.lastInsertedRowID
            summary.runID = runID
            try recordTexts(db, runID: runID, rules: rules, config: options.config)
            let now = TimeFormats.canonical(options.now)

            for rule in rules {
                let t = Date()
                defer { summary.timings.append(.init(step: rule.id, seconds: Date().timeIntervalSince(t))) }
                for row in try execute(rule, db, context) {
                    let fingerprint = row.fingerprint(ruleID: rule.id)
                    let match = Suppressions.match(options.config.suppressions, rule: rule.id, row: row, fingerprint: fingerprint)
                    let active = match.map { $0.expires == nil || $0.expires! >= now } ?? false
                    try db.execute(sql: """
                        INSERT INTO findings (run_id, rule_id, severity, category, title, key_arn, principal, resource,
                            first_seen, last_seen, event_count, fingerprint, is_new, explanation, remediation, controls,
                            evidence, suppressed, suppression_reason, suppression_expires, suppression_expired)
                        VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
                        ON CONFLICT(run_id, fingerprint) DO NOTHING
                        """, arguments: [
                            runID, rule.id, row.severity.rawValue, row.category, rule.title, row.keyARN, row.principal,
                            row.resource, row.firstSeen, row.lastSeen, row.eventCount, fingerprint,
                            !previous.contains(fingerprint), rule.explanation, rule.remediation, jsonArray(rule.controls),
                            row.evidence, active, match?.reason, match?.expires, match != nil && !active,
                        ])
                    guard db.changesCount == 1 else { continue }
                    let findingID = db.lastInsertedRowID
                    for eventID in row.eventIDs.prefix(100) {
                        try db.execute(sql: "INSERT OR IGNORE INTO finding_events (finding_id, event_id) VALUES (?, ?)",
                                       arguments: [findingID, eventID])
                    }
                    summary.findings += 1
                    if !previous.contains(fingerprint) { summary.new += 1 }
                    if active {
                        summary.suppressed += 1
                    } else {
                        if match != nil { summary.expiredSuppressions += 1 }
                        summary.bySeverity[row.severity.rawValue, default: 0] += 1
                        if row.severity >= options.failOn { summary.failing += 1 }
                    }
                }
            }
            summary.seconds = Date().timeIntervalSince(started)
            try db.execute(sql: "UPDATE runs SET finished_at = ?, status = 'ok', findings_count = ? WHERE id = ?",
                           arguments: [TimeFormats.canonical(Date()), summary.findings, runID])
        }
        try database.checkpoint()
        return summary
    }

    /// The config's and the rules' text as this run read them (docs/SCHEMA.md `run_rules`).
    static func recordTexts(_ db: Database, runID: Int64, rules: [RuleDefinition], config: AuditConfig) throws {
        try db.execute(sql: "UPDATE runs SET config_text = ? WHERE id = ?", arguments: [config.text, runID])
        for rule in rules {
            let sha = Hashing.sha256Hex(rule.text)
            try db.execute(sql: "INSERT OR IGNORE INTO rule_texts (sha256, text) VALUES (?, ?)", arguments: [sha, rule.text])
            try db.execute(sql: "INSERT INTO run_rules (run_id, rule_id, origin, sha256) VALUES (?, ?, ?, ?)",
                           arguments: [runID, rule.id, rule.origin, sha])
        }
    }

    /// The config's or the command line's window; by default everything ingested.
    static func auditWindow(_ db: Database, _ options: CheckOptions) throws -> (start: String, end: String) {
        // Per event name through `events_name_time` (a loose index scan over the few names, two
        // index seeks each): min/max over all events read every entry of an index, 26 s of a
        // first `check` at 20M records when the file was not in the page cache.
        let range = try Row.fetchOne(db, sql: """
            WITH RECURSIVE name(n) AS (
                SELECT min(event_name) FROM events
                UNION ALL
                SELECT (SELECT min(event_name) FROM events WHERE event_name > n) FROM name WHERE n IS NOT NULL
            )
            SELECT min((SELECT min(event_time) FROM events WHERE event_name = n)) AS a,
                   max((SELECT max(event_time) FROM events WHERE event_name = n)) AS b
              FROM name WHERE n IS NOT NULL
            """)
        let start = options.since ?? options.config.windowStart ?? range?["a"] ?? "1970-01-01T00:00:00Z"
        let end = options.until ?? options.config.windowEnd ?? range?["b"] ?? TimeFormats.canonical(options.now)
        return (start, end)
    }

    /// Runs one rule's query with the named parameters and reads its rows.
    static func execute(_ rule: RuleDefinition, _ db: Database, _ context: CheckContext) throws -> [FindingRow] {
        let statement: Statement
        do {
            statement = try db.makeStatement(sql: rule.sql)
        } catch let error as DatabaseError {
            throw RuleFileError(file: rule.origin, line: 0, reason: "SQL error in \(rule.id): \(error.message ?? "\(error)")")
        }
        let parameters: [String: (any DatabaseValueConvertible)?] = [
            "window_start": context.windowStart, "window_end": context.windowEnd,
            "min_backup_retention_days": context.options.config.minBackupRetentionDays,
            "max_snapshot_age_days": context.options.config.maxSnapshotAgeDays,
            "max_independent_copy_age_days": context.options.config.maxIndependentCopyAgeDays,
            "allow_aws_managed_keys": context.options.config.allowAWSManagedKeys ? 1 : 0,
            "trusted_key_accounts": CheckRunner.jsonArray(context.options.config.trustedKeyAccounts),
        ]
        // Bind only the parameters the query names (GRDB rejects unknown ones).
        var arguments = StatementArguments()
        for name in statement.parameterNames {
            guard let name else { continue }
            let key = String(name.dropFirst())
            guard let value = parameters[key] else {
                throw RuleFileError(file: rule.origin, line: 0,
                                    reason: "\(rule.id) uses unknown parameter :\(key) (known: \(parameters.keys.sorted().joined(separator: ", ")))")
            }
            arguments += [key: value]
        }
        let rows: [Row]
        do {
            rows = try Row.fetchAll(statement, arguments: arguments)
        } catch let error as DatabaseError {
            throw RuleFileError(file: rule.origin, line: 0, reason: "SQL error in \(rule.id): \(error.message ?? "\(error)")")
        }
        return try rows.map { row in
            guard let text: String = row["severity"], let severity = Severity(rawValue: text) else {
                throw RuleFileError(file: rule.origin, line: 0,
                                    reason: "\(rule.id) returned a row without a valid severity (critical, high, medium, low, info)")
            }
            let evidence: String? = row["evidence"]
            let ids: String? = row["event_ids"]
            return FindingRow(
                severity: severity, category: row["category"], keyARN: row["key_arn"], principal: row["principal"],
                resource: row["resource"], firstSeen: row["first_seen"], lastSeen: row["last_seen"],
                eventCount: row["event_count"] ?? 0, evidence: evidence ?? "{}",
                eventIDs: ids.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String] } ?? [],
                identity: row["identity"])
        }
    }

    static func jsonArray(_ items: [String]) -> String {
        (try? String(data: JSONSerialization.data(withJSONObject: items, options: [.withoutEscapingSlashes]), encoding: .utf8)) ?? "[]"
    }
}

/// The config's suppressions applied to a finding.
enum Suppressions {
    static func match(_ all: [AuditConfig.Suppression], rule: String, row: FindingRow, fingerprint: String) -> AuditConfig.Suppression? {
        all.first { s in
            (s.rule == rule || s.rule == "*")
                && (s.key == nil || s.key == row.keyARN)
                && (s.principal == nil || s.principal == row.principal)
                && (s.resource == nil || s.resource == row.resource)
                && (s.fingerprint == nil || fingerprint.hasPrefix(s.fingerprint!))
        }
    }
}
