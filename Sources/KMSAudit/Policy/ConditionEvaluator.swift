/// Why a statement could not be evaluated (docs/rules/DECISIONS.md #6).
package enum NotEvaluableReason: Hashable, Sendable, CustomStringConvertible {
    /// An operator outside StringEquals/StringNotEquals/StringLike/StringNotLike/Bool (and their
    /// IfExists / ForAnyValue / ForAllValues forms), e.g. `DateGreaterThan` or `ArnLike`.
    case unsupportedOperator(String)
    /// A condition key outside the supported list, e.g. `aws:SourceIp`: its value is not
    /// recoverable from the event, so the clause's truth is unknown.
    case unsupportedKey(key: String, operatorName: String)

    package var description: String {
        switch self {
        case .unsupportedOperator(let op): return "condition operator \(op) is not evaluated by kmsaudit"
        case .unsupportedKey(let key, let op): return "condition key \(key) (under \(op)) is not evaluated by kmsaudit"
        }
    }
}

/// Three-valued result of a statement's `Condition` block.
package enum ConditionResult: Hashable, Sendable {
    case holds
    case fails
    /// Nothing known fails, but some clauses could not be evaluated.
    case unknown([NotEvaluableReason])
}

/// Evaluates `Condition` blocks against a `RequestContext`, the way IAM does for the keys and
/// operators docs/rules/KMS-002.md lists, and refuses to guess about anything else.
enum ConditionEvaluator {
    /// All clauses must hold (AND across operators and across keys). A clause that fails decides
    /// the block even when another clause is unknown: `false AND unknown` is false.
    static func evaluate(_ clauses: [ConditionClause], _ ctx: RequestContext) -> ConditionResult {
        var reasons: [NotEvaluableReason] = []
        for clause in clauses {
            switch evaluate(clause, ctx) {
            case .some(true): continue
            case .some(false): return .fails
            case .none: reasons.append(reason(for: clause))
            }
        }
        return reasons.isEmpty ? .holds : .unknown(reasons)
    }

    /// true / false, or nil when the clause cannot be evaluated.
    static func evaluate(_ clause: ConditionClause, _ ctx: RequestContext) -> Bool? {
        guard let op = clause.parsedOperator, let present = contextValue(clause.key, ctx) else {
            // A made-up request has no value for any key it does not set, so `...IfExists` holds
            // whatever the operator; without IfExists the clause stays unknown (decision 6).
            if ctx.isSynthetic, clause.operatorName.lowercased().hasSuffix("ifexists"),
               contextValue(clause.key, ctx).map({ $0 == nil }) ?? true {
                return true
            }
            return nil
        }
        guard let value = present else {
            // Key absent from the request (docs/rules/DECISIONS.md #5; IAM's set-operator rules).
            if op.ifExists { return true }
            switch op.qualifier {
            case .forAllValues: return true   // vacuously: no value fails
            case .forAnyValue: return false   // no value to match
            case .none: return op.base.isNegated
            }
        }
        // The supported keys are single-valued: the request's set is { value }, so the set
        // qualifiers reduce to testing that one value.
        return valueMatches(value, op.base, clause.values)
    }

    /// One request value against the policy values (OR across them; negated ops: none match).
    static func valueMatches(_ value: String, _ base: ConditionOperator.Base, _ policyValues: [String]) -> Bool {
        switch base {
        case .stringEquals: return policyValues.contains(value)
        case .stringNotEquals: return !policyValues.contains(value)
        case .stringLike: return policyValues.contains { Wildcard.matches($0, value) }
        case .stringNotLike: return !policyValues.contains { Wildcard.matches($0, value) }
        case .bool:
            // IAM compares Bool as the text true/false, either case; other values never match.
            let v = value.lowercased()
            return policyValues.contains { $0.lowercased() == v }
        }
    }

    /// The request's value for a condition key: `nil` if the key is not supported,
    /// `.some(nil)` if supported but absent from this request. Key names are case-insensitive,
    /// so is the context-key part of `kms:EncryptionContext:<key>` (as KMS documents).
    static func contextValue(_ key: String, _ ctx: RequestContext) -> String?? {
        let k = key.lowercased()
        switch k {
        case "kms:viaservice": return .some(ctx.viaService)
        case "kms:calleraccount": return .some(ctx.callerAccount)
        case "kms:grantisforawsresource": return .some(ctx.grantIsForAWSResource.map { $0 ? "true" : "false" })
        case "aws:principalarn":
            // Services acting as themselves have no principal ARN in IAM's request context.
            return .some(ctx.isServiceCaller ? nil : ctx.principalArn)
        default:
            let prefix = "kms:encryptioncontext:"
            guard k.hasPrefix(prefix), k.count > prefix.count else { return nil }
            let asWritten = String(key.unicodeScalars.dropFirst(prefix.unicodeScalars.count))
            if let exact = ctx.encryptionContext[asWritten] { return .some(exact) }
            // Otherwise any case variant; sorted so that the pick does not depend on hashing.
            let wanted = asWritten.lowercased()
            let match = ctx.encryptionContext.keys.sorted().first { $0.lowercased() == wanted }
            return .some(match.flatMap { ctx.encryptionContext[$0] })
        }
    }

    private static func reason(for clause: ConditionClause) -> NotEvaluableReason {
        clause.parsedOperator == nil
            ? .unsupportedOperator(clause.operatorName)
            : .unsupportedKey(key: clause.key, operatorName: clause.operatorName)
    }
}
