import Foundation
import GRDB

/// KMS-002's precomputation: every KMS call on a database key (RULES.md decision 2), judged
/// against the key policy in effect at its time, the active grants and the config's allow-list,
/// into `key_use_evaluations`. Identical request contexts are evaluated once.
struct KeyUseEvaluation: RulePreparation {
    let name = "key-use-evaluation"

    func prepare(_ db: Database, _ context: CheckContext) throws {
        try db.execute(sql: "DELETE FROM key_use_evaluations")
        let policies = try PolicyHistory.load(db)
        let grants = try GrantHistory.load(db)
        let allowList = context.options.config.allowedPrincipals.mapValues(Set.init)
        var cache: [String: (category: String, decidedBy: String?, note: String?)] = [:]

        let insert = try db.makeStatement(sql: """
            INSERT OR REPLACE INTO key_use_evaluations (event_id, key_arn, principal, principal_account, event_name,
                event_time, succeeded, via_rds, shared_event_id, category, policy_source, policy_from, decided_by, note)
            VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)
            """)
        let rows = try Row.fetchCursor(db, sql: """
            SELECT e.event_id, e.key_arn, e.principal, e.principal_type, e.principal_account, e.invoked_by,
                   e.event_name, e.event_time, e.succeeded, e.via_rds, e.aws_region, e.shared_event_id,
                   CASE WHEN k.policy_mentions_context = 1
                        THEN json_extract(e.raw, '$.requestParameters.encryptionContext') END AS context
            FROM kms_events e
            JOIN (SELECT key_arn, 1 AS is_db,
                         EXISTS (SELECT 1 FROM key_policies p WHERE p.key_arn = keys.key_arn
                                 AND p.policy LIKE '%EncryptionContext%') AS policy_mentions_context
                  FROM keys WHERE is_database_key = 1) k ON k.key_arn = e.key_arn
            WHERE e.event_name <> 'CreateKey'
              AND NOT (e.principal_type IS NULL AND e.invoked_by = 'AWS Internal')
            """)
        while let row = try rows.next() {
            let keyARN: String = row["key_arn"]
            let time: String = row["event_time"]
            guard let version = policies.inEffect(keyARN: keyARN, at: time) else { continue }  // policy unknown
            let event = KeyUseEvent(row: row)
            let operationGranted = grants.names(event.principal, for: event.eventName, keyARN: keyARN, at: time)
            let allowListed = allowList[keyARN]?.contains(event.principal) ?? false
            let cacheKey = [version.id, event.cacheKey, operationGranted ? "g" : "", allowListed ? "a" : ""].joined(separator: "|")
            let verdict: (category: String, decidedBy: String?, note: String?)
            if let cached = cache[cacheKey] {
                verdict = cached
            } else {
                verdict = Self.judge(event, keyARN: keyARN, policy: version.policy, granted: operationGranted,
                                     allowListed: allowListed)
                cache[cacheKey] = verdict
            }
            guard verdict.category != "intended" else { continue }
            try insert.execute(arguments: [
                event.eventID, keyARN, event.principal, event.principalAccount, event.eventName, time,
                event.succeeded, event.viaRDS, event.sharedEventID, verdict.category, version.source, version.from,
                verdict.decidedBy, verdict.note,
            ])
        }
    }

    /// RULES.md KMS-002 and decision 1: cross-account, policy-drift, root-user, intended,
    /// root-delegation, (not-evaluable), not-named.
    static func judge(_ event: KeyUseEvent, keyARN: String, policy: KeyPolicy, granted: Bool,
                      allowListed: Bool) -> (category: String, decidedBy: String?, note: String?) {
        let keyAccount = PrincipalResolver.accountOf(arn: keyARN)
        let decision = event.decide(policy, keyARN: keyARN)
        let named = policy.namedPrincipals.contains { principal in
            switch principal {
            case .arn(let arn): return arn == event.principal
            case .service(let service): return ServicePrincipals.same(service, event.principal)
            case .account(let id, _): return id == event.principalAccount && keyAccount != id
            default: return false
            }
        }
        let notes = decision.notEvaluable.isEmpty ? nil
            : "not evaluable: " + decision.notEvaluable.map { "\($0.label) (\($0.reasons.map { "\($0)" }.joined(separator: ", ")))" }.joined(separator: "; ")

        if let account = event.principalAccount, let keyAccount, account != keyAccount, !named, !granted, !allowListed {
            return ("cross-account", nil, notes)
        }
        if event.succeeded, let deny = decision.denies.first {
            return ("policy-drift", deny.label, notes)
        }
        if event.isRootUser { return ("root-user", nil, notes) }
        if granted { return ("intended", "grant", notes) }
        if allowListed { return ("intended", "allow-list", notes) }
        if decision.isAllowed, let strongest = decision.strongestAllowMatch, strongest != .accountRoot {
            return ("intended", decision.allows.first { $0.match == strongest }?.label, notes)
        }
        if decision.isAllowed, decision.isAllowedOnlyByAccountDelegation {
            return ("root-delegation", decision.allows.first?.label, notes)
        }
        if decision.outcome == .notEvaluable { return ("not-evaluable", nil, notes) }
        if !named { return ("not-named", nil, notes) }
        // Named, but this call was not allowed (conditions failed or a Deny applied): KMS-001
        // reports uses outside RDS; KMS-002 has nothing to add.
        return ("intended", "named, not allowed", notes)
    }
}

