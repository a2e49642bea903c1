import Foundation

private typealias Member = ReportJSON.Member

/// The findings in the AWS Security Finding Format: a JSON array that
/// `aws securityhub batch-import-findings --findings file://FILE` accepts as it is (at most 100
/// findings per call: split larger arrays). Mapping and limits: docs/REPORTS.md ("ASFF").
package enum ASFFReport {
    package static let schemaVersion = "2018-10-08"
    /// ASFF field limits (characters): longer text is cut and ends in `…`.
    package static let titleLimit = 256
    package static let descriptionLimit = 1024
    package static let remediationLimit = 512
    static let idLimit = 512
    static let productFieldValueLimit = 2048

    package static func render(_ model: ReportModel) throws -> String {
        try document(model).serialized(indent: 2) + "\n"
    }

    package static func document(_ model: ReportModel) throws -> ReportJSON {
        .array(try model.findings.map { try finding($0, model: model) })
    }

    static func finding(_ f: ReportModel.Finding, model: ReportModel) throws -> ReportJSON {
        let kind = FindingKind(ruleID: f.ruleID)
        let placement = FindingPlacement(f, ingest: model.ingest)
        // Security Hub files a finding under one account and region: the finding's own, else
        // the only (or first) one the trail delivered.
        guard let account = placement.account ?? model.ingest.accounts.first(where: { FindingPlacement.validAccount($0) != nil }),
              let region = placement.region ?? model.ingest.regions.first
        else { throw ReportError.noAccount(fingerprint: f.fingerprint) }
        let partition = placement.resources.lazy.compactMap { ARNParts($0.id)?.partition }.first ?? "aws"
        let runTime = model.run.startedAt
        // CreatedAt is when the problem was first seen, so a re-import of the same fingerprint
        // keeps it; UpdatedAt is this run.
        let created = min(f.firstSeen ?? runTime, runTime)

        var resources: [ReportJSON] = placement.resources.map { r in
            var members = [Member("Type", .string(r.kind.asffType)), Member("Id", .string(cut(r.id, idLimit))),
                           Member("Partition", .string(partition))]
            members.append(Member("Region", .string(r.region ?? region)))
            return .object(members)
        }
        if resources.isEmpty {
            resources = [.object([Member("Type", .string("Other")),
                                  Member("Id", .string("arn:\(partition):::\(account)")),
                                  Member("Partition", .string(partition)), Member("Region", .string(region))])]
        }
        var members: [Member] = [
            Member("SchemaVersion", .string(schemaVersion)),
            Member("Id", .string(cut("kmsaudit/\(f.ruleID)/\(f.fingerprint)", idLimit))),
            Member("ProductArn", .string("arn:\(partition):securityhub:\(region):\(account):product/\(account)/default")),
            Member("ProductName", .string("kmsaudit")),
            Member("CompanyName", .string("kmsaudit")),
            Member("GeneratorId", .string(cut("kmsaudit/\(f.ruleID)", idLimit))),
            Member("AwsAccountId", .string(account)),
            Member("Region", .string(region)),
            Member("Types", .array(types(f.ruleID, kind: kind).map(ReportJSON.string))),
            Member("CreatedAt", .string(created)),
            Member("UpdatedAt", .string(runTime)),
        ]
        if let first = f.firstSeen { members.append(Member("FirstObservedAt", .string(first))) }
        if let last = f.lastSeen { members.append(Member("LastObservedAt", .string(last))) }
        members += [
            Member("Severity", .object([Member("Label", .string(label(f.severity))),
                                        Member("Original", .string(f.severity.rawValue))])),
            Member("Title", .string(cut(f.title, titleLimit))),
            Member("Description", .string(cut(f.explanation.isEmpty ? f.title : f.explanation, descriptionLimit))),
            Member("Remediation", .object([Member("Recommendation", .object([
                Member("Text", .string(cut(f.remediation.isEmpty ? "See the kmsaudit report." : f.remediation,
                                           remediationLimit))),
            ]))])),
            Member("ProductFields", .object(productFields(f, runID: model.run.id))),
            Member("Resources", .array(resources)),
        ]
        if kind == .compliance {
            var compliance = [Member("Status", .string("FAILED"))]
            // At most 32 requirements, each at most 256 characters.
            if !f.controls.isEmpty {
                compliance.append(Member("RelatedRequirements",
                                         .array(f.controls.prefix(32).map { .string(cut($0, 256)) })))
            }
            members.append(Member("Compliance", .object(compliance)))
        }
        // A suppression the config accepts is a reviewed finding that needs no action:
        // Workflow SUPPRESSED, and the record stays ACTIVE (ARCHIVED is for findings that no
        // longer exist, which Security Hub then hides).
        members.append(Member("Workflow", .object([Member("Status", .string(f.suppressed ? "SUPPRESSED" : "NEW"))])))
        members.append(Member("RecordState", .string("ACTIVE")))
        if f.suppressed, let reason = f.suppressionReason {
            members.append(Member("Note", .object([
                Member("Text", .string(cut("Suppressed: \(reason)", 512))),
                Member("UpdatedBy", .string("kmsaudit")),
                Member("UpdatedAt", .string(runTime)),
            ])))
        }
        return .object(members)
    }

    /// ASFF severity labels.
    static func label(_ s: Severity) -> String {
        switch s {
        case .critical: return "CRITICAL"
        case .high: return "HIGH"
        case .medium: return "MEDIUM"
        case .low: return "LOW"
        case .info: return "INFORMATIONAL"
        }
    }

    /// `namespace/category` from ASFF's types taxonomy.
    static func types(_ ruleID: String, kind: FindingKind) -> [String] {
        switch ruleID {
        case "KMS-001": return ["Unusual Behaviors/User", "Software and Configuration Checks/AWS Security Best Practices"]
        case "KMS-002": return ["Effects/Data Exposure", "Unusual Behaviors/User"]
        case "KMS-004": return ["Effects/Denial of Service", "Effects/Data Destruction"]
        default:
            return kind == .compliance && ruleID.hasPrefix("LOG-")
                ? ["Software and Configuration Checks/Industry and Regulatory Standards",
                   "Software and Configuration Checks/AWS Security Best Practices"]
                : ["Software and Configuration Checks/AWS Security Best Practices"]
        }
    }

    /// Free-form name/value pairs (at most 50; values at most 2,048 characters).
    private static func productFields(_ f: ReportModel.Finding, runID: Int64) -> [Member] {
        var fields: [(String, String?)] = [
            ("kmsaudit/RuleId", f.ruleID), ("kmsaudit/Fingerprint", f.fingerprint), ("kmsaudit/RunId", String(runID)),
            ("kmsaudit/Category", f.category), ("kmsaudit/KeyArn", f.keyARN), ("kmsaudit/Principal", f.principal),
            ("kmsaudit/Resource", f.resource), ("kmsaudit/EventCount", String(f.eventCount)),
        ]
        if let reason = f.suppressionReason { fields.append(("kmsaudit/SuppressionReason", reason)) }
        return fields.compactMap { name, value in
            guard let value, !value.isEmpty else { return nil }
            return Member(name, .string(cut(value, productFieldValueLimit)))
        }
    }

    static func cut(_ s: String, _ limit: Int) -> String { Truncation.cut(s, toUTF16: limit) }
}
