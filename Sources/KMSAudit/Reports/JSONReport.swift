import Foundation

/// The JSON report: the run's metadata and a `findings` array, for programs (SIEM import, CI
/// gates, diffing two runs). Schema in docs/REPORT-JSON.md: every documented field is always
/// present (null when unknown), objects keep their documented key order, and fields are only
/// ever added. Values are exactly as stored: JSON needs no spreadsheet neutralising.
public enum JSONReport {
    /// Identifies the schema; bumped only for an incompatible change.
    public static let format = "kmsaudit-report/1"

    public static func render(_ model: ReportModel) throws -> String {
        document(model).serialized(indent: 2) + "\n"
    }

    /// The report as a JSON tree (the renderer's whole job; `render` only serialises it).
    public static func document(_ model: ReportModel) -> JSONNode {
        let run = model.run
        return .object([
            JSONMember("format", .string(format)),
            JSONMember("generated_at", .string(model.generatedAt)),
            JSONMember("generator_version", .string(model.generatorVersion)),
            JSONMember("run", .object([
                JSONMember("id", .int(run.id)),
                JSONMember("status", .string(run.status)),
                JSONMember("started_at", .string(run.startedAt)),
                JSONMember("finished_at", .from(run.finishedAt)),
                JSONMember("tool_version", .string(run.toolVersion)),
                JSONMember("window_start", .from(run.windowStart)),
                JSONMember("window_end", .from(run.windowEnd)),
                JSONMember("config_path", .from(run.configPath)),
                JSONMember("config_sha256", .from(run.configSHA256)),
                JSONMember("fail_on", .from(run.failOn)),
                JSONMember("rules", .array(model.ruleIDs.map { id in
                    .object([JSONMember("id", .string(id)), JSONMember("title", .string(model.ruleTitle(id)))])
                })),
                JSONMember("findings_count", .int(Int64(model.findings.count))),
                JSONMember("previous_run_id", .from(model.previousRunID)),
            ])),
            JSONMember("ingest", ingest(model.ingest)),
            JSONMember("integrity", integrity(model.integrity)),
            JSONMember("coverage_gaps", model.coverageGaps.map { gaps in
                .array(gaps.map { g in
                    .object([
                        JSONMember("account", .from(g.account)), JSONMember("region", .from(g.region)),
                        JSONMember("start", .string(g.start)), JSONMember("end", .from(g.end)),
                        JSONMember("hours", .from(g.hours.map(Int64.init))),
                    ])
                })
            } ?? .null),
            JSONMember("policy_unknown_keys", .from(model.policyUnknownKeys)),
            JSONMember("summary", summary(model)),
            JSONMember("notes", .array(model.notes.map(JSONNode.string))),
            JSONMember("findings", .array(model.findings.map { finding($0, limit: model.eventLimit) })),
        ])
    }

    private static func ingest(_ i: IngestInfo) -> JSONNode {
        .object([
            JSONMember("files", .object([
                JSONMember("total", .int(Int64(i.filesTotal))), JSONMember("ok", .int(Int64(i.filesOK))),
                JSONMember("failed", .int(Int64(i.filesFailed))), JSONMember("skipped", .int(Int64(i.filesSkipped))),
            ])),
            JSONMember("events", .int(Int64(i.events))),
            JSONMember("duplicates", .int(Int64(i.duplicates))),
            JSONMember("clashes", .int(Int64(i.clashes))),
            JSONMember("first_event_time", .from(i.firstEventTime)),
            JSONMember("last_event_time", .from(i.lastEventTime)),
            JSONMember("last_ingest_at", .from(i.lastIngestAt)),
            JSONMember("accounts", .from(i.accounts)),
            JSONMember("regions", .from(i.regions)),
            JSONMember("events_by_account_region", .array(i.accountRegions.map { ar in
                .object([JSONMember("account", .from(ar.account)), JSONMember("region", .from(ar.region)),
                         JSONMember("events", .int(Int64(ar.events)))])
            })),
            JSONMember("failed_files", .array(i.failedFiles.map(failedFile))),
        ])
    }

    private static func integrity(_ info: IntegrityInfo?) -> JSONNode {
        guard let info else {
            return .object([JSONMember("checked", .bool(false)), JSONMember("verified", .null),
                            JSONMember("not_verifiable", .null), JSONMember("failed", .null),
                            JSONMember("failures", .array([]))])
        }
        return .object([
            JSONMember("checked", .bool(true)),
            JSONMember("verified", .int(Int64(info.verified))),
            JSONMember("not_verifiable", .int(Int64(info.notVerifiable))),
            JSONMember("failed", .int(Int64(info.failed))),
            JSONMember("failures", .array(info.failures.map(failedFile))),
        ])
    }

    private static func failedFile(_ f: FailedFile) -> JSONNode {
        .object([JSONMember("path", .string(f.path)), JSONMember("error_kind", .from(f.errorKind)),
                 JSONMember("error", .from(f.error))])
    }

