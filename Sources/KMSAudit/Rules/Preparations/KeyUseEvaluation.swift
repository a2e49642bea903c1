import Foundation
import GRDB

/// KMS-002's precomputation: every KMS call on a database key (docs/rules/DECISIONS.md #2), judged
/// against the key policy in effect at its time, the active grants and the config's allow-list,
/// into `key_use_evaluations`.
///
/// Hundreds of thousands of calls come in a few hundred shapes (same key, caller, operation and
/// context; see `EventShapes`), so the rows are read through the C-API layer (`SQLiteStatement`) and each shape's
/// event, grant lookup and allow-listing are built once. Per call only what depends on its time
/// remains: the policy version in effect, whether a grant covers it, and the verdict for that
/// (shape, version, granted), judged once. Only calls not judged "intended" (few) are stored.
///
/// The rows are kept from one check to the next: a night judges the calls stored since, unless
/// what the earlier calls were judged against changed (`KeyUseProgress`).
struct KeyUseEvaluation: RulePreparation {
    let name = "key-use-evaluation"

    /// Column order is `EventShapes.Column`'s. The database keys' calls are read from
    /// `events_key_time` alone, which holds every column read here but the encryption context
    /// (StateSchema.v18KeyUseIndex): SQLite fetches a table row only for the keys whose policy
    /// could test the context, where the `CASE` reads `raw`. The table itself is mostly other
    /// columns and other events; scanning it in table order (`NOT INDEXED`, the sixth session)
    /// read 12 GB at 20M records, and fetching its rows through the index before it covered
    /// them read each page several times past the 2 GiB that `check` maps (DESIGN, "Key-use
    /// calls from a covering index").
    ///
    /// The same pass counts KMS-006's principals that use each key through RDS (the last column,
    /// `key_rds_principals`), which was a second pass over the same calls. Both flags are SQL so
    /// that SQLite's rules decide them (three-valued logic, `LIKE`'s ASCII case folding): a call
    /// is judged unless it is `CreateKey` or AWS acting internally; it counts as a principal's use
    /// through RDS when it succeeded through RDS by the window's end and its caller is an ARN, not
    /// an AWS service.
    ///
    /// `?1` is the window's end. `callsSinceSQL` reads only the calls stored after row `?2` (a
    /// range of row ids at the end of the table: `NOT INDEXED` keeps SQLite from walking the
    /// whole key index for them) and the earlier calls of the keys in the JSON array `?3` (the
    /// keys that became database keys since, by the key index).
    static let eventsSQL = callsSQL(calls: """
        FROM events
            WHERE event_source = 'kms.amazonaws.com'
              AND CAST(coalesce(key_arn, resolved_key_arn) AS TEXT) IN (SELECT key_arn FROM keys WHERE is_database_key = 1)
        """)
    static let callsSinceSQL = callsSQL(calls: """
        FROM events NOT INDEXED
            WHERE id > ?2 AND event_source = 'kms.amazonaws.com'
              AND CAST(coalesce(key_arn, resolved_key_arn) AS TEXT) IN (SELECT key_arn FROM keys WHERE is_database_key = 1)
            UNION ALL
            SELECT \(callColumns)
            FROM events
            WHERE id <= ?2 AND event_source = 'kms.amazonaws.com'
              AND CAST(coalesce(key_arn, resolved_key_arn) AS TEXT) IN (SELECT value FROM json_each(?3))
        """)

    private static let callColumns = """
        CAST(coalesce(key_arn, resolved_key_arn) AS TEXT) AS key_arn, event_time, principal, principal_type,
                   principal_account, invoked_by, event_name, succeeded, via_rds, aws_region, raw, event_id, shared_event_id
        """

    private static func callsSQL(calls: String) -> String { """
        WITH e AS (
            SELECT \(callColumns)
            \(calls))
        SELECT e.key_arn, e.event_time, e.principal, e.principal_type, e.principal_account, e.invoked_by,
               e.event_name, e.succeeded, e.via_rds, e.aws_region,
               CASE WHEN e.key_arn IN (SELECT key_arn FROM key_policies WHERE policy LIKE '%EncryptionContext%')
                    THEN json_extract(e.raw, '$.requestParameters.encryptionContext') END,
               e.event_id, e.shared_event_id,
               (e.event_name <> 'CreateKey' AND NOT (e.principal_type IS NULL AND e.invoked_by = 'AWS Internal')) IS TRUE,
               (e.via_rds = 1 AND e.succeeded = 1 AND e.event_time <= ?1
                AND coalesce(e.principal_type, '') <> 'AWSService' AND e.principal LIKE 'arn:%') IS TRUE
        FROM e
        """
    }

