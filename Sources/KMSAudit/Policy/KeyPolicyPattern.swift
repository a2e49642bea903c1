/// KMS-006: does a database key's policy follow the seed's recommended pattern? The seed's
/// example gives the database role exactly eight actions only through RDS, denies that role every
/// other use, and may restrict `CreateGrant` to AWS resources (docs/rules/KMS-006.md).
///
/// The policy is never matched as text: every question is put to `PolicyEvaluator` as a made-up
/// request (`RequestContext.isSynthetic`) carrying only `kms:ViaService` (when through RDS),
/// `kms:CallerAccount`, `kms:GrantIsForAWSResource` and `aws:PrincipalArn`
/// (docs/rules/DECISIONS.md #5). Pure: the same policy and principals always give the same
/// judgements, in the same order.
package enum KeyPolicyPattern {
    /// What RDS needs to keep using a key (the seed's eight actions).
    package static let rdsActions = RDSKeyAccess.requiredActions
    /// The cryptographic actions (`Encrypt`, `Decrypt`, `ReEncrypt*`, `GenerateDataKey*`): what
    /// reads or writes data under the key.
    package static let cryptographicActions = [
        "kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey",
        "kms:GenerateDataKeyWithoutPlaintext", "kms:GenerateDataKeyPair", "kms:GenerateDataKeyPairWithoutPlaintext",
    ]
    /// Key use: the cryptographic actions and `CreateGrant` (which delegates them).
    package static let keyUseActions = cryptographicActions + ["kms:CreateGrant"]

    /// Judges `policy`, the policy of `keyARN` in effect at the window's end.
    ///
    /// `databasePrincipals`: principals that use the key through RDS (from events, and from the
    /// config's `database_principals`), as principal ARNs (a role, not its session). The
    /// principals the policy itself names in statements with a `kms:ViaService` condition
    /// naming RDS are added here. Service names are ignored: RDS acting as itself is not a
    /// database principal.
    package static func judge(policy: KeyPolicy, keyARN: String, databasePrincipals: [String]) -> [PolicyJudgement] {
        var judge = Judge(policy: policy, keyARN: keyARN)
        let database = Self.databasePrincipals(policy: policy, keyARN: keyARN, extra: databasePrincipals)
        for principal in database {
            judge.rdsCannotUse(principal)
            judge.noDenyOutsideRDS(principal)
        }
        for principal in Self.probes(policy: policy, keyARN: keyARN, database: database) where !principal.isAccountRoot {
            judge.usableOutsideRDS(principal)
            judge.grantNotRestricted(principal)
        }
        return judge.results()
    }

    // MARK: - Who is asked about

    /// The database principals, first appearance first: `extra`, then those the policy names
    /// in statements whose `kms:ViaService` condition names RDS (any effect: a Deny that names
    /// the database role is about it too). An account entry stands for the account (its root
    /// ARN); `"*"`, `NotPrincipal` and services name nobody.
    static func databasePrincipals(policy: KeyPolicy, keyARN: String, extra: [String]) -> [Probe] {
        var out: [Probe] = []
        for arn in extra where !arn.isEmpty && arn != "*" && arn.hasPrefix("arn:") {
            out.append(Probe(user: RDSKeyAccess.user(forArn: arn), source: .stated))
        }
        for s in policy.statements where !s.isNotPrincipal {
            let namesRDS = s.conditions.contains { $0.key.lowercased() == "kms:viaservice" && $0.values.contains(where: KeyPolicy.namesRDS) }
            guard namesRDS else { continue }
            for p in s.principals {
                switch p {
                case .arn(let arn): out.append(Probe(user: RDSKeyAccess.user(forArn: arn), source: .viaServiceStatement))
                case .account(let id, _): out.append(Probe(user: RDSKeyUser(principalArn: "arn:aws:iam::\(id):root", account: id), source: .viaServiceStatement))
                case .anyone, .service, .federated, .canonicalUser, .other: continue
                }
            }
        }
        return unique(out)
    }

    /// Everyone asked whether the policy lets them use the key outside RDS: the database
    /// principals; every principal an `Allow` names, or a `NotPrincipal` lists, or an
    /// `aws:PrincipalArn` condition names literally; AWS services an `Allow` names (not RDS,
    /// which is inside RDS by definition); and, for each account the policy or those principals
    /// mention, one principal nobody names, which stands for "anyone" (`"*"`, `NotPrincipal`).
    static func probes(policy: KeyPolicy, keyARN: String, database: [Probe]) -> [Probe] {
        var out = database
        var accounts: [String] = []
        if let a = RequestContext.account(ofArn: keyARN) { accounts.append(a) }
        for s in policy.statements {
            for p in s.principals {
                switch p {
                case .arn(let arn) where s.effect == .allow || s.isNotPrincipal:
                    out.append(Probe(user: RDSKeyAccess.user(forArn: arn), source: .named))
                case .account(let id, _):
                    accounts.append(id)
                case .service(let name) where s.effect == .allow && !s.isNotPrincipal:
                    if !PrincipalMatcher.sameService(name, "rds.amazonaws.com") {
                        out.append(Probe(user: .service(name), source: .named))
                    }
                default:
                    continue
                }
            }
            for c in s.conditions {
                switch c.key.lowercased() {
                case "aws:principalarn":
                    for v in c.values where v.hasPrefix("arn:") && !v.contains("*") && !v.contains("?") {
                        out.append(Probe(user: RDSKeyAccess.user(forArn: v), source: .named))
                    }
                case "kms:calleraccount":
                    accounts += c.values.filter(PolicyPrincipal.isAccountID)
                default:
                    continue
                }
            }
        }
        accounts += out.compactMap(\.user.account)
        var seenAccounts = Set<String>()
        for account in accounts where seenAccounts.insert(account).inserted {
            out.append(Probe(user: RDSKeyUser(principalArn: "arn:aws:iam::\(account):role/\(unnamedRoleName)", account: account),
                             source: .anyone))
        }
        return unique(out)
    }

    /// The role name of the principal that stands for "anyone of this account": a name no real
    /// policy is expected to use.
    static let unnamedRoleName = "kmsaudit-principal-no-statement-names"

    private static func unique(_ probes: [Probe]) -> [Probe] {
        var seen = Set<String>()
        return probes.filter { seen.insert($0.user.servicePrincipal ?? $0.user.principalArn).inserted }
    }

    /// One principal the policy is asked about.
    struct Probe {
        enum Source { case stated, viaServiceStatement, named, anyone }
        var user: RDSKeyUser
        var source: Source

        var isAccountRoot: Bool {
            user.servicePrincipal == nil && PolicyPrincipal.accountID(ofRootOrBareID: user.principalArn) != nil
        }
    }

    /// The made-up request: `action` by `user` on `keyARN`, through RDS in the key's region or
    /// with no `kms:ViaService`; `kms:GrantIsForAWSResource` only for `CreateGrant` (true through
    /// RDS, `grantForAWS` otherwise).
    static func context(_ user: RDSKeyUser, action: String, keyARN: String, viaRDS: Bool, grantForAWS: Bool = false) -> RequestContext {
        let region = keyARN.split(separator: ":", omittingEmptySubsequences: false).dropFirst(3).first.map(String.init) ?? ""
        let isCreateGrant = action.lowercased() == "kms:creategrant"
        return RequestContext(
            action: action, principalArn: user.principalArn, principalAccount: user.account, isRootUser: false,
            servicePrincipal: user.servicePrincipal, keyArn: keyARN,
            viaService: viaRDS ? "rds.\(region).amazonaws.com" : nil, callerAccount: user.account,
            grantIsForAWSResource: isCreateGrant ? (viaRDS ? true : grantForAWS) : nil,
            sessionArn: user.sessionArn, isSynthetic: true)
    }

    // MARK: - The judging

    /// Collects judgements, one per (principal, category), merging actions and statements.
    struct Judge {
        let policy: KeyPolicy
        let keyARN: String
        private var byID: [String: PolicyJudgement] = [:]
        private var order: [String] = []

        init(policy: KeyPolicy, keyARN: String) {
            self.policy = policy
            self.keyARN = keyARN
        }

        /// A database principal that is not allowed, or is denied, one of the eight actions
        /// through RDS. Allowed through its account's delegation counts as allowed
        /// (docs/rules/DECISIONS.md #37): IAM may allow it.
        mutating func rdsCannotUse(_ probe: Probe) {
            for action in KeyPolicyPattern.rdsActions {
                let d = PolicyEvaluator.evaluate(policy, KeyPolicyPattern.context(probe.user, action: action, keyARN: keyARN, viaRDS: true))
                let who = probe.user.principalArn
                switch d.outcome {
                case .allowed:
                    continue
                case .explicitDeny:
                    add(.rdsCannotUse, who, action, statements: d.denies.map(JudgedStatement.init), outcome: "denied", d, probe)
                case .implicitDeny:
                    add(.rdsCannotUse, who, action, statements: [], outcome: "not allowed", d, probe)
                case .notEvaluable:
                    add(.notEvaluable, who, action, statements: d.notEvaluable.map(JudgedStatement.init),
                        outcome: "undecided: \(PolicyJudgement.Category.rdsCannotUse.rawValue)", d, probe)
                }
            }
        }

        /// The policy delegates key use outside RDS to the database principal's own account
        /// (its root ARN or id), and no Deny stops that principal there. The account root itself
        /// is exempt: its delegation statement is the one the seed calls optional.
        mutating func noDenyOutsideRDS(_ probe: Probe) {
            guard !probe.isAccountRoot else { return }
            for action in KeyPolicyPattern.keyUseActions {
                let d = PolicyEvaluator.evaluate(policy, KeyPolicyPattern.context(probe.user, action: action, keyARN: keyARN, viaRDS: false))
                guard d.denies.isEmpty else { continue }  // a Deny stops it
                let delegations = d.allows.filter { $0.match == .accountRoot }
                let unknownDelegations = d.notEvaluable.filter { $0.effect == .allow && $0.match == .accountRoot }
                let unknownDenies = d.notEvaluable.filter { $0.effect == .deny }
                let who = probe.user.principalArn
                if !delegations.isEmpty {
                    if unknownDenies.isEmpty {
                        add(.noDenyOutsideRDS, who, action, statements: delegations.map(JudgedStatement.init), outcome: "delegated, no Deny", d, probe)
                    } else {
                        add(.notEvaluable, who, action, statements: unknownDenies.map(JudgedStatement.init),
                            outcome: "undecided: \(PolicyJudgement.Category.noDenyOutsideRDS.rawValue)", d, probe)
                    }
                } else if !unknownDelegations.isEmpty {
                    add(.notEvaluable, who, action, statements: (unknownDelegations + unknownDenies).map(JudgedStatement.init),
                        outcome: "undecided: \(PolicyJudgement.Category.noDenyOutsideRDS.rawValue)", d, probe)
                }
            }
        }

        /// A cryptographic action allowed without `kms:ViaService` by a statement other than an
        /// account delegation.
        mutating func usableOutsideRDS(_ probe: Probe) {
            for action in KeyPolicyPattern.cryptographicActions {
                outside(probe, action, grantForAWS: false, category: .usableOutsideRDS)
            }
        }

        /// `CreateGrant` allowed without `kms:ViaService` and with `kms:GrantIsForAWSResource`
        /// false, by a statement other than an account delegation.
        mutating func grantNotRestricted(_ probe: Probe) {
            outside(probe, "kms:CreateGrant", grantForAWS: false, category: .grantNotRestricted)
        }

        private mutating func outside(_ probe: Probe, _ action: String, grantForAWS: Bool, category: PolicyJudgement.Category) {
            let d = PolicyEvaluator.evaluate(policy, KeyPolicyPattern.context(probe.user, action: action, keyARN: keyARN,
                                                                             viaRDS: false, grantForAWS: grantForAWS))
            guard d.denies.isEmpty else { return }
            let direct = d.allows.filter { $0.match != .accountRoot }
            let unknownAllows = d.notEvaluable.filter { $0.effect == .allow && $0.match != .accountRoot }
            let unknownDenies = d.notEvaluable.filter { $0.effect == .deny }
            if !direct.isEmpty {
                let who = Self.principal(probe, direct.map(\.match))
                if unknownDenies.isEmpty {
                    add(category, who, action, statements: direct.map(JudgedStatement.init), outcome: "allowed", d, probe)
                } else {
                    add(.notEvaluable, who, action, statements: unknownDenies.map(JudgedStatement.init),
                        outcome: "undecided: \(category.rawValue)", d, probe)
                }
            } else if !unknownAllows.isEmpty {
                add(.notEvaluable, Self.principal(probe, unknownAllows.map(\.match)), action,
                    statements: (unknownAllows + unknownDenies).map(JudgedStatement.init),
                    outcome: "undecided: \(category.rawValue)", d, probe)
            }
        }

        /// The finding's principal: the probe when a statement names it (or the service), the
        /// literal `*` when only `"*"` or `NotPrincipal` covers it (docs/rules/DECISIONS.md #36).
        static func principal(_ probe: Probe, _ matches: [PrincipalMatchKind]) -> String {
            if matches.contains(.named) { return probe.user.principalArn }
            if matches.contains(.service) { return probe.user.servicePrincipal ?? probe.user.principalArn }
            return "*"
        }

        private mutating func add(_ category: PolicyJudgement.Category, _ principal: String, _ action: String,
                                  statements: [JudgedStatement], outcome: String, _ d: PolicyDecision, _ probe: Probe) {
            let id = category.rawValue + "\u{1F}" + principal
            if byID[id] == nil {
                byID[id] = PolicyJudgement(category: category, principal: principal)
                order.append(id)
            }
            byID[id]!.record(action: action, outcome: outcome, statements: statements,
                             notEvaluable: d.notEvaluable.map(JudgedStatement.init), tested: probe.user.principalArn,
                             source: probe.source)
        }

        func results() -> [PolicyJudgement] { order.map { byID[$0]! } }
    }
}