/// One KMS call as the evaluation needs it.
struct KeyUseEvent {
    var eventID: String
    var principal: String
    var principalType: String?
    var principalAccount: String?
    var invokedBy: String?
    var eventName: String
    var succeeded: Bool
    var viaRDS: Bool
    var region: String?
    var sharedEventID: String?
    var encryptionContext: [String: String]

    init(row: Row) {
        eventID = row["event_id"]
        principal = row["principal"]
        principalType = row["principal_type"]
        principalAccount = row["principal_account"]
        invokedBy = row["invoked_by"]
        eventName = row["event_name"]
        succeeded = row["succeeded"]
        viaRDS = row["via_rds"]
        region = row["aws_region"]
        sharedEventID = row["shared_event_id"]
        encryptionContext = [:]
        if let text: String = row["context"],
           let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] {
            for (k, v) in object { if let s = v as? String { encryptionContext[k] = s } }
        }
    }

    var isRootUser: Bool { principalType == "Root" }
    var isServiceCaller: Bool { principalType == "AWSService" }

    /// RULES.md decision 5: the condition context of this call.
    var viaService: String? {
        if viaRDS { return "rds.\(region ?? "unknown").amazonaws.com" }
        guard let invokedBy, invokedBy.hasSuffix(".amazonaws.com") else { return nil }
        let parts = invokedBy.split(separator: ".")
        if parts.count == 3, let region { return "\(parts[0]).\(region).amazonaws.com" }
        return invokedBy
    }

    var grantIsForAWSResource: Bool { invokedBy?.hasSuffix(".amazonaws.com") ?? false }

    /// What makes two events judge the same.
    var cacheKey: String {
        [principal, principalType ?? "", principalAccount ?? "", eventName, succeeded ? "1" : "0", viaService ?? "",
         invokedBy ?? "", encryptionContext.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")]
            .joined(separator: "\u{1F}")
    }

    /// The policy's decision; for `ReEncrypt` (two actions) the less permissive one.
    func decide(_ policy: KeyPolicy, keyARN: String) -> PolicyDecision {
        var worst: PolicyDecision?
        for action in RequestContext.policyActions(forEventName: eventName) {
            let ctx = RequestContext(
                action: action, principalArn: principal, principalAccount: principalAccount, isRootUser: isRootUser,
                servicePrincipal: isServiceCaller ? (invokedBy ?? principal) : nil, keyArn: keyARN,
                viaService: viaService, callerAccount: principalAccount, grantIsForAWSResource: grantIsForAWSResource,
                encryptionContext: encryptionContext)
            let decision = PolicyEvaluator.evaluate(policy, ctx)
            if worst == nil || (worst!.isAllowed && !decision.isAllowed) { worst = decision }
        }
        return worst!
    }
}

/// `rds.amazonaws.com` and `rds.REGION.amazonaws.com` are one service (RULES.md decision 4).
enum ServicePrincipals {
    static func same(_ a: String, _ b: String) -> Bool {
        canonical(a) == canonical(b)
    }

    static func canonical(_ s: String) -> String {
        let parts = s.split(separator: ".")
        if parts.count == 4, parts[2] == "amazonaws", parts[3] == "com" { return "\(parts[0]).amazonaws.com" }
        return s
    }
}

/// Key policy versions over time, parsed once per check.
struct PolicyHistory {
    struct Version {
        var id: String
        var from: String
        var to: String?
        var source: String
        var policy: KeyPolicy
    }

    var byKey: [String: [Version]] = [:]

