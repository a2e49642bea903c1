/// An `Allow` or `Deny` statement that applies to the request, and how its principal matched.
public struct StatementMatch: Hashable, Sendable {
    public var statementIndex: Int
    public var sid: String?
    public var effect: PolicyStatement.Effect
    public var match: PrincipalMatchKind

    /// `Sid "x"` or `statement 2`.
    public var label: String { sid.map { "Sid \"\($0)\"" } ?? "statement \(statementIndex)" }
}

/// A statement whose principal, action and resource cover the request but whose conditions
/// could not be evaluated (none of its evaluable conditions fails).
public struct NotEvaluableStatement: Hashable, Sendable {
    public var statementIndex: Int
    public var sid: String?
    public var effect: PolicyStatement.Effect
    public var match: PrincipalMatchKind
    public var reasons: [NotEvaluableReason]

    public var label: String { sid.map { "Sid \"\($0)\"" } ?? "statement \(statementIndex)" }
}

/// The key policy's verdict on one request, with the evidence behind it.
public struct PolicyDecision: Hashable, Sendable {
    public enum Outcome: String, Hashable, Sendable {
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

    public var outcome: Outcome
    /// Applicable `Allow` statements, in policy order.
    public var allows: [StatementMatch]
    /// Applicable `Deny` statements, in policy order.
    public var denies: [StatementMatch]
    /// Statements that might apply but could not be evaluated, reported whatever the outcome.
    public var notEvaluable: [NotEvaluableStatement]

    public var isAllowed: Bool { outcome == .allowed }

    /// The principal match kinds of the applicable `Allow` statements.
    public var allowMatchKinds: Set<PrincipalMatchKind> { Set(allows.map(\.match)) }

    /// Allowed, but only because the policy delegates to the caller's account (KMS-002
    /// `root-delegation`): no applicable `Allow` names the caller, a service, or `*`.
    public var isAllowedOnlyByAccountDelegation: Bool {
        isAllowed && !allows.isEmpty && allows.allSatisfy { $0.match == .accountRoot }
    }

    /// The most specific way an applicable `Allow` covered the caller, if any.
    public var strongestAllowMatch: PrincipalMatchKind? { allows.map(\.match).min { $0.rank < $1.rank } }
}