    private static func summary(_ model: ReportModel) -> JSONNode {
        let active = model.activeFindings
        return .object([
            JSONMember("by_severity", .object(Severity.allCases.map { s in
                JSONMember(s.rawValue, .int(Int64(active.filter { $0.severity == s }.count)))
            })),
            JSONMember("by_rule", .array(model.ruleIDs.map { id in
                let ofRule = model.findings.filter { $0.ruleID == id }
                return .object([
                    JSONMember("rule_id", .string(id)),
                    JSONMember("title", .string(model.ruleTitle(id))),
                    JSONMember("findings", .int(Int64(ofRule.filter { !$0.suppressed }.count))),
                    JSONMember("new", .int(Int64(ofRule.filter { !$0.suppressed && $0.isNew }.count))),
                    JSONMember("suppressed", .int(Int64(ofRule.filter(\.suppressed).count))),
                ])
            })),
            JSONMember("active", .int(Int64(active.count))),
            JSONMember("new", .int(Int64(active.filter(\.isNew).count))),
            JSONMember("suppressed", .int(Int64(model.suppressedFindings.count))),
            JSONMember("suppressions_expired", .int(Int64(model.findings.filter(\.suppressionExpired).count))),
            JSONMember("resolved_since_previous", .array(model.resolvedSincePrevious.map { r in
                .object([
                    JSONMember("rule_id", .string(r.ruleID)), JSONMember("severity", .string(r.severity.rawValue)),
                    JSONMember("title", .string(r.title)), JSONMember("key_arn", .from(r.keyARN)),
                    JSONMember("principal", .from(r.principal)), JSONMember("resource", .from(r.resource)),
                    JSONMember("fingerprint", .string(r.fingerprint)),
                ])
            })),
        ])
    }

    private static func finding(_ f: Finding, limit: Int?) -> JSONNode {
        .object([
            // The CSV's columns first, in the CSV's order.
            JSONMember("rule_id", .string(f.ruleID)),
            JSONMember("severity", .string(f.severity.rawValue)),
            JSONMember("category", .from(f.category)),
            JSONMember("key_arn", .from(f.keyARN)),
            JSONMember("principal", .from(f.principal)),
            JSONMember("resource", .from(f.resource)),
            JSONMember("first_seen", .from(f.firstSeen)),
            JSONMember("last_seen", .from(f.lastSeen)),
            JSONMember("event_count", .int(Int64(f.eventCount))),
            JSONMember("fingerprint", .string(f.fingerprint)),
            JSONMember("title", .string(f.title)),
            JSONMember("remediation", .string(f.remediation)),
            JSONMember("is_new", .bool(f.isNew)),
            JSONMember("suppressed", .bool(f.suppressed)),
            JSONMember("suppression_reason", .from(f.suppressionReason)),
            // Then what only the JSON carries.
            JSONMember("suppression_expires", .from(f.suppressionExpires)),
            JSONMember("suppression_expired", .bool(f.suppressionExpired)),
            JSONMember("explanation", .string(f.explanation)),
            JSONMember("controls", .from(f.controls)),
            JSONMember("evidence", f.evidence),
            JSONMember("evidence_events_total", .int(Int64(f.eventTotal))),
            JSONMember("evidence_events_truncated", .bool(f.events.count < f.eventTotal)),
            JSONMember("evidence_events", .array(f.events.map(event))),
        ])
    }

    private static func event(_ e: EvidenceEvent) -> JSONNode {
        .object([
            JSONMember("event_id", .string(e.eventID)),
            JSONMember("stored", .bool(e.stored)),
            JSONMember("event_time", .from(e.eventTime)),
            JSONMember("event_source", .from(e.eventSource)),
            JSONMember("event_name", .from(e.eventName)),
            JSONMember("aws_region", .from(e.region)),
            JSONMember("principal", .from(e.principal)),
            JSONMember("session_name", .from(e.sessionName)),
            JSONMember("source_ip", .from(e.sourceIP)),
            JSONMember("user_agent", .from(e.userAgent)),
            JSONMember("error_code", .from(e.errorCode)),
            JSONMember("error_message", .from(e.errorMessage)),
            // Structured when it is JSON (the usual object), else the text as stored.
            JSONMember("encryption_context", e.encryptionContext.map { text in
                JSONReport.parseJSON(text) ?? .string(text)
            } ?? .null),
        ])
    }

    /// Encryption contexts are flat objects of strings; parse them without a database.
    static func parseJSON(_ text: String) -> JSONNode? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else { return nil }
        return .object(object.keys.sorted().map { key in
            let value = object[key]
            if let s = value as? String { return JSONMember(key, .string(s)) }
            return JSONMember(key, .string(String(describing: value ?? "")))
        })
    }
}
