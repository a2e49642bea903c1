/// A principal that uses a key through RDS (KMS-004, docs/rules/DECISIONS.md #9).
package struct RDSKeyUser: Hashable, Sendable {
    /// As `RequestContext.principalArn`: role/user ARN, `arn:aws:iam::ACCT:root`, or a service.
    package var principalArn: String
    package var account: String?
    /// Set when the user is an AWS service acting as itself (RDS for its grants).
    package var servicePrincipal: String?
    package var sessionArn: String?

    package init(principalArn: String, account: String? = nil, sessionArn: String? = nil) {
        self.principalArn = principalArn
        self.account = account ?? RequestContext.account(ofArn: principalArn)
        self.servicePrincipal = nil
        self.sessionArn = sessionArn
    }

    /// An AWS service acting as itself, e.g. `rds.amazonaws.com`.
    package static func service(_ name: String) -> RDSKeyUser {
        var u = RDSKeyUser(principalArn: name)  // a service name carries no account
        u.servicePrincipal = name
        return u
    }
}

/// One required action a new policy takes away from a user, and how.
package struct MissingRDSAction: Hashable, Sendable {
    package enum Reason: String, Hashable, Sendable {
        /// The new policy explicitly denies it.
        case explicitDeny
        /// The new policy no longer allows it (implicit deny).
        case notAllowed
        /// The new policy's verdict hangs on a statement that cannot be evaluated.
        case notEvaluable
        /// The key policy used to allow it itself; now only the account delegation
        /// (`arn:aws:iam::ACCT:root`) does, so it depends on IAM policies the audit cannot see.
        case onlyViaAccountDelegation
    }

    package var action: String
    package var reason: Reason
    /// The previous policy's outcome (nil when the previous policy is unknown).
    package var before: PolicyDecision.Outcome?
    package var after: PolicyDecision.Outcome
}

/// The actions one user lost with a new policy.
package struct RDSAccessLoss: Hashable, Sendable {
    package var user: RDSKeyUser
    package var missing: [MissingRDSAction]
    package var actions: [String] { missing.map(\.action) }
}

