/// An `Allow` or `Deny` statement that applies to the request, and how its principal matched.
package struct StatementMatch: Hashable, Sendable {
    package var statementIndex: Int
    package var sid: String?
    package var effect: PolicyStatement.Effect
    package var match: PrincipalMatchKind

    /// `Sid "x"` or `statement 2`.
    package var label: String { sid.map { "Sid \"\($0)\"" } ?? "statement \(statementIndex)" }
}

/// A statement whose principal, action and resource cover the request but whose conditions
/// could not be evaluated (none of its evaluable conditions fails).
package struct NotEvaluableStatement: Hashable, Sendable {
    package var statementIndex: Int
    package var sid: String?
    package var effect: PolicyStatement.Effect
    package var match: PrincipalMatchKind
    package var reasons: [NotEvaluableReason]

    package var label: String { sid.map { "Sid \"\($0)\"" } ?? "statement \(statementIndex)" }
}

/// The key policy's verdict on one request, with the evidence behind it.
package struct PolicyDecision: Hashable, Sendable {
    package enum Outcome: String, Hashable, Sendable {
        /// An `Allow` applies and no `Deny` does or might.
        case allowed
        /// A `Deny` applies (it wins over any `Allow`).
        case explicitDeny
        /// Nothing applies, and no unevaluable `Allow` could have changed that.
        case implicitDeny
        /// The outcome hangs on a statement that could not be evaluated: an `Allow` that might
        /// apply with nothing else allowing, or a `Deny` that might apply to an allowed request.
        case notEvaluable
    }

    package var outcome: Outcome
    /// Applicable `Allow` statements, in policy order.
    package var allows: [StatementMatch]
    /// Applicable `Deny` statements, in policy order.
    package var denies: [StatementMatch]
    /// Statements that might apply but could not be evaluated, reported whatever the outcome.
    package var notEvaluable: [NotEvaluableStatement]

    package var isAllowed: Bool { outcome == .allowed }

    /// The principal match kinds of the applicable `Allow` statements.
    package var allowMatchKinds: Set<PrincipalMatchKind> { Set(allows.map(\.match)) }

    /// Allowed, but only because the policy delegates to the caller's account (KMS-002
    /// `root-delegation`): no applicable `Allow` names the caller, a service, or `*`.
    package var isAllowedOnlyByAccountDelegation: Bool {
        isAllowed && !allows.isEmpty && allows.allSatisfy { $0.match == .accountRoot }
    }

    /// The most specific way an applicable `Allow` covered the caller, if any.
    package var strongestAllowMatch: PrincipalMatchKind? { allows.map(\.match).min { $0.rank < $1.rank } }
}