    static func load(_ db: Database) throws -> PolicyHistory {
        var history = PolicyHistory()
        let rows = try Row.fetchAll(db, sql: """
            SELECT id, key_arn, valid_from, valid_to, source, policy FROM key_policies ORDER BY key_arn, valid_from, id
            """)
        for row in rows {
            let keyARN: String = row["key_arn"]
            let source: String = row["source"]
            let text: String? = row["policy"]
            let policy: KeyPolicy
            if let text {
                guard let parsed = try? KeyPolicy(json: text) else { continue }  // unparseable: unknown
                policy = parsed
            } else {
                policy = KeyPolicy.awsDefault(account: PrincipalResolver.accountOf(arn: keyARN) ?? "")
            }
            let rowID: Int64 = row["id"]
            history.byKey[keyARN, default: []].append(
                Version(id: String(rowID), from: row["valid_from"] ?? "", to: row["valid_to"], source: source, policy: policy))
        }
        return history
    }

    /// The newest version whose start is at or before `time`.
    func inEffect(keyARN: String, at time: String) -> Version? {
        byKey[keyARN]?.last { $0.from <= time }
    }
}

/// Grants over time, for "an active grant names it as grantee for that operation". A database
/// key collects a grant per RDS operation (hundreds), so each (key, grantee, operations) gets its
/// grants' periods merged into sorted, disjoint intervals once, and an event is looked up by
/// bisection instead of a scan of every grant.
final class GrantHistory {
    struct Grant {
        var grantee: String?
        var retiring: String?
        var operations: Set<String>
        var from: String
        var to: String?
    }

    /// Disjoint periods, sorted by start; `nil` end = still active.
    struct Coverage {
        var starts: [String] = []
        var ends: [String?] = []

        init(_ periods: [(from: String, to: String?)]) {
            for p in periods.sorted(by: { $0.from < $1.from }) {
                if let lastEnd = ends.last, lastEnd.map({ p.from <= $0 }) ?? true {
                    // Overlaps the previous period: extend it (nil = open-ended wins).
                    if let end = lastEnd, let to = p.to { ends[ends.count - 1] = max(end, to) } else { ends[ends.count - 1] = nil }
                } else {
                    starts.append(p.from)
                    ends.append(p.to)
                }
            }
        }

        func covers(_ t: String) -> Bool {
            var lo = 0, hi = starts.count  // first start > t
            while lo < hi {
                let mid = (lo + hi) / 2
                if starts[mid] <= t { lo = mid + 1 } else { hi = mid }
            }
            guard lo > 0 else { return false }
            return ends[lo - 1].map { t < $0 } ?? true
        }
    }

    private var byKey: [String: [Grant]] = [:]
    private var coverage: [String: Coverage] = [:]

    static func load(_ db: Database) throws -> GrantHistory {
        let history = GrantHistory()
        for row in try Row.fetchAll(db, sql: """
            SELECT key_arn, grantee_principal, retiring_principal, operations, created_at, ended_at FROM grants
            """) {
            guard let keyARN: String = row["key_arn"] else { continue }
            var ops = Set<String>()
            if let text: String = row["operations"],
               let list = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String] {
                ops = Set(list)
            }
            history.byKey[keyARN, default: []].append(Grant(
                grantee: row["grantee_principal"], retiring: row["retiring_principal"], operations: ops,
                from: row["created_at"] ?? "", to: row["ended_at"]))
        }
        return history
    }

    func names(_ principal: String, for eventName: String, keyARN: String, at time: String) -> Bool {
        guard let grants = byKey[keyARN] else { return false }
        let who = ServicePrincipals.canonical(principal)
        if eventName == "RetireGrant",
           covered(keyARN, "retire|\(who)", at: time, grants.filter { $0.retiring.map(ServicePrincipals.canonical) == who }) {
            return true
        }
        let needed: [String] = eventName == "ReEncrypt" ? ["ReEncryptFrom", "ReEncryptTo"] : [eventName]
        return covered(keyARN, "\(who)|\(needed.joined(separator: ","))", at: time, grants.filter { g in
            g.grantee.map(ServicePrincipals.canonical) == who && needed.allSatisfy(g.operations.contains)
        })
    }

    /// Whether one of `candidates` (computed only the first time) is active at `time`.
    private func covered(_ keyARN: String, _ what: String, at time: String, _ candidates: @autoclosure () -> [Grant]) -> Bool {
        let id = keyARN + "|" + what
        if let known = coverage[id] { return known.covers(time) }
        let built = Coverage(candidates().map { ($0.from, $0.to) })
        coverage[id] = built
        return built.covers(time)
    }
}