    /// Judges the calls stored since the last evaluation when what the earlier ones were judged
    /// against still stands (`KeyUseProgress`), every call otherwise.
    func prepare(_ db: Database, _ context: CheckContext) throws {
        let allowListed = context.options.config.allowedPrincipals
        let top = try Int64.fetchOne(db, sql: "SELECT max(id) FROM events") ?? 0
        let progress = try KeyUseProgress.read(db)
        let databaseKeys = try KeyUseProgress.databaseKeys(db)
        let keysInFull = try progress?.keysToJudgeInFull(db, windowEnd: context.windowEnd, currentKeys: databaseKeys,
                                                         allowList: allowListed)
        let kept = keysInFull != nil
        if !kept {
            try db.execute(sql: "DELETE FROM key_use_evaluations")
            try db.execute(sql: "DELETE FROM key_rds_principals")
        }
        let policies = try PolicyHistory.load(db)
        let grants = try GrantHistory.load(db)
        let allowList = allowListed.mapValues(Set.init)

        let insert = try db.makeStatement(sql: """
            INSERT OR REPLACE INTO key_use_evaluations (event_id, key_arn, principal, principal_account, event_name,
                event_time, succeeded, via_rds, shared_event_id, category, policy_source, policy_from, decided_by, note)
            VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)
            """)
        let select = try SQLiteStatement(db, kept ? Self.callsSinceSQL : Self.eventsSQL)
        try select.bindText(1, context.windowEnd)
        if kept, let progress, let keysInFull {
            try select.bindInt64(2, progress.eventsThrough)
            try select.bindText(3, CheckRunner.jsonArray(keysInFull))
        }
        var shapes = EventShapes { row in
            let event = KeyUseEvent(row)
            let keyARN = EventShapes.text(row, .keyARN) ?? ""
            return EventShape(
                keyARN: keyARN, event: event, versions: policies.byKey[keyARN] ?? [],
                grants: grants.naming(event.principal, for: event.eventName, keyARN: keyARN),
                allowListed: allowList[keyARN]?.contains(event.principal) ?? false)
        }
        var callsRead = 0
        var judgedThrough = kept ? progress?.judgedThrough ?? "" : ""
        while try select.step() {
            let row = select.row
            callsRead += 1
            let shape = shapes.shape(of: row)
            let time = EventShapes.text(row, .eventTime) ?? ""
            if time > judgedThrough { judgedThrough = time }
            if row.int64(EventShapes.Column.isRDSPrincipalUse.rawValue) != 0 { shape.viaRDSCalls += 1 }
            guard row.int64(EventShapes.Column.isJudged.rawValue) != 0 else { continue }
            guard let versionIndex = PolicyHistory.index(in: shape.versions, at: time) else { continue }  // policy unknown
            let granted = shape.grants.covers(time)
            let verdict = shape.verdict(versionIndex, granted: granted) {
                Self.judge(shape.event, keyARN: shape.keyARN, policy: shape.versions[versionIndex].policy,
                           granted: granted, allowListed: shape.allowListed)
            }
            guard verdict.category != "intended" else { continue }
            let event = shape.event
            let version = shape.versions[versionIndex]
            try insert.execute(arguments: [
                EventShapes.text(row, .eventID) ?? "", shape.keyARN, event.principal, event.principalAccount,
                event.eventName, time, event.succeeded, event.viaRDS, EventShapes.text(row, .sharedEventID),
                verdict.category, version.source, version.from, verdict.decidedBy, verdict.note,
            ])
        }
        try select.reset()
        try Self.storeRDSPrincipals(db, shapes.all)
        let inputs = try KeyUseInputs.digest(db, eventsThrough: top, judgedThrough: judgedThrough, allowList: allowListed)
        try KeyUseProgress(eventsThrough: top, judgedThrough: judgedThrough, windowEnd: context.windowEnd, inputsSHA256: inputs,
                           databaseKeys: databaseKeys)
            .record(db, callsRead: callsRead, kept: kept)
    }

    /// `key_rds_principals`: the shapes' via-RDS counts summed per key and principal, added to
    /// the counts kept from the calls before.
    static func storeRDSPrincipals(_ db: Database, _ shapes: [EventShape]) throws {
        struct KeyPrincipal: Hashable { let key: String, principal: String }
        var calls: [KeyPrincipal: Int] = [:]
        for shape in shapes where shape.viaRDSCalls > 0 {
            calls[KeyPrincipal(key: shape.keyARN, principal: shape.event.principal), default: 0] += shape.viaRDSCalls
        }
        let insert = try db.makeStatement(sql: """
            INSERT INTO key_rds_principals (key_arn, principal, calls) VALUES (?, ?, ?)
            ON CONFLICT(key_arn, principal) DO UPDATE SET calls = calls + excluded.calls
            """)
        for (pair, count) in calls {
            try insert.execute(arguments: [pair.key, pair.principal, count])
        }
    }