/// A statement as a judgement names it: index, Sid and effect, and why it could not be
/// evaluated when it could not.
package struct JudgedStatement: Hashable, Sendable, Comparable {
    package var index: Int
    package var sid: String?
    package var effect: PolicyStatement.Effect
    /// Empty unless the statement could not be evaluated.
    package var notEvaluable: [String]

    init(_ m: StatementMatch) {
        index = m.statementIndex; sid = m.sid; effect = m.effect; notEvaluable = []
    }

    init(_ m: NotEvaluableStatement) {
        index = m.statementIndex; sid = m.sid; effect = m.effect; notEvaluable = m.reasons.map(\.description)
    }

    /// `Sid "x"` or `statement 2`.
    package var label: String { sid.map { "Sid \"\($0)\"" } ?? "statement \(index)" }

    package static func < (a: JudgedStatement, b: JudgedStatement) -> Bool { a.index < b.index }
}

/// One KMS-006 judgement: a (principal, category) of a key's policy, with what decided it.
package struct PolicyJudgement: Hashable, Sendable {
    package enum Category: String, Hashable, Sendable, CaseIterable {
        case rdsCannotUse = "rds-cannot-use"
        case usableOutsideRDS = "usable-outside-rds"
        case noDenyOutsideRDS = "no-deny-outside-rds"
        case grantNotRestricted = "grant-not-restricted"
        case notEvaluable = "not-evaluable"
    }

    package var category: Category
    /// A principal ARN, an AWS service, or `*` (allowed through `"*"` or `NotPrincipal`).
    package var principal: String
    /// The actions concerned, in the order they were asked about.
    package var actions: [String] = []
    /// Per action: `denied`, `not allowed`, `allowed`, `delegated, no Deny`, or
    /// `undecided: CATEGORY` (for not-evaluable: which category it could not decide).
    package var outcomes: [String: String] = [:]
    /// The statements that decided it (for not-evaluable: those that could not be evaluated).
    package var statements: [JudgedStatement] = []
    /// Other statements that could not be evaluated while judging it (they did not decide).
    package var alsoNotEvaluable: [JudgedStatement] = []
    /// The principals asked about that gave this judgement (for `*`: who the statement lets in).
    package var principalsTested: [String] = []
    /// Why the principal was asked about: `database principal (...)`, `named in the policy`, ...
    package var reasons: [String] = []

    init(category: Category, principal: String) {
        self.category = category
        self.principal = principal
    }

    /// The categories a not-evaluable judgement could not decide.
    package var undecided: [String] {
        var seen = Set<String>()
        return actions.compactMap { outcomes[$0] }.filter { $0.hasPrefix("undecided: ") }
            .map { String($0.dropFirst("undecided: ".count)) }.filter { seen.insert($0).inserted }
    }

    mutating func record(action: String, outcome: String, statements new: [JudgedStatement], notEvaluable: [JudgedStatement],
                         tested: String, source: KeyPolicyPattern.Probe.Source) {
        if !actions.contains(action) { actions.append(action) }
        if outcomes[action] == nil { outcomes[action] = outcome }
        for s in new where !statements.contains(s) { statements.append(s) }
        statements.sort()
        for s in notEvaluable where !statements.contains(s) && !alsoNotEvaluable.contains(s) { alsoNotEvaluable.append(s) }
        alsoNotEvaluable.removeAll { statements.contains($0) }
        alsoNotEvaluable.sort()
        if !principalsTested.contains(tested) { principalsTested.append(tested) }
        let reason: String
        switch source {
        case .stated: reason = "database principal (via-RDS calls or config)"
        case .viaServiceStatement: reason = "database principal (named in a kms:ViaService statement naming RDS)"
        case .named: reason = "named in the policy"
        case .anyone: reason = "stands for a principal no statement names"
        }
        if !reasons.contains(reason) { reasons.append(reason) }
    }
}
