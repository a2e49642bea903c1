import Foundation

private typealias Member = ReportJSON.Member

/// The JSON report: the run's metadata and a `findings` array, for programs (SIEM import, CI
/// gates, diffing two runs). Schema in docs/REPORT-JSON.md: every documented field is always
/// present (null when unknown), objects keep their documented key order, and fields are only
/// ever added. Values are exactly as stored: JSON needs no spreadsheet neutralising.
package enum JSONReport {
    /// Identifies the schema; bumped only for an incompatible change.
    package static let format = "kmsaudit-report/1"

    package static func render(_ model: ReportModel) throws -> String {
        document(model).serialized(indent: 2) + "\n"
    }

    /// The report as a JSON tree (the renderer's whole job; `render` only serialises it).
    package static func document(_ model: ReportModel) -> ReportJSON {
        let run = model.run
        return .object([
            Member("format", .string(format)),
            Member("generated_at", .string(model.generatedAt)),
            Member("generator_version", .string(model.generatorVersion)),
            Member("run", .object([
                Member("id", .int(run.id)),
                Member("status", .string(run.status)),
                Member("started_at", .string(run.startedAt)),
                Member("finished_at", .from(run.finishedAt)),
                Member("tool_version", .string(run.toolVersion)),
                Member("window_start", .from(run.windowStart)),
                Member("window_end", .from(run.windowEnd)),
                Member("config_path", .from(run.configPath)),
                Member("config_sha256", .from(run.configSHA256)),
                Member("fail_on", .from(run.failOn)),
                Member("rules", .array(model.ruleIDs.map { id in
                    .object([Member("id", .string(id)), Member("title", .string(model.ruleTitle(id)))])
                })),
                Member("findings_count", .int(Int64(model.findings.count))),
                Member("previous_run_id", .from(model.previousRunID)),
            ])),
            Member("ingest", ingest(model.ingest)),
            Member("integrity", integrity(model.integrity)),
            Member("coverage_gaps", model.coverageGaps.map { gaps in
                .array(gaps.map { g in
                    .object([
                        Member("kind", .string(g.kind)),
                        Member("account", .from(g.account)), Member("region", .from(g.region)),
                        Member("start", .from(g.start)), Member("end", .from(g.end)),
                        Member("hours", .from(g.hours.map(Int64.init))), Member("message", .from(g.message)),
                    ])
                })
            } ?? .null),
            Member("policy_unknown_keys", .from(model.policyUnknownKeys)),
            Member("summary", summary(model)),
            Member("notes", .array(model.notes.map(ReportJSON.string))),
            Member("findings", .array(model.findings.map { finding($0, limit: model.eventLimit) })),
            Member("databases", model.databases.map { .array($0.map(databaseJSON)) } ?? .null),
        ])
    }

    private static func ingest(_ i: ReportModel.Ingest) -> ReportJSON {
        .object([
            Member("files", .object([
                Member("total", .int(Int64(i.filesTotal))), Member("ok", .int(Int64(i.filesOK))),
                Member("failed", .int(Int64(i.filesFailed))), Member("skipped", .int(Int64(i.filesSkipped))),
            ])),
            Member("events", .int(Int64(i.events))),
            Member("duplicates", .int(Int64(i.duplicates))),
            Member("clashes", .int(Int64(i.clashes))),
            Member("first_event_time", .from(i.firstEventTime)),
            Member("last_event_time", .from(i.lastEventTime)),
            Member("last_ingest_at", .from(i.lastIngestAt)),
            Member("accounts", .from(i.accounts)),
            Member("regions", .from(i.regions)),
            Member("events_by_account_region", .array(i.accountRegions.map { ar in
                .object([Member("account", .from(ar.account)), Member("region", .from(ar.region)),
                         Member("events", .int(Int64(ar.events)))])
            })),
            Member("failed_files", .array(i.failedFiles.map(failedFile))),
        ])
    }

    private static func integrity(_ info: ReportModel.Integrity?) -> ReportJSON {
        guard let info else {
            return .object([Member("checked", .bool(false)), Member("checked_at", .null),
                            Member("signatures_checked", .null), Member("log_files", .null), Member("digests", .null),
                            Member("verified", .null), Member("not_verifiable", .null), Member("failed", .null),
                            Member("failures", .array([]))])
        }
        return .object([
            Member("checked", .bool(true)),
            Member("checked_at", .string(info.checkedAt)),
            Member("signatures_checked", .bool(info.signaturesChecked)),
            Member("log_files", .int(Int64(info.logFiles))),
            Member("digests", .int(Int64(info.digests))),
            Member("verified", .int(Int64(info.verified))),
            Member("not_verifiable", .int(Int64(info.notVerifiable))),
            Member("failed", .int(Int64(info.failed))),
            Member("failures", .array(info.failures.map(failedFile))),
        ])
    }

    private static func failedFile(_ f: ReportModel.FailedFile) -> ReportJSON {
        .object([Member("path", .string(f.path)), Member("error_kind", .from(f.errorKind)),
                 Member("error", .from(f.error))])
    }

    private static func summary(_ model: ReportModel) -> ReportJSON {
        let active = model.activeFindings
        return .object([
            Member("by_severity", .object(Severity.reportOrder.map { s in
                Member(s.rawValue, .int(Int64(active.filter { $0.severity == s }.count)))
            })),
            Member("by_rule", .array(model.ruleIDs.map { id in
                let ofRule = model.findings.filter { $0.ruleID == id }
                return .object([
                    Member("rule_id", .string(id)),
                    Member("title", .string(model.ruleTitle(id))),
                    Member("findings", .int(Int64(ofRule.filter { !$0.suppressed }.count))),
                    Member("new", .int(Int64(ofRule.filter { !$0.suppressed && $0.isNew }.count))),
                    Member("suppressed", .int(Int64(ofRule.filter(\.suppressed).count))),
                ])
            })),
            Member("active", .int(Int64(active.count))),
            Member("new", .int(Int64(active.filter(\.isNew).count))),
            Member("suppressed", .int(Int64(model.suppressedFindings.count))),
            Member("suppressions_expired", .int(Int64(model.findings.filter(\.suppressionExpired).count))),
            Member("resolved_since_previous", .array(model.resolvedSincePrevious.map { r in
                .object([
                    Member("rule_id", .string(r.ruleID)), Member("severity", .string(r.severity.rawValue)),
                    Member("title", .string(r.title)), Member("key_arn", .from(r.keyARN)),
                    Member("principal", .from(r.principal)), Member("resource", .from(r.resource)),
                    Member("fingerprint", .string(r.fingerprint)),
                ])
            })),
        ])
    }

    private static func finding(_ f: ReportModel.Finding, limit: Int?) -> ReportJSON {
        .object([
            // The CSV's columns first, in the CSV's order.
            Member("rule_id", .string(f.ruleID)),
            Member("severity", .string(f.severity.rawValue)),
            Member("category", .from(f.category)),
            Member("key_arn", .from(f.keyARN)),
            Member("principal", .from(f.principal)),
            Member("resource", .from(f.resource)),
            Member("first_seen", .from(f.firstSeen)),
            Member("last_seen", .from(f.lastSeen)),
            Member("event_count", .int(Int64(f.eventCount))),
            Member("fingerprint", .string(f.fingerprint)),
            Member("title", .string(f.title)),
            Member("remediation", .string(f.remediation)),
            Member("is_new", .bool(f.isNew)),
            Member("suppressed", .bool(f.suppressed)),
            Member("suppression_reason", .from(f.suppressionReason)),
            // Then what only the JSON carries.
            Member("suppression_expires", .from(f.suppressionExpires)),
            Member("suppression_expired", .bool(f.suppressionExpired)),
            Member("explanation", .string(f.explanation)),
            Member("controls", .from(f.controls)),
            Member("evidence", f.evidence),
            Member("evidence_events_total", .int(Int64(f.eventTotal))),
            Member("evidence_events_truncated", .bool(f.events.count < f.eventTotal)),
            Member("evidence_events", .array(f.events.map(event))),
        ])
    }

    static func event(_ e: ReportModel.EvidenceEvent) -> ReportJSON {
        .object([
            Member("event_id", .string(e.eventID)),
            Member("stored", .bool(e.stored)),
            Member("event_time", .from(e.eventTime)),
            Member("event_source", .from(e.eventSource)),
            Member("event_name", .from(e.eventName)),
            Member("aws_region", .from(e.region)),
            Member("principal", .from(e.principal)),
            Member("session_name", .from(e.sessionName)),
            Member("source_ip", .from(e.sourceIP)),
            Member("user_agent", .from(e.userAgent)),
            Member("error_code", .from(e.errorCode)),
            Member("error_message", .from(e.errorMessage)),
            // Structured when it is JSON (the usual object), else the text as stored.
            Member("encryption_context", e.encryptionContext.map { text in
                JSONReport.parseJSON(text) ?? .string(text)
            } ?? .null),
        ])
    }

    /// Encryption contexts are flat objects of strings; parse them without a database.
    static func parseJSON(_ text: String) -> ReportJSON? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return nil }
        return .object(object.keys.sorted().map { key in
            let value = object[key]
            if let s = value as? String { return Member(key, .string(s)) }
            return Member(key, .string(String(describing: value ?? "")))
        })
    }
}