    typealias Verdict = (category: String, decidedBy: String?, note: String?)

    /// KMS-002 in the order of docs/rules/DECISIONS.md #1: cross-account, policy-drift,
    /// root-user, intended, root-delegation, (not-evaluable), not-named.
    ///
    /// "Named" and "intended" follow #17-#19: only an `Allow` statement's `Principal` names
    /// anyone (`NotPrincipal` and `"*"` name nobody; a `Deny` intends nothing); an account named by
    /// its root ARN or id, the key's own or another, delegates to that account, so its principals
    /// are not cross-account. A call is intended when an `Allow` whose conditions hold for it
    /// covers it by name, as a service, or through `"*"`/`NotPrincipal` (a `Deny` that also
    /// matches makes a succeeded call policy-drift, and leaves a denied one intended; one that
    /// cannot be evaluated makes a succeeded call not-evaluable). A principal
    /// named only in statements whose conditions fail for the call is not intended by them: with
    /// nothing else intending it, it is not-named (#18).
    static func judge(_ event: KeyUseEvent, keyARN: String, policy: KeyPolicy, granted: Bool,
                      allowListed: Bool) -> Verdict {
        let keyAccount = PrincipalResolver.accountOf(arn: keyARN)
        let decision = event.decide(policy, keyARN: keyARN)
        let named = policy.statements.contains { s in
            s.effect == .allow && !s.isNotPrincipal && s.principals.contains { principal in
                switch principal {
                case .arn(let arn): return arn == event.principal
                case .service(let service): return ServicePrincipals.same(service, event.principal)
                case .account(let id, _): return id == event.principalAccount
                default: return false
                }
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
        // A Deny that cannot be evaluated leaves a succeeded call's policy-drift undecided
        // (decision 6); a denied call cannot drift, so the Allow's intent decides it.
        let undecidedDrift = event.succeeded && decision.notEvaluable.contains { $0.effect == .deny }
        if let strongest = decision.strongestAllowMatch, strongest != .accountRoot, !undecidedDrift {
            return ("intended", decision.allows.first { $0.match == strongest }?.label, notes)
        }
        if decision.isAllowed, decision.isAllowedOnlyByAccountDelegation {
            return ("root-delegation", decision.allows.first?.label, notes)
        }
        if decision.outcome == .notEvaluable { return ("not-evaluable", nil, notes) }
        return ("not-named", nil, notes)
    }
}

/// One KMS call as the evaluation needs it: everything but its time and ids, so one value
/// stands for every call of its shape.
struct KeyUseEvent {
    var principal: String
    var principalType: String?
    var principalAccount: String?
    var invokedBy: String?
    var eventName: String
    var succeeded: Bool
    var viaRDS: Bool
    var region: String?
    var encryptionContext: [String: String]

    init(principal: String, principalType: String?, principalAccount: String?, invokedBy: String? = nil,
         eventName: String, succeeded: Bool, viaRDS: Bool, region: String?, encryptionContext: [String: String] = [:]) {
        self.principal = principal
        self.principalType = principalType
        self.principalAccount = principalAccount
        self.invokedBy = invokedBy
        self.eventName = eventName
        self.succeeded = succeeded
        self.viaRDS = viaRDS
        self.region = region
        self.encryptionContext = encryptionContext
    }

    /// From the current row of `KeyUseEvaluation.eventsSQL`.
    init(_ row: SQLiteRow) {
        principal = EventShapes.text(row, .principal) ?? ""
        principalType = EventShapes.text(row, .principalType)
        principalAccount = EventShapes.text(row, .principalAccount)
        invokedBy = EventShapes.text(row, .invokedBy)
        eventName = EventShapes.text(row, .eventName) ?? ""
        succeeded = row.int64(EventShapes.Column.succeeded.rawValue) != 0
        viaRDS = row.int64(EventShapes.Column.viaRDS.rawValue) != 0
        region = EventShapes.text(row, .region)
        encryptionContext = [:]
        if let text = EventShapes.text(row, .encryptionContext),
           let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] {
            for (k, v) in object { if let s = v as? String { encryptionContext[k] = s } }
        }
    }

    var isRootUser: Bool { principalType == "Root" }
    var isServiceCaller: Bool { principalType == "AWSService" }

    /// docs/rules/DECISIONS.md #5: the condition context of this call.
    var viaService: String? {
        if viaRDS { return "rds.\(region ?? "unknown").amazonaws.com" }
        guard let invokedBy, invokedBy.hasSuffix(".amazonaws.com") else { return nil }
        let parts = invokedBy.split(separator: ".")
        if parts.count == 3, let region { return "\(parts[0]).\(region).amazonaws.com" }
        return invokedBy
    }

    var grantIsForAWSResource: Bool { invokedBy?.hasSuffix(".amazonaws.com") ?? false }

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

/// `rds.amazonaws.com` and `rds.REGION.amazonaws.com` are one service (docs/rules/DECISIONS.md #4).
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

    /// The version in effect at `time` among one key's `versions` (`byKey[keyARN]`): the index
    /// of the newest one whose start is at or before `time`.
    static func index(in versions: [Version], at time: String) -> Int? {
        versions.lastIndex { $0.from <= time }
    }
}

/// Grants over time, for "an active grant names it as grantee for that operation". A database
/// key collects a grant per RDS operation (hundreds), so each (key, grantee, operations) gets its
/// grants' periods merged into sorted, disjoint intervals once, and an event is looked up by
/// bisection instead of a scan of every grant.
final class GrantHistory {
    /// Principals in `ServicePrincipals.canonical` form, as `naming` compares them.
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
        // Grants repeat a few operation lists and principals: each is parsed or canonicalised once.
        var parsed: [String: Set<String>] = [:]
        var canonical: [String: String] = [:]
        func canonicalised(_ principal: String?) -> String? {
            guard let principal else { return nil }
            if let known = canonical[principal] { return known }
            let made = ServicePrincipals.canonical(principal)
            canonical[principal] = made
            return made
        }
        let rows = try Row.fetchCursor(db, sql: """
            SELECT key_arn, grantee_principal, retiring_principal, operations, created_at, ended_at FROM grants
            """)
        while let row = try rows.next() {
            guard let keyARN: String = row["key_arn"] else { continue }
            var ops = Set<String>()
            if let text: String = row["operations"] {
                if let known = parsed[text] {
                    ops = known
                } else {
                    if let list = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String] { ops = Set(list) }
                    parsed[text] = ops
                }
            }
            let grantee: String? = row["grantee_principal"]
            let retiring: String? = row["retiring_principal"]
            history.byKey[keyARN, default: []].append(Grant(
                grantee: canonicalised(grantee), retiring: canonicalised(retiring),
                operations: ops, from: row["created_at"] ?? "", to: row["ended_at"]))
        }
        return history
    }

    /// The periods in which grants name a principal for an operation on a key: looked up once
    /// per (key, principal, operation), then asked per call time.
    struct Naming {
        /// For `RetireGrant`: grants naming the principal as retiring principal.
        var asRetiring: Coverage?
        /// Grants naming the principal as grantee for every operation the call needs.
        var asGrantee: Coverage?

        /// Whether an active grant names the principal for the operation at `time`.
        func covers(_ time: String) -> Bool {
            (asRetiring?.covers(time) ?? false) || (asGrantee?.covers(time) ?? false)
        }
    }

    /// Grants naming `principal` (service principals in either form, docs/rules/DECISIONS.md #4) for
    /// `eventName` on `keyARN`.
    func naming(_ principal: String, for eventName: String, keyARN: String) -> Naming {
        guard let grants = byKey[keyARN] else { return Naming() }
        let who = ServicePrincipals.canonical(principal)
        var naming = Naming()
        if eventName == "RetireGrant" {
            naming.asRetiring = coverage(keyARN, "retire|\(who)", grants.filter { $0.retiring == who })
        }
        let needed: [String] = eventName == "ReEncrypt" ? ["ReEncryptFrom", "ReEncryptTo"] : [eventName]
        naming.asGrantee = coverage(keyARN, "\(who)|\(needed.joined(separator: ","))", grants.filter { g in
            g.grantee == who && needed.allSatisfy(g.operations.contains)
        })
        return naming
    }

    /// The merged periods of `candidates` (computed only the first time `what` is asked for).
    private func coverage(_ keyARN: String, _ what: String, _ candidates: @autoclosure () -> [Grant]) -> Coverage {
        let id = keyARN + "|" + what
        if let known = coverage[id] { return known }
        let built = Coverage(candidates().map { ($0.from, $0.to) })
        coverage[id] = built
        return built
    }
}
