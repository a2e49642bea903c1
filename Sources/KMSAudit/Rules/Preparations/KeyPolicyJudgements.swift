import Foundation
import GRDB

/// KMS-006's precomputation: for every database key whose policy in effect at the window's end is
/// known, that policy judged against the recommended pattern (`KeyPolicyPattern`), into
/// `key_policy_judgements`. Per key and principal, never per event: who uses each key through RDS
/// comes from `key_rds_principals`, which `KeyUseEvaluation` (run before) fills.
struct KeyPolicyJudgements: RulePreparation {
    let name = "key-policy-judgements"

    /// The database keys alive at the window's end, with the policy in effect then (the newest
    /// whose start is at or before it; a policy file's start is the beginning of time).
    static let policiesSQL = """
        SELECT k.key_arn, p.id, p.valid_from, p.source, p.event_id, p.policy, f.path AS file_path
        FROM keys k
        JOIN key_policies p ON p.id = (
            SELECT p2.id FROM key_policies p2
            WHERE p2.key_arn = k.key_arn AND (p2.valid_from IS NULL OR p2.valid_from <= :end)
            ORDER BY p2.valid_from IS NULL, p2.valid_from DESC, p2.id DESC LIMIT 1)
        LEFT JOIN files f ON f.id = p.file_id
        WHERE k.is_database_key = 1 AND (k.deleted_at IS NULL OR k.deleted_at > :end)
        ORDER BY k.key_arn
        """

    /// Principals of succeeded via-RDS calls on database keys up to the window's end, RDS acting
    /// as itself excepted: counted by `KeyUseEvaluation` in its pass over the same calls (a
    /// pass of its own here was 6.1 s of `check` at 20M records).
    static let rdsPrincipalsSQL = """
        SELECT key_arn, principal, calls FROM key_rds_principals ORDER BY key_arn, principal
        """

    func prepare(_ db: Database, _ context: CheckContext) throws {
        try db.execute(sql: "DELETE FROM key_policy_judgements")
        let end = context.windowEnd
        var viaRDS: [String: [(principal: String, calls: Int)]] = [:]
        for row in try Row.fetchAll(db, sql: Self.rdsPrincipalsSQL) {
            viaRDS[row["key_arn"], default: []].append((row["principal"], row["calls"]))
        }
        let configured = context.options.config.databasePrincipals
        let insert = try db.makeStatement(sql: """
            INSERT INTO key_policy_judgements (key_arn, principal, category, actions, statements, detail,
                policy_id, policy_source, policy_from, policy_event_id, policy_file, judged_at)
            VALUES (?,?,?,?,?,?,?,?,?,?,?,?)
            """)
        for row in try Row.fetchAll(db, sql: Self.policiesSQL, arguments: ["end": end]) {
            let keyARN: String = row["key_arn"]
            let policy: KeyPolicy
            if let text: String = row["policy"] {
                guard let parsed = try? KeyPolicy(json: text) else { continue }  // unreadable: policy unknown
                policy = parsed
            } else {
                policy = KeyPolicy.awsDefault(account: PrincipalResolver.accountOf(arn: keyARN) ?? "")
            }
            let users = viaRDS[keyARN] ?? []
            let listed = configured[keyARN] ?? []
            let judgements = KeyPolicyPattern.judge(policy: policy, keyARN: keyARN,
                                                    databasePrincipals: users.map(\.principal) + listed)
            for j in judgements {
                var detail: [String: Any] = [
                    "outcomes": j.actions.map { ["action": $0, "outcome": j.outcomes[$0] ?? ""] },
                    "principals_tested": j.principalsTested,
                    "why_asked": j.reasons,
                    "also_not_evaluable": j.alsoNotEvaluable.map(Self.statementJSON),
                ]
                if j.category == .notEvaluable { detail["undecided_categories"] = j.undecided }
                detail["context"] = Self.context(j, keyARN: keyARN)
                let tested = Set(j.principalsTested)
                let calls = users.filter { tested.contains($0.principal) }
                if !calls.isEmpty {
                    detail["via_rds_calls"] = calls.map { ["principal": $0.principal, "calls": $0.calls] as [String: Any] }
                }
                let fromConfig = listed.filter(tested.contains)
                if !fromConfig.isEmpty { detail["config_database_principals"] = fromConfig }
                try insert.execute(arguments: [
                    keyARN, j.principal, j.category.rawValue, Self.json(j.actions),
                    Self.json(j.statements.map(Self.statementJSON)), Self.json(detail),
                    row["id"] as Int64?, row["source"] as String?, row["valid_from"] as String?,
                    row["event_id"] as String?, row["file_path"] as String?, end,
                ])
            }
        }
    }

    /// The made-up request that was asked, as the rule's evidence shows it: the four condition
    /// keys it carries (docs/rules/DECISIONS.md #5), for the first principal tested.
    static func context(_ j: PolicyJudgement, keyARN: String) -> [String: Any] {
        let region = keyARN.split(separator: ":", omittingEmptySubsequences: false).dropFirst(3).first.map(String.init) ?? ""
        let tested = j.principalsTested.first ?? j.principal
        var out: [String: Any] = [:]
        if let account = RequestContext.account(ofArn: tested) { out["kms:CallerAccount"] = account }
        if tested.hasPrefix("arn:") { out["aws:PrincipalArn"] = tested }
        let categories = j.category == .notEvaluable ? j.undecided : [j.category.rawValue]
        if categories.contains(PolicyJudgement.Category.rdsCannotUse.rawValue) {
            out["kms:ViaService"] = "rds.\(region).amazonaws.com"
            if j.actions.contains("kms:CreateGrant") { out["kms:GrantIsForAWSResource"] = "true (CreateGrant)" }
        }
        if categories.contains(where: { $0 != PolicyJudgement.Category.rdsCannotUse.rawValue }) {
            out[out["kms:ViaService"] == nil ? "kms:ViaService" : "kms:ViaService (outside RDS)"] = "absent"
            if j.actions.contains("kms:CreateGrant") && out["kms:GrantIsForAWSResource"] == nil {
                out["kms:GrantIsForAWSResource"] = "false (CreateGrant)"
            }
        }
        return out
    }

    static func statementJSON(_ s: JudgedStatement) -> [String: Any] {
        var out: [String: Any] = ["index": s.index, "sid": s.sid.map { $0 as Any } ?? NSNull(), "effect": s.effect.rawValue,
                                  "label": s.label]
        if !s.notEvaluable.isEmpty { out["not_evaluable"] = s.notEvaluable }
        return out
    }

    static func json(_ value: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .withoutEscapingSlashes]) else { return "null" }
        return String(decoding: data, as: UTF8.self)
    }
}
