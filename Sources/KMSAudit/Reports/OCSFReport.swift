import Foundation
#if canImport(Glibc)
import Glibc
#endif

private typealias Member = ReportJSON.Member

/// The findings as OCSF 1.3.0 events (a JSON array), for a SIEM or a data lake: a Detection
/// Finding (class 2004) or a Compliance Finding (class 2003) per finding, by `FindingKind`.
/// The mapping is documented in docs/REPORTS.md ("OCSF"); every field the schema of that
/// version does not have goes under `unmapped`, because the schema forbids extra members.
package enum OCSFReport {
    /// The OCSF schema version the events follow (`metadata.version`).
    package static let schemaVersion = "1.3.0"
    /// OCSF strings are at most 65,535 characters; longer log text is cut (and says so).
    static let maxString = 65_535

    package static func render(_ model: ReportModel) throws -> String {
        document(model).serialized(indent: 2) + "\n"
    }

    package static func document(_ model: ReportModel) -> ReportJSON {
        .array(model.findings.map { finding($0, model: model) })
    }

    static func finding(_ f: ReportModel.Finding, model: ReportModel) -> ReportJSON {
        let kind = FindingKind(ruleID: f.ruleID)
        let placement = FindingPlacement(f, ingest: model.ingest)
        let classUID: Int64 = kind == .detection ? 2004 : 2003
        let activityID: Int64 = 1  // Create: each run reports its findings afresh.
        let created = TimeFormats.epochMilliseconds(model.run.startedAt) ?? 0
        var members: [Member] = [
            Member("category_uid", .int(2)),
            Member("category_name", .string("Findings")),
            Member("class_uid", .int(classUID)),
            Member("class_name", .string(kind == .detection ? "Detection Finding" : "Compliance Finding")),
            Member("activity_id", .int(activityID)),
            Member("activity_name", .string("Create")),
            Member("type_uid", .int(classUID * 100 + activityID)),
            Member("type_name", .string((kind == .detection ? "Detection Finding" : "Compliance Finding") + ": Create")),
            Member("time", .int(created)),
            Member("severity_id", .int(severityID(f.severity))),
            Member("severity", .string(f.severity.label == "Info" ? "Informational" : f.severity.label)),
            Member("status_id", .int(f.suppressed ? 3 : 1)),
            Member("status", .string(f.suppressed ? "Suppressed" : "New")),
        ]
        if f.suppressed, let reason = f.suppressionReason {
            members.append(Member("status_detail", .string(capped(reason))))
        }
        members.append(Member("message", .string(capped(f.title))))
        members.append(Member("count", .int(Int64(f.eventCount))))
        if let first = TimeFormats.epochMilliseconds(f.firstSeen) { members.append(Member("start_time", .int(first))) }
        if let last = TimeFormats.epochMilliseconds(f.lastSeen) { members.append(Member("end_time", .int(last))) }
        members.append(Member("metadata", metadata(f, model: model)))
        members.append(Member("cloud", cloud(placement)))
        members.append(Member("finding_info", findingInfo(f, created: created)))
        if !placement.resources.isEmpty {
            members.append(Member("resources", .array(placement.resources.map(resource))))
        }
        members.append(Member("remediation", .object([Member("desc", .string(capped(f.remediation)))])))
        switch kind {
        case .detection:
            if !f.events.isEmpty { members.append(Member("evidences", .array(f.events.map(evidence)))) }
        case .compliance:
            members.append(Member("compliance", compliance(f)))
        }
        members.append(Member("unmapped", unmapped(f, kind: kind)))
        return .object(members)
    }

    /// OCSF severity_id: 1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical.
    static func severityID(_ s: Severity) -> Int64 {
        switch s {
        case .info: return 1
        case .low: return 2
        case .medium: return 3
        case .high: return 4
        case .critical: return 5
        }
    }

    private static func metadata(_ f: ReportModel.Finding, model: ReportModel) -> ReportJSON {
        .object([
            Member("version", .string(schemaVersion)),
            Member("profiles", .array([.string("cloud")])),
            Member("product", .object([
                Member("name", .string("kmsaudit")),
                Member("vendor_name", .string("kmsaudit")),
                Member("version", .string(model.run.toolVersion)),
            ])),
            // One event per finding per run: the run id makes it unique, the fingerprint stable.
            Member("uid", .string("\(model.run.id):\(f.fingerprint)")),
            Member("event_code", .string(f.ruleID)),
            Member("log_name", .string("kmsaudit run \(model.run.id)")),
        ])
    }

    private static func cloud(_ p: FindingPlacement) -> ReportJSON {
        var members = [Member("provider", .string("AWS"))]
        if let account = p.account { members.append(Member("account", .object([Member("uid", .string(account))]))) }
        if let region = p.region { members.append(Member("region", .string(region))) }
        return .object(members)
    }

    private static func findingInfo(_ f: ReportModel.Finding, created: Int64) -> ReportJSON {
        var types = [ReportJSON.string(f.ruleID)]
        if let category = f.category { types.append(.string(capped(category))) }
        var members = [
            Member("uid", .string(f.fingerprint)),
            Member("title", .string(capped(f.title))),
            Member("desc", .string(capped(f.explanation))),
            Member("types", .array(types)),
            Member("created_time", .int(created)),
            Member("analytic", .object([
                Member("uid", .string(f.ruleID)), Member("name", .string(capped(f.title))),
                Member("type_id", .int(1)), Member("type", .string("Rule")),
            ])),
            Member("product_uid", .string("kmsaudit")),
        ]
        if let first = TimeFormats.epochMilliseconds(f.firstSeen) { members.append(Member("first_seen_time", .int(first))) }
        if let last = TimeFormats.epochMilliseconds(f.lastSeen) { members.append(Member("last_seen_time", .int(last))) }
        return .object(members)
    }

    private static func resource(_ r: FindingPlacement.Resource) -> ReportJSON {
        var members = [Member("uid", .string(capped(r.id))), Member("type", .string(r.kind.ocsfType))]
        if let region = r.region { members.append(Member("region", .string(region))) }
        if r.kind != .other { members.append(Member("cloud_partition", .string(ARNParts(r.id)?.partition ?? "aws"))) }
        return .object(members)
    }

    /// A compliance finding fails the controls its rule cites: `requirements` holds each
    /// reference as written, `standards` the standards they belong to, `control` the rule.
    private static func compliance(_ f: ReportModel.Finding) -> ReportJSON {
        let standards = ControlReferences.standards(f.controls)
        return .object([
            Member("control", .string(f.ruleID)),
            Member("requirements", .array(f.controls.map { .string(capped($0)) })),
            Member("standards", .array((standards.isEmpty ? ["kmsaudit"] : standards).map { .string(capped($0)) })),
            Member("status_id", .int(3)),
            Member("status", .string("Fail")),
        ])
    }

    /// One CloudTrail event behind a detection: the API call, who made it, from where, and the
    /// event's fields as `data`.
    private static func evidence(_ e: ReportModel.EvidenceEvent) -> ReportJSON {
        var api: [Member] = [Member("request", .object([Member("uid", .string(capped(e.eventID)))]))]
        if let name = e.eventName { api.append(Member("operation", .string(capped(name)))) }
        if let source = e.eventSource { api.append(Member("service", .object([Member("name", .string(capped(source)))]))) }
        if let code = e.errorCode {
            api.append(Member("response", .object([
                Member("error", .string(capped(code))),
                Member("error_message", .string(capped(e.errorMessage ?? ""))),
            ])))
        }
        var members = [Member("api", .object(api))]
        if let principal = e.principal {
            var user = [Member("uid", .string(capped(principal)))]
            if let account = ARNParts(principal).flatMap({ FindingPlacement.validAccount($0.account) }) {
                user.append(Member("account", .object([Member("uid", .string(account))])))
            }
            // OCSF 1.3's session object has no name: the role session name stays in `data`.
            members.append(Member("actor", .object([Member("user", .object(user))])))
        }
        if let ip = e.sourceIP, !ip.isEmpty {
            // An IP address when it is one; CloudTrail writes a service's name (rds.amazonaws.com) otherwise.
            members.append(Member("src_endpoint", .object([
                Member(isIPAddress(ip) ? "ip" : "hostname", .string(capped(ip))),
            ])))
        }
        members.append(Member("data", JSONReport.event(e)))
        return .object(members)
    }

    /// What OCSF has no place for: the rule's structured evidence, its category, the control
    /// references (a Detection Finding has no `compliance`), suppression details and, for a
    /// Compliance Finding (no `evidences` in 1.3.0), the evidence events.
    private static func unmapped(_ f: ReportModel.Finding, kind: FindingKind) -> ReportJSON {
        var members = [
            Member("rule_id", .string(f.ruleID)),
            Member("category", .from(f.category)),
            Member("key_arn", .from(f.keyARN)),
            Member("principal", .from(f.principal)),
            Member("resource", .from(f.resource)),
            Member("is_new", .bool(f.isNew)),
            Member("controls", .from(f.controls)),
            Member("suppression_reason", .from(f.suppressionReason)),
            Member("suppression_expires", .from(f.suppressionExpires)),
            Member("suppression_expired", .bool(f.suppressionExpired)),
            Member("evidence", f.evidence),
            Member("evidence_events_total", .int(Int64(f.eventTotal))),
        ]
        if kind == .compliance {
            members.append(Member("evidence_events", .array(f.events.map(JSONReport.event))))
        }
        return .object(members)
    }

    static func capped(_ s: String) -> String {
        guard s.unicodeScalars.count > maxString else { return s }
        return Truncation.cut(s, toUTF16: maxString)
    }

    static func isIPAddress(_ s: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, s, &v4) == 1 || inet_pton(AF_INET6, s, &v6) == 1
    }
}

/// Cutting text to a field's limit, with an ellipsis so a reader sees it was cut.
enum Truncation {
    /// At most `limit` UTF-16 code units (what AWS counts; never fewer than the characters a
    /// JSON Schema counts), cut at a character boundary, ending in `…` when cut.
    static func cut(_ s: String, toUTF16 limit: Int) -> String {
        guard s.utf16.count > limit else { return s }
        var out = ""
        var used = 0
        for character in s {
            let n = character.utf16.count
            if used + n > limit - 1 { break }
            out.append(character)
            used += n
        }
        return out + "…"
    }
}
