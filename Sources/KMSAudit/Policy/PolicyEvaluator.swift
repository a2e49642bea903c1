/// Evaluates a key policy for one request, as KMS does for the key-policy part of its
/// authorisation: an explicit `Deny` wins, then any `Allow`, otherwise the request is
/// implicitly denied. (Grants and IAM policies are outside the key policy; the rules engine
/// weighs grants itself, and `.accountRoot` matches say where IAM policies would come in.)
package enum PolicyEvaluator {
    /// What one statement says about the request.
    enum StatementVerdict: Equatable {
        case notApplicable
        case applies(PrincipalMatchKind)
        case unknown(PrincipalMatchKind, [NotEvaluableReason])
    }

    package static func evaluate(_ policy: KeyPolicy, _ ctx: RequestContext) -> PolicyDecision {
        var allows: [StatementMatch] = [], denies: [StatementMatch] = []
        var unknown: [NotEvaluableStatement] = []
        // Positions, not `PolicyStatement.index`, so an edited statement list still reports truly.
        for (i, s) in policy.statements.enumerated() {
            switch verdict(s, ctx) {
            case .notApplicable:
                continue
            case .applies(let kind):
                let m = StatementMatch(statementIndex: i, sid: s.sid, effect: s.effect, match: kind)
                if s.effect == .allow { allows.append(m) } else { denies.append(m) }
            case .unknown(let kind, let reasons):
                unknown.append(NotEvaluableStatement(statementIndex: i, sid: s.sid, effect: s.effect,
                                                     match: kind, reasons: reasons))
            }
        }
        let unknownDeny = unknown.contains { $0.effect == .deny }
        let unknownAllow = unknown.contains { $0.effect == .allow }
        let outcome: PolicyDecision.Outcome
        if !denies.isEmpty {
            outcome = .explicitDeny
        } else if !allows.isEmpty {
            // Allowed unless a Deny we cannot evaluate would take it away.
            outcome = unknownDeny ? .notEvaluable : .allowed
        } else if unknownAllow {
            outcome = .notEvaluable
        } else {
            // Not allowed either way; a Deny we cannot evaluate could only make it explicit.
            // It is still listed in `notEvaluable` so a finding can say so.
            outcome = .implicitDeny
        }
        return PolicyDecision(outcome: outcome, allows: allows, denies: denies, notEvaluable: unknown)
    }

    /// Principal, then action, then resource, then conditions: a statement whose principal,
    /// action or resource does not cover the request is decided without its conditions.
    static func verdict(_ s: PolicyStatement, _ ctx: RequestContext) -> StatementVerdict {
        guard let kind = PrincipalMatcher.match(s, ctx),
              actionCovered(s, ctx.action),
              resourceCovered(s, ctx.keyArn) else { return .notApplicable }
        switch ConditionEvaluator.evaluate(s.conditions, ctx) {
        case .holds: return .applies(kind)
        case .fails: return .notApplicable
        case .unknown(let reasons): return .unknown(kind, reasons)
        }
    }

    /// Actions compare case-insensitively, with `*` and `?` wildcards (`kms:*`, `kms:Generate*`).
    static func actionCovered(_ s: PolicyStatement, _ action: String) -> Bool {
        let listed = s.actions.contains { Wildcard.matches($0, action, caseInsensitive: true) }
        return s.isNotAction ? !listed : listed
    }

    /// Resources compare case-sensitively with wildcards. An unknown key ARN is assumed to be
    /// what `Resource` means (a key policy governs only its key) and to be excluded by
    /// `NotResource` only through `*`.
    static func resourceCovered(_ s: PolicyStatement, _ keyArn: String?) -> Bool {
        let listed = s.resources.contains { pattern in
            guard let keyArn else { return pattern == "*" || !s.isNotResource }
            return Wildcard.matches(pattern, keyArn)
        }
        return s.isNotResource ? !listed : listed
    }
}
