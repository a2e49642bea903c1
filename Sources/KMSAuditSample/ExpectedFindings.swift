/// One finding the rules must produce for the planted cases, as written to
/// `expected-findings.json`.
struct ExpectedFinding {
    var ruleID: String
    /// KMS-001: "succeeded" / "denied"; KMS-002, KMS-003: the category; KMS-004: the name of
    /// the revoking event.
    var category: String
    var severity: String
    /// Nil for an unencrypted database (KMS-005).
    var keyARN: String?
    var principal: String?
    var resource: String?
    /// The revoking event (KMS-004), else nil.
    var eventID: String?
    /// KMS-001/002: events after deduplication, a cross-account pair counted once. KMS-003:
    /// the events describing the resource's backup state (docs/rules/DECISIONS.md #15; not compared).
    /// KMS-004: 1, the revoking event.
    var eventCount: Int
    var note: String

    var node: JSONNode {
        .object([
            ("rule_id", .string(ruleID)), ("category", .string(category)), ("severity", .string(severity)),
            ("key_arn", keyARN.map { .string($0) } ?? .null), ("principal", principal.map { .string($0) } ?? .null),
            ("resource", resource.map { .string($0) } ?? .null), ("event_id", eventID.map { .string($0) } ?? .null),
            ("event_count", .int(eventCount)), ("note", .string(note)),
        ])
    }

    /// Sort order of the file: rule, key, principal, category, resource, event.
    var sortKey: [String] { [ruleID, keyARN ?? "", principal ?? "", category, resource ?? "", eventID ?? ""] }

    static func document(_ findings: [ExpectedFinding]) -> String {
        let sorted = findings.sorted { $0.sortKey.lexicographicallyPrecedes($1.sortKey) }
        return JSONNode.array(sorted.map(\.node)).render(.cli) + "\n"
    }
}
