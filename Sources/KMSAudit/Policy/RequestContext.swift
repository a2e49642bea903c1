/// What the key policy is asked about: one KMS call, described the way docs/rules/README.md derives it
/// from a CloudTrail event ("Principal" in Terms, condition context in docs/rules/DECISIONS.md #5).
package struct RequestContext: Hashable, Sendable {
    /// Always `kms:Name` (normalised from `Name` or any-case `KMS:Name`).
    package var action: String
    /// The event's principal: an IAM user or role ARN (the role for an assumed-role session),
    /// `arn:aws:iam::ACCT:root` for the root user or another account, or a service name such as
    /// `rds.amazonaws.com` for a call the service made itself.
    package var principalArn: String
    /// The principal's account; nil for AWS services acting as themselves.
    package var principalAccount: String?
    /// The account's root user acting directly (`userIdentity.type` Root).
    package var isRootUser: Bool
    /// The service principal when an AWS service itself is the caller (`AWSService`).
    package var servicePrincipal: String?
    /// The key; nil when unknown, in which case any `Resource` is taken to mean this key.
    package var keyArn: String?
    /// `kms:ViaService`, e.g. `rds.us-east-1.amazonaws.com`; nil when no service was in between.
    package var viaService: String?
    /// `kms:CallerAccount`; defaults to `principalAccount`.
    package var callerAccount: String?
    /// `kms:GrantIsForAWSResource`; nil where KMS would not set it.
    package var grantIsForAWSResource: Bool?
    /// `kms:EncryptionContext:*` (the request's encryption context).
    package var encryptionContext: [String: String]
    /// The assumed-role session ARN (`arn:aws:sts::ACCT:assumed-role/ROLE/SESSION`), for
    /// policies that name a session rather than the role.
    package var sessionArn: String?
    /// A request made up to ask the policy a question (KMS-006), not one read from an event: it
    /// carries only the keys set above, so every other condition key is known to be absent and an
    /// `...IfExists` clause on it holds (docs/rules/DECISIONS.md #5). For an event, a key the
    /// auditor does not read may well have been present, so there such a clause stays unknown.
    package var isSynthetic: Bool

    package init(action: String, principalArn: String, principalAccount: String? = nil, isRootUser: Bool = false,
                servicePrincipal: String? = nil, keyArn: String? = nil, viaService: String? = nil,
                callerAccount: String? = nil, grantIsForAWSResource: Bool? = nil,
                encryptionContext: [String: String] = [:], sessionArn: String? = nil, isSynthetic: Bool = false) {
        self.action = Self.normalizedAction(action)
        self.principalArn = principalArn
        // An ARN carries its account; deriving it keeps callers from having to repeat it.
        let account = principalAccount ?? (servicePrincipal == nil ? Self.account(ofArn: principalArn) : nil)
        self.principalAccount = account
        self.isRootUser = isRootUser
        self.servicePrincipal = servicePrincipal
        self.keyArn = keyArn
        self.viaService = viaService
        self.callerAccount = callerAccount ?? account
        self.grantIsForAWSResource = grantIsForAWSResource
        self.encryptionContext = encryptionContext
        self.sessionArn = sessionArn
        self.isSynthetic = isSynthetic
    }

    /// True when an AWS service is the caller itself (not a principal calling through it).
    package var isServiceCaller: Bool { servicePrincipal != nil }

    /// `Decrypt` → `kms:Decrypt`; `KMS:Decrypt` → `kms:Decrypt`; other prefixes are kept.
    package static func normalizedAction(_ action: String) -> String {
        guard let colon = action.firstIndex(of: ":") else { return "kms:" + action }
        let prefix = action[..<colon]
        return prefix.lowercased() == "kms" ? "kms" + action[colon...] : action
    }

    /// The policy actions a CloudTrail event name is checked against. They are the event name
    /// with `kms:` except `ReEncrypt`, which KMS authorises as `kms:ReEncryptFrom` on the source
    /// key and `kms:ReEncryptTo` on the destination key (both when they are the same key).
    package static func policyActions(forEventName name: String) -> [String] {
        let action = normalizedAction(name)
        return action.lowercased() == "kms:reencrypt" ? ["kms:ReEncryptFrom", "kms:ReEncryptTo"] : [action]
    }

    /// The account field (5th) of an ARN, when it is a 12-digit account id; or a bare id.
    static func account(ofArn arn: String) -> String? {
        if PolicyPrincipal.isAccountID(arn) { return arn }
        let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 6, parts[0] == "arn" else { return nil }
        let acct = String(parts[4])
        return PolicyPrincipal.isAccountID(acct) ? acct : nil
    }
}
