/// Key policies of the sample keys, shaped after the seed document (Neptune's recommended
/// policy: account root, a role allowed through `kms:ViaService` = RDS, and a Deny for any
/// other use by that role) plus the console's key-administrator statement.
enum KeyPolicies {
    /// The actions the seed lists for creating an encrypted Neptune/RDS resource.
    static let rdsActions: [JSONNode] = [
        "kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:ReEncryptTo",
        "kms:GenerateDataKeyWithoutPlaintext", "kms:CreateGrant", "kms:ReEncryptFrom", "kms:DescribeKey",
    ]

    /// The AWS console's default key-administrator actions (plus RetireGrant, so that key
    /// administrators may clean up grants).
    static let adminActions: [JSONNode] = [
        "kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*",
        "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource",
        "kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion", "kms:RetireGrant",
        "kms:RotateKeyOnDemand",
    ]

    static func principal(_ arns: [String]) -> JSONNode {
        .object([("AWS", arns.count == 1 ? .string(arns[0]) : .array(arns.map { .string($0) }))])
    }

    static func rootStatement(_ account: String) -> JSONNode {
        .object([
            ("Sid", "Enable IAM User Permissions"), ("Effect", "Allow"),
            ("Principal", principal(["arn:aws:iam::\(account):root"])), ("Action", "kms:*"), ("Resource", "*"),
        ])
    }

    static func adminStatement(_ admins: [String]) -> JSONNode {
        .object([
            ("Sid", "Allow access for Key Administrators"), ("Effect", "Allow"),
            ("Principal", principal(admins)), ("Action", .array(adminActions)), ("Resource", "*"),
        ])
    }

    static func viaRDSAllow(_ roles: [String], region: String, sid: String = "Allow use of the key for Neptune") -> JSONNode {
        .object([
            ("Sid", .string(sid)), ("Effect", "Allow"), ("Principal", principal(roles)),
            ("Action", .array(rdsActions)), ("Resource", "*"),
            ("Condition", .object([("StringEquals", .object([("kms:ViaService", .string("rds.\(region).amazonaws.com"))]))])),
        ])
    }

    static func nonRDSDeny(_ roles: [String], region: String) -> JSONNode {
        .object([
            ("Sid", "Deny use of the key for non Neptune"), ("Effect", "Deny"), ("Principal", principal(roles)),
            ("Action", ["kms:*"]), ("Resource", "*"),
            ("Condition", .object([("StringNotEquals", .object([("kms:ViaService", .string("rds.\(region).amazonaws.com"))]))])),
        ])
    }

    static func document(id: String, _ statements: [JSONNode]) -> JSONNode {
        .object([("Version", "2012-10-17"), ("Id", .string(id)), ("Statement", .array(statements))])
    }

    /// The seed's policy for a database key: root, key administrators, the RDS roles through
    /// ViaService, and the Deny of non-RDS use for the application role.
    static func database(account: String, region: String, admins: [String], rdsRoles: [String],
                         denyRoles: [String], extra: [JSONNode] = [], root: Bool = true) -> JSONNode {
        var s: [JSONNode] = []
        if root { s.append(rootStatement(account)) }
        s.append(adminStatement(admins))
        s.append(viaRDSAllow(rdsRoles, region: region))
        if !denyRoles.isEmpty { s.append(nonRDSDeny(denyRoles, region: region)) }
        s.append(contentsOf: extra)
        return document(id: "key-consolepolicy-3", s)
    }

    /// Read-only key inspection for a security auditor role.
    static func auditStatement(_ role: String) -> JSONNode {
        .object([
            ("Sid", "Allow security audit"), ("Effect", "Allow"), ("Principal", principal([role])),
            ("Action", ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:ListGrants", "kms:GetKeyRotationStatus"]),
            ("Resource", "*"),
        ])
    }

    /// A statement whose condition operator (`DateGreaterThan`) is outside what the auditor
    /// evaluates: docs/rules/DECISIONS.md #6, `not-evaluable`.
    static func contractorStatement(_ role: String) -> JSONNode {
        .object([
            ("Sid", "Contractor read access from mid-October"), ("Effect", "Allow"), ("Principal", principal([role])),
            ("Action", ["kms:DescribeKey", "kms:Decrypt"]), ("Resource", "*"),
            ("Condition", .object([("DateGreaterThan", .object([("aws:CurrentTime", "2026-10-15T00:00:00Z")]))])),
        ])
    }

    /// A policy for an application (non-database) key: root plus a role using it directly.
    static func application(account: String, admins: [String], users: [String]) -> JSONNode {
        document(id: "key-policy-app", [
            rootStatement(account), adminStatement(admins),
            .object([
                ("Sid", "Allow use of the key"), ("Effect", "Allow"), ("Principal", principal(users)),
                ("Action", ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]),
                ("Resource", "*"),
            ]),
        ])
    }

    /// What KMS stores for `CreateKey` without a policy (docs/rules/DECISIONS.md #7).
    static func awsDefault(account: String) -> JSONNode {
        document(id: "key-default-1", [rootStatement(account)])
    }

    /// The policy text as KMS returns it (and as CloudTrail logs it in `requestParameters.policy`).
    static func text(_ policy: JSONNode) -> String { policy.render(.kmsPolicy) }
}
