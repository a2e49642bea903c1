/// One finding as a rule query returned it, before the engine adds run, fingerprint, novelty
/// and suppression.
struct FindingRow {
    var severity: Severity
    var category: String?
    var keyARN: String?
    var principal: String?
    var resource: String?
    var firstSeen: String?
    var lastSeen: String?
    var eventCount: Int
    var evidence: String
    var eventIDs: [String]
    /// Extra identity for rules with one finding per event (KMS-004: the revoking event).
    var identity: String?

    /// Stable between runs: what identifies the finding, never its counts or times.
    func fingerprint(ruleID: String) -> String {
        let material = [ruleID, keyARN ?? "", principal ?? "", category ?? "", resource ?? "", identity ?? ""]
            .joined(separator: "\u{1F}")
        return String(Hashing.sha256Hex(material).prefix(32))
    }
}
