/// One `operator: {key: values}` pair of a statement's `Condition` block. A block with two
/// operators, or an operator with two keys, becomes several clauses that must all hold.
package struct ConditionClause: Hashable, Sendable {
    /// The operator as written, e.g. `ForAnyValue:StringLikeIfExists`.
    package var operatorName: String
    /// The condition key as written, e.g. `kms:ViaService`.
    package var key: String
    /// The policy values (OR). JSON booleans and numbers are kept as their text (`true`, `1`).
    package var values: [String]

    package init(operatorName: String, key: String, values: [String]) {
        self.operatorName = operatorName
        self.key = key
        self.values = values
    }

    /// The operator, or nil when it is not one this tool can evaluate.
    package var parsedOperator: ConditionOperator? { ConditionOperator(operatorName) }
}

/// A condition operator the evaluator understands: one of the five base operators of docs/rules/KMS-002.md
/// KMS-002, optionally with a set qualifier and/or `IfExists`.
package struct ConditionOperator: Hashable, Sendable {
    package enum Base: String, Hashable, Sendable, CaseIterable {
        case stringEquals = "StringEquals"
        case stringNotEquals = "StringNotEquals"
        case stringLike = "StringLike"
        case stringNotLike = "StringNotLike"
        case bool = "Bool"

        /// Negated operators hold when the key is absent (IAM semantics, docs/rules/DECISIONS.md #5).
        package var isNegated: Bool { self == .stringNotEquals || self == .stringNotLike }
    }

    /// `ForAnyValue:` / `ForAllValues:`, for multi-valued keys. The supported keys are all
    /// single-valued, so a present key is treated as a one-element set.
    package enum SetQualifier: String, Hashable, Sendable {
        case none = ""
        case forAnyValue = "ForAnyValue"
        case forAllValues = "ForAllValues"
    }

    package var base: Base
    package var qualifier: SetQualifier
    package var ifExists: Bool

    package init(base: Base, qualifier: SetQualifier = .none, ifExists: Bool = false) {
        self.base = base
        self.qualifier = qualifier
        self.ifExists = ifExists
    }

    /// Parses an operator name; nil for anything outside the supported set (`DateGreaterThan`,
    /// `ArnLike`, `Null`, `IpAddress`, ...), which makes the statement not evaluable.
    /// Matching is case-insensitive: KMS itself would reject a misspelt operator, and a
    /// case slip in a policy file should not change the verdict.
    package init?(_ name: String) {
        var rest = Substring(name)
        var qualifier = SetQualifier.none
        if let colon = rest.firstIndex(of: ":") {
            switch rest[..<colon].lowercased() {
            case "foranyvalue": qualifier = .forAnyValue
            case "forallvalues": qualifier = .forAllValues
            default: return nil
            }
            rest = rest[rest.index(after: colon)...]
        }
        var lower = rest.lowercased()
        var ifExists = false
        if lower.hasSuffix("ifexists") {
            ifExists = true
            lower.removeLast("ifexists".count)
        }
        guard let base = Base.allCases.first(where: { $0.rawValue.lowercased() == lower }) else { return nil }
        self.init(base: base, qualifier: qualifier, ifExists: ifExists)
    }
}
