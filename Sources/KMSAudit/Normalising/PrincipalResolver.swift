/// Who made a call, as docs/rules/README.md "Principal of an event" defines it.
struct ResolvedPrincipal: Equatable {
    var principal: String
    var type: String?
    var account: String?
    var sessionName: String?
    var invokedBy: String?
}

enum PrincipalResolver {
    /// `userIdentity` → principal. Never returns an empty principal: the best ARN available,
    /// else the principal id, the invoking service, or `unknown:<type>`.
    static func resolve(_ identity: JSONValue?) -> ResolvedPrincipal {
        guard let identity, identity.kind == .object else {
            return ResolvedPrincipal(principal: "unknown", type: nil, account: nil, sessionName: nil, invokedBy: nil)
        }
        let type = nonEmpty(identity["type"]?.string)
        let arn = nonEmpty(identity["arn"]?.string)
        let accountID = nonEmpty(identity["accountId"]?.string)
        let invokedBy = nonEmpty(identity["invokedBy"]?.string)
        let principalID = nonEmpty(identity["principalId"]?.string)
        let issuer = identity["sessionContext"]?["sessionIssuer"]
        let account = accountID ?? arn.flatMap(accountOf(arn:))
        var session: String?
        let principal: String?

        switch type {
        case "IAMUser":
            principal = arn ?? accountID.flatMap { acct in
                nonEmpty(identity["userName"]?.string).map { "arn:aws:iam::\(acct):user/\($0)" }
            }
        case "AssumedRole":
            principal = nonEmpty(issuer?["arn"]?.string) ?? arn
            session = arn.flatMap(sessionName(ofAssumedRoleARN:))
        case "Root", "AWSAccount":
            principal = accountID.map { "arn:aws:iam::\($0):root" } ?? arn
        case "AWSService":
            principal = invokedBy ?? arn
        case "FederatedUser":
            principal = arn ?? nonEmpty(issuer?["arn"]?.string)
            session = arn.flatMap { $0.split(separator: "/").last.map(String.init) }
        default:
            principal = arn ?? nonEmpty(issuer?["arn"]?.string)
        }
        let best = principal ?? principalID ?? invokedBy ?? nonEmpty(identity["userName"]?.string)
            ?? "unknown:\(type ?? "no-type")"
        return ResolvedPrincipal(principal: best, type: type, account: account, sessionName: session, invokedBy: invokedBy)
    }

    /// `arn:aws:sts::ACCT:assumed-role/ROLE/SESSION` → `SESSION`.
    static func sessionName(ofAssumedRoleARN arn: String) -> String? {
        guard ASCIIText.contains(arn, ":assumed-role/") else { return nil }
        let parts = arn.split(separator: "/", maxSplits: 2, omittingEmptySubsequences: false)
        return parts.count == 3 ? String(parts[2]) : nil
    }

    /// The account field of an ARN, if it is 12 digits (the policy evaluator's parser; a bare
    /// account id is not an ARN here).
    static func accountOf(arn: String) -> String? {
        arn.hasPrefix("arn:") ? RequestContext.account(ofArn: arn) : nil
    }

    static func nonEmpty(_ s: String?) -> String? {
        guard let s, !s.isEmpty else { return nil }
        return s
    }
}
