/// One principal entry of a statement's `Principal` or `NotPrincipal`.
///
/// The account forms get their own case because IAM gives them a different meaning: naming
/// `arn:aws:iam::ACCT:root` or `ACCT` delegates to the account's IAM policies; it does not
/// name the root user (docs/rules/DECISIONS.md #3).
package enum PolicyPrincipal: Hashable, Sendable, CustomStringConvertible {
    /// `"*"` or `{"AWS": "*"}`: every principal.
    case anyone
    /// `arn:PARTITION:iam::ACCT:root` or a bare 12-digit account id; `text` is as written.
    case account(id: String, text: String)
    /// Any other `AWS` value: an IAM user, role or assumed-role session ARN (or a unique id
    /// that IAM left behind after the principal was deleted, which matches nobody).
    case arn(String)
    /// `{"Service": ...}`, e.g. `rds.amazonaws.com`.
    case service(String)
    /// `{"Federated": ...}`: an identity provider. Never matches a CloudTrail principal.
    case federated(String)
    /// `{"CanonicalUser": ...}`: an S3 canonical id. Never matches a CloudTrail principal.
    case canonicalUser(String)
    /// A principal type this tool does not know; kept for reports, never matches.
    case other(type: String, value: String)

    /// The value as the policy wrote it.
    package var text: String {
        switch self {
        case .anyone: return "*"
        case .account(_, let t), .arn(let t), .service(let t), .federated(let t), .canonicalUser(let t): return t
        case .other(_, let v): return v
        }
    }

    /// The principal type key it came from (`AWS`, `Service`, ...), `*` for anyone.
    package var typeName: String {
        switch self {
        case .anyone: return "*"
        case .account, .arn: return "AWS"
        case .service: return "Service"
        case .federated: return "Federated"
        case .canonicalUser: return "CanonicalUser"
        case .other(let t, _): return t
        }
    }

    package var description: String { typeName == "*" ? "*" : "\(typeName): \(text)" }

    /// Classifies one `AWS` value.
    static func aws(_ value: String) -> PolicyPrincipal {
        if value == "*" { return .anyone }
        if let id = accountID(ofRootOrBareID: value) { return .account(id: id, text: value) }
        return .arn(value)
    }

    /// `123456789012` or `arn:PARTITION:iam::123456789012:root` → the account id.
    static func accountID(ofRootOrBareID value: String) -> String? {
        if isAccountID(value) { return value }
        let parts = value.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 6, parts[0] == "arn", parts[2] == "iam", parts[3].isEmpty,
              parts[5] == "root", isAccountID(String(parts[4])) else { return nil }
        return String(parts[4])
    }

    static func isAccountID(_ s: String) -> Bool {
        s.utf8.count == 12 && s.utf8.allSatisfy { $0 >= 48 && $0 <= 57 }
    }
}
