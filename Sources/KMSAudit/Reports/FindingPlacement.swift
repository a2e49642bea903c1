import Foundation

/// Where a finding lives in AWS terms (account, region, typed resources), which OCSF and ASFF
/// both need and the findings table does not store as columns: read from the ARNs the finding
/// names, then from its evidence (`account`, `region`, as the LOG-00x rules write them), then
/// from the ingest when it saw exactly one account or region.
package struct FindingPlacement: Sendable, Equatable {
    /// 12-digit AWS account id, or nil when nothing names one.
    package var account: String?
    package var region: String?
    package var resources: [Resource]

    /// One resource a finding concerns, typed by its ARN.
    package struct Resource: Sendable, Equatable {
        package enum Kind: String, Sendable {
            case kmsKey, rdsCluster, rdsInstance, other
            /// The ASFF `Resources[].Type`.
            package var asffType: String {
                switch self {
                case .kmsKey: return "AwsKmsKey"
                case .rdsCluster: return "AwsRdsDbCluster"
                case .rdsInstance: return "AwsRdsDbInstance"
                case .other: return "Other"
                }
            }
            /// The OCSF `resources[].type` (CloudFormation's resource type names).
            package var ocsfType: String {
                switch self {
                case .kmsKey: return "AWS::KMS::Key"
                case .rdsCluster: return "AWS::RDS::DBCluster"
                case .rdsInstance: return "AWS::RDS::DBInstance"
                case .other: return "Other"
                }
            }
        }
        package var kind: Kind
        package var id: String
        package var region: String?
        package var account: String?
    }

    package init(_ finding: ReportModel.Finding, ingest: ReportModel.Ingest? = nil) {
        var resources: [Resource] = []
        if let key = finding.keyARN { resources.append(Self.resource(key)) }
        if let resource = finding.resource, resource != finding.keyARN { resources.append(Self.resource(resource)) }
        self.resources = resources
        let principalAccount = finding.principal.flatMap { ARNParts($0)?.account }
        account = resources.lazy.compactMap(\.account).first
            ?? finding.evidence["account"]?.stringValue.flatMap(Self.validAccount)
            ?? principalAccount
            ?? ingest.flatMap { $0.accounts.count == 1 ? $0.accounts[0] : nil }
        region = resources.lazy.compactMap(\.region).first
            ?? finding.evidence["region"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
            ?? ingest.flatMap { $0.regions.count == 1 ? $0.regions[0] : nil }
    }

    static func resource(_ name: String) -> Resource {
        guard let arn = ARNParts(name) else { return Resource(kind: .other, id: name, region: nil, account: nil) }
        let kind: Resource.Kind
        switch (arn.service, arn.resourceType) {
        case ("kms", "key"): kind = .kmsKey
        case ("rds", "cluster"): kind = .rdsCluster
        case ("rds", "db"): kind = .rdsInstance
        default: kind = .other
        }
        return Resource(kind: kind, id: name, region: arn.region.isEmpty ? nil : arn.region,
                        account: validAccount(arn.account))
    }

    static func validAccount(_ s: String) -> String? {
        s.utf8.count == 12 && s.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 } ? s : nil
    }
}

extension ARNParts {
    /// The resource part up to its first `/` or `:` (`key`, `cluster`, `db`, `role`).
    var resourceType: String { String(resource.prefix { $0 != "/" && $0 != ":" }) }
}

/// How the findings formats for security tools classify a rule (OCSF class, ASFF types).
package enum FindingKind: String, Sendable {
    /// Something happened that should not have (OCSF Detection Finding, class 2004).
    case detection
    /// A configuration or the evidence falls short of a control (OCSF Compliance Finding, 2003).
    case compliance

    /// KMS-001, KMS-002 and KMS-004 report activity; KMS-003, KMS-005..008 and LOG-* report a
    /// state that fails a control. A rule id outside those (a user's rule) is a detection: it
    /// is a query over events, and a Compliance Finding needs standards it may not name.
    package init(ruleID: String) {
        if ruleID.hasPrefix("LOG-") {
            self = .compliance
            return
        }
        switch ruleID {
        case "KMS-003", "KMS-005", "KMS-006", "KMS-007", "KMS-008": self = .compliance
        default: self = .detection
        }
    }
}

/// Splits a rule's control references (`NIST SP 800-53 AC-3, AC-6`) into the standard's name
/// and the whole reference, for OCSF `compliance.standards` and ASFF `RelatedRequirements`.
enum ControlReferences {
    /// Standards the built-in rules cite, longest first so `AWS Security Hub` wins over `AWS`.
    static let knownStandards = [
        "NIST SP 800-53", "CIS AWS Foundations", "AWS Security Hub", "ISO 27001", "PCI DSS", "SOC 2",
    ]

    /// The standard a reference belongs to: a known name it starts with, else the words before
    /// the first one holding a digit, else the whole reference.
    static func standard(of reference: String) -> String {
        if let known = knownStandards.first(where: { reference.hasPrefix($0) }) { return known }
        let words = reference.split(separator: " ")
        let name = words.prefix { !$0.contains(where: \.isNumber) }
        return name.isEmpty ? reference : name.joined(separator: " ")
    }

    static func standards(_ references: [String]) -> [String] {
        var seen = Set<String>()
        return references.map(standard).filter { seen.insert($0).inserted }
    }
}

extension TimeFormats {
    /// Milliseconds since 1970 (OCSF's `timestamp_t`) of a stored time, nil when it is not one.
    static func epochMilliseconds(_ s: String?) -> Int64? {
        guard let s, let date = parseLenient(s) else { return nil }
        return Int64((date.timeIntervalSince1970 * 1000).rounded())
    }
}