/// KMS-004's policy question: does a new key policy cut RDS off from a key?
package enum RDSKeyAccess {
    /// What RDS needs to keep using a key (the seed's list; `ReEncrypt*` is both halves).
    package static let requiredActions = [
        "kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey",
        "kms:GenerateDataKeyWithoutPlaintext", "kms:CreateGrant", "kms:DescribeKey",
    ]

    /// The request context of `user` calling `action` through RDS in `region`:
    /// `kms:ViaService` = `rds.REGION.amazonaws.com`, and for `CreateGrant`
    /// `kms:GrantIsForAWSResource` = true (RDS creates grants for its resources).
    package static func viaRDSContext(user: RDSKeyUser, action: String, region: String, keyArn: String? = nil,
                                     encryptionContext: [String: String] = [:]) -> RequestContext {
        let normalized = RequestContext.normalizedAction(action)
        return RequestContext(
            action: normalized, principalArn: user.principalArn, principalAccount: user.account,
            isRootUser: false, servicePrincipal: user.servicePrincipal, keyArn: keyArn,
            viaService: "rds.\(region).amazonaws.com", callerAccount: user.account,
            grantIsForAWSResource: normalized.lowercased() == "kms:creategrant" ? true : nil,
            encryptionContext: encryptionContext, sessionArn: user.sessionArn)
    }

    /// For each user, the required actions that `new` no longer allows through RDS, compared
    /// with `previous`. Only users with something missing are returned, in input order.
    ///
    /// "No longer" is relative: an action the previous policy did not allow either (say the user
    /// relied on a grant) is not a loss. With the previous policy unknown, the user is taken to
    /// have had at least account-delegated access (they used the key), so only a deny, a missing
    /// allow or an unevaluable verdict counts. When `users` is empty, the principals of the
    /// previous policy's statements with a `kms:ViaService` condition naming RDS stand in
    /// (docs/rules/DECISIONS.md #9).
    package static func lostAccess(previous: KeyPolicy?, new: KeyPolicy, users: [RDSKeyUser], region: String,
                                  keyArn: String? = nil, encryptionContext: [String: String] = [:]) -> [RDSAccessLoss] {
        var checked = users
        if checked.isEmpty, let previous {
            checked = Self.users(fromViaServiceStatementsOf: previous, keyArn: keyArn)
        }
        var out: [RDSAccessLoss] = []
        var seen = Set<RDSKeyUser>()
        for user in checked where seen.insert(user).inserted {
            var missing: [MissingRDSAction] = []
            for action in requiredActions {
                let ctx = viaRDSContext(user: user, action: action, region: region, keyArn: keyArn,
                                        encryptionContext: encryptionContext)
                let after = PolicyEvaluator.evaluate(new, ctx)
                let before = previous.map { PolicyEvaluator.evaluate($0, ctx) }
                let beforeLevel = before.map(AccessLevel.init) ?? .delegated
                let afterLevel = AccessLevel(after)
                guard afterLevel < beforeLevel else { continue }
                missing.append(MissingRDSAction(action: action, reason: afterLevel.lossReason(after.outcome),
                                                before: before?.outcome, after: after.outcome))
            }
            if !missing.isEmpty { out.append(RDSAccessLoss(user: user, missing: missing)) }
        }
        return out
    }

    /// The principals of statements whose condition names RDS in `kms:ViaService` (docs/rules/DECISIONS.md #9's
    /// fallback). An account entry, and `"*"` limited by `kms:CallerAccount` (the `aws/rds`
    /// pattern), stand for "some principal of that account", represented by the account's root
    /// ARN (not the root user). `"*"` without `kms:CallerAccount` stands for the key's account.
    /// `NotPrincipal` statements name nobody to check and are skipped.
    package static func users(fromViaServiceStatementsOf policy: KeyPolicy, keyArn: String? = nil) -> [RDSKeyUser] {
        let keyAccount = keyArn.flatMap(RequestContext.account(ofArn:))
        var out: [RDSKeyUser] = []
        for s in policy.statements where !s.isNotPrincipal {
            let namesRDS = s.conditions.contains { $0.key.lowercased() == "kms:viaservice" && $0.values.contains(where: KeyPolicy.namesRDS) }
            guard namesRDS else { continue }
            for p in s.principals {
                switch p {
                case .arn(let arn): out.append(user(forArn: arn))
                case .account(let id, _): out.append(RDSKeyUser(principalArn: "arn:aws:iam::\(id):root", account: id))
                case .service(let name): out.append(.service(name))
                case .anyone:
                    let callerAccounts = s.conditions
                        .filter { $0.key.lowercased() == "kms:calleraccount" && $0.parsedOperator.map { !$0.base.isNegated } == true }
                        .flatMap(\.values).filter(PolicyPrincipal.isAccountID)
                    let accounts = callerAccounts.isEmpty ? (keyAccount.map { [$0] } ?? []) : callerAccounts
                    out += accounts.map { RDSKeyUser(principalArn: "arn:aws:iam::\($0):root", account: $0) }
                case .federated, .canonicalUser, .other:
                    continue
                }
            }
        }
        var seen = Set<RDSKeyUser>()
        return out.filter { seen.insert($0).inserted }
    }

    /// A policy may name an assumed-role session; its principal (as docs/rules/README.md defines it) is the role.
    static func user(forArn arn: String) -> RDSKeyUser {
        let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
        if parts.count == 6, parts[0] == "arn", parts[2] == "sts", parts[5].hasPrefix("assumed-role/") {
            let path = parts[5].split(separator: "/")
            if path.count >= 3 {
                let role = "arn:\(parts[1]):iam::\(parts[4]):role/\(path[1])"
                return RDSKeyUser(principalArn: role, account: String(parts[4]), sessionArn: arn)
            }
        }
        return RDSKeyUser(principalArn: arn)
    }
}

/// How well a policy lets a user do an action, for "no longer allows" comparisons.
enum AccessLevel: Int, Comparable {
    case none = 0, unknown = 1, delegated = 2, direct = 3

    init(_ d: PolicyDecision) {
        switch d.outcome {
        case .allowed: self = d.isAllowedOnlyByAccountDelegation ? .delegated : .direct
        case .notEvaluable: self = .unknown
        case .explicitDeny, .implicitDeny: self = .none
        }
    }

    static func < (a: AccessLevel, b: AccessLevel) -> Bool { a.rawValue < b.rawValue }

    func lossReason(_ outcome: PolicyDecision.Outcome) -> MissingRDSAction.Reason {
        switch self {
        case .delegated: return .onlyViaAccountDelegation
        case .unknown: return .notEvaluable
        case .none, .direct: return outcome == .explicitDeny ? .explicitDeny : .notAllowed
        }
    }
}
