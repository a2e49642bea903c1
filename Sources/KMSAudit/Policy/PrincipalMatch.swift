/// How a statement's principal covered the caller. KMS-002 turns this into its categories:
/// `.named`, `.service` and `.anyone` (with its conditions holding, docs/rules/DECISIONS.md #3) make a call
/// intended; `.accountRoot` alone is `root-delegation`.
package enum PrincipalMatchKind: String, Hashable, Sendable, CaseIterable {
    /// The policy names the caller's ARN (or the assumed-role session's ARN).
    case named
    /// A `Service` principal equal to the calling service (`rds.amazonaws.com` and
    /// `rds.REGION.amazonaws.com` are the same service, docs/rules/DECISIONS.md #4).
    case service
    /// `"*"`, `{"AWS": "*"}`, or a `NotPrincipal` list that does not exclude the caller.
    case anyone
    /// The caller's account, as `arn:aws:iam::ACCT:root` or `ACCT`: delegation to IAM. Matches any
    /// principal of that account, the root user included, but never counts as naming it.
    case accountRoot

    /// Which kind to report when several principals of one statement match: the most specific.
    var rank: Int {
        switch self {
        case .named: return 0
        case .service: return 1
        case .anyone: return 2
        case .accountRoot: return 3
        }
    }
}

/// Principal matching, IAM style, for one statement.
enum PrincipalMatcher {
    /// How the statement's `Principal` / `NotPrincipal` covers the caller, or nil if it does not.
    static func match(_ statement: PolicyStatement, _ ctx: RequestContext) -> PrincipalMatchKind? {
        if statement.isNotPrincipal {
            // NotPrincipal: everyone except the listed principals. An account entry excludes only
            // the account principal itself (root / another account), not its users and roles: IAM
            // checks each identity in the chain and documents that listing just the account is
            // not enough to exempt a role.
            return statement.principals.contains { excludes($0, ctx) } ? nil : .anyone
        }
        return statement.principals.compactMap { match($0, ctx) }.min { $0.rank < $1.rank }
    }

    /// How one principal entry covers the caller.
    static func match(_ principal: PolicyPrincipal, _ ctx: RequestContext) -> PrincipalMatchKind? {
        switch principal {
        case .anyone:
            return .anyone
        case .account(let id, _):
            // Services acting as themselves belong to no customer account.
            guard !ctx.isServiceCaller, ctx.principalAccount == id else { return nil }
            return .accountRoot
        case .arn(let arn):
            guard !ctx.isServiceCaller else { return nil }
            return arn == ctx.principalArn || (ctx.sessionArn != nil && arn == ctx.sessionArn) ? .named : nil
        case .service(let name):
            guard let caller = ctx.servicePrincipal else { return nil }
            return sameService(name, caller) ? .service : nil
        case .federated, .canonicalUser, .other:
            // An identity provider or S3 canonical id is never the principal of a KMS event.
            return nil
        }
    }

    /// Whether a `NotPrincipal` entry exempts the caller.
    static func excludes(_ principal: PolicyPrincipal, _ ctx: RequestContext) -> Bool {
        switch principal {
        case .account(let id, _):
            // Only the account principal itself: root user or a call from that account as a whole.
            guard !ctx.isServiceCaller else { return false }
            return PolicyPrincipal.accountID(ofRootOrBareID: ctx.principalArn) == id
        default:
            return match(principal, ctx) != nil
        }
    }

    /// `rds.amazonaws.com` == `rds.us-east-1.amazonaws.com` == `RDS.amazonaws.com`.
    static func sameService(_ a: String, _ b: String) -> Bool {
        canonicalService(a) == canonicalService(b)
    }

    /// Drops a region label between the service name and `amazonaws.com`, and lowercases.
    static func canonicalService(_ name: String) -> String {
        var labels = name.lowercased().split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        if labels.count >= 4, let amz = labels.firstIndex(of: "amazonaws"), amz == labels.count - 2 || amz == labels.count - 3,
           amz >= 2, isRegion(labels[amz - 1]) {
            labels.remove(at: amz - 1)
        }
        return labels.joined(separator: ".")
    }

    /// `us-east-1`, `eu-central-2`, `us-gov-west-1`, `cn-north-1`, `ap-southeast-4`...
    static func isRegion(_ label: String) -> Bool {
        let parts = label.split(separator: "-")
        guard parts.count >= 3, parts.first?.count == 2, let last = parts.last,
              last.allSatisfy(\.isNumber) else { return false }
        return parts.dropFirst().dropLast().allSatisfy { $0.allSatisfy(\.isLetter) }
    }
}
