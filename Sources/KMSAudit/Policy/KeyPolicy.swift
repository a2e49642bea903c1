import Foundation

/// A parsed KMS key policy.
///
/// Policies reach the auditor as JSON text: `requestParameters.policy` of `CreateKey` /
/// `PutKeyPolicy` events (a JSON string inside the record), policy files, or the output of
/// `aws kms get-key-policy` (`{"Policy": "<json string>", "PolicyName": "default"}`).
/// They are small and rare, so Foundation's `JSONSerialization` is good enough here.
package struct KeyPolicy: Hashable, Sendable {
    package var version: String?
    package var id: String?
    /// The `PolicyName` of a `get-key-policy` wrapper (always `default` for KMS), if read from one.
    package var policyName: String?
    package var statements: [PolicyStatement]

    /// KMS caps key policies at 32 KiB; anything far beyond that is not a key policy.
    package static let maxTextBytes = 1 << 20

    package init(version: String? = "2012-10-17", id: String? = nil, policyName: String? = nil, statements: [PolicyStatement]) {
        self.version = version
        self.id = id
        self.policyName = policyName
        // Keep `index` in step with the position, whoever built the list.
        self.statements = statements.enumerated().map { i, s in var s = s; s.index = i; return s }
    }

    /// Parses a policy document, or a `get-key-policy` output wrapping one.
    package init(json text: String) throws {
        try self.init(data: Data(text.utf8))
    }

    /// Parses a policy document, or a `get-key-policy` output wrapping one.
    package init(data: Data) throws {
        guard data.count <= Self.maxTextBytes else {
            throw PolicyParseError.tooLarge(bytes: data.count, limit: Self.maxTextBytes)
        }
        let root: Any
        do {
            root = try JSONSerialization.jsonObject(with: data, options: [])
        } catch {
            throw PolicyParseError.notJSON(Self.describe(error))
        }
        guard let obj = root as? [String: Any] else {
            throw PolicyParseError.shape("the policy must be a JSON object")
        }
        // `aws kms get-key-policy` output: the policy is a JSON string one level down.
        if obj["Statement"] == nil, let wrapped = obj["Policy"] {
            guard let inner = wrapped as? String else {
                throw PolicyParseError.shape("\"Policy\" of a get-key-policy output must be a JSON string")
            }
            try self.init(json: inner)
            if let name = obj["PolicyName"] as? String { policyName = name }
            return
        }
        try self.init(document: obj)
    }

    private init(document obj: [String: Any]) throws {
        guard let statementJSON = obj["Statement"], !(statementJSON is NSNull) else {
            throw PolicyParseError.shape("\"Statement\" is missing")
        }
        let list: [Any]
        if let arr = statementJSON as? [Any] {
            list = arr
        } else if statementJSON is [String: Any] {
            list = [statementJSON]  // a single statement may be written without the array
        } else {
            throw PolicyParseError.shape("\"Statement\" must be an object or an array of objects")
        }
        var statements: [PolicyStatement] = []
        statements.reserveCapacity(list.count)
        for (i, s) in list.enumerated() {
            statements.append(try PolicyStatement(json: s, index: i))
        }
        if let v = obj["Version"], !(v is NSNull), !(v is String) {
            throw PolicyParseError.shape("\"Version\" must be a string")
        }
        self.version = obj["Version"] as? String
        self.id = obj["Id"] as? String
        self.policyName = nil
        self.statements = statements
    }

    private static func describe(_ error: Error) -> String {
        let ns = error as NSError
        if let detail = ns.userInfo[NSDebugDescriptionErrorKey] as? String { return detail }
        return ns.localizedDescription
    }

    /// The policy KMS gives a key created without one (docs/rules/DECISIONS.md #7): the account
    /// (through IAM, not the root user as such) may do `kms:*` on the key.
    package static func awsDefault(account: String, partition: String = "aws") -> KeyPolicy {
        KeyPolicy(version: "2012-10-17", id: "key-default-1", statements: [
            PolicyStatement(sid: "Enable IAM User Permissions", effect: .allow,
                            principals: [.account(id: account, text: "arn:\(partition):iam::\(account):root")],
                            actions: ["kms:*"], resources: ["*"]),
        ])
    }
}

// MARK: - Facts for reports and for "is this a database key?"

/// One principal as a statement names it, with the statement's context, for reports.
package struct PolicyPrincipalReference: Hashable, Sendable {
    package var statementIndex: Int
    package var sid: String?
    package var effect: PolicyStatement.Effect
    /// True when it appears under `NotPrincipal` (the statement applies to everyone else).
    package var isNotPrincipal: Bool
    package var principal: PolicyPrincipal
}

extension KeyPolicy {
    /// Every principal the policy names, statement by statement, in policy order.
    package var principalReferences: [PolicyPrincipalReference] {
        statements.enumerated().flatMap { i, s in
            s.principals.map {
                PolicyPrincipalReference(statementIndex: i, sid: s.sid, effect: s.effect,
                                         isNotPrincipal: s.isNotPrincipal, principal: $0)
            }
        }
    }

    /// The distinct principals named anywhere in the policy (Principal or NotPrincipal), first
    /// appearance first.
    package var namedPrincipals: [PolicyPrincipal] {
        var seen = Set<PolicyPrincipal>()
        return principalReferences.map(\.principal).filter { seen.insert($0).inserted }
    }

    /// The `kms:ViaService` values naming RDS (`rds.REGION.amazonaws.com`, or a pattern such as
    /// `rds.*.amazonaws.com`) in any statement's condition, whatever its operator.
    package var rdsViaServiceValues: [String] {
        var out: [String] = []
        for s in statements {
            for c in s.conditions where c.key.lowercased() == "kms:viaservice" {
                out.append(contentsOf: c.values.filter(Self.namesRDS))
            }
        }
        return out
    }

    /// True when a condition on `kms:ViaService` names RDS: by docs/rules/README.md "Terms" this makes the
    /// key a database key (Neptune calls KMS through RDS, so RDS covers it).
    package var hasRDSViaServiceCondition: Bool { !rdsViaServiceValues.isEmpty }

    /// `rds.us-east-1.amazonaws.com`, `rds.*.amazonaws.com`, also the global `rds.amazonaws.com`
    /// and China's `.amazonaws.com.cn`. Case-insensitive: the value names a service.
    static func namesRDS(_ value: String) -> Bool {
        let v = value.lowercased()
        return v.hasPrefix("rds.") && (v.hasSuffix(".amazonaws.com") || v.hasSuffix(".amazonaws.com.cn"))
    }
}
