import Foundation

extension IntegritySummary {
    /// What `kmsaudit verify` prints: counts, whether signatures were checked, each problem, the
    /// digests that could not be verified, and the one-line verdict. The evidence pack stores
    /// the same text as `integrity.txt`.
    package func verdict(publicKeys: PublicKeySet?, sideFiles: [String]) -> String {
        let s = self
        func counts(_ c: IntegritySummary.Counts) -> String {
            "\(c.verified) verified, \(c.notVerifiable) not verifiable, \(c.failed) failed"
        }
        var out = "log files: \(s.logFiles.total) (\(counts(s.logFiles)))\n"
        out += "digests:   \(s.digests.total) (\(counts(s.digests)))\n"
        if let publicKeys {
            out += "signatures: checked with \(publicKeys.keys.count) public key\(publicKeys.keys.count == 1 ? "" : "s")"
            out += sideFiles.isEmpty ? "\n" : " and \(sideFiles.joined(separator: ", "))\n"
        } else {
            out += "signatures: not checked (no --public-keys): digests verified by the hash chain only\n"
        }
        for p in s.problems {
            out += "\(p.kind.uppercased()) \(p.objectKey ?? "-")"
            if let hour = p.hour { out += " [\(p.account ?? "?") \(p.region ?? "?") \(hour)]" }
            out += ": \(p.reason)\n"
        }
        // One line per digest that could not be verified, with its reasons.
        var order: [String] = []
        var reasons: [String: [String]] = [:]
        for p in s.notVerifiable where p.subject == "digest" {
            let key = p.objectKey ?? "-"
            if reasons[key] == nil { order.append(key) }
            reasons[key, default: []].append(p.reason)
        }
        for key in order.prefix(20) {
            out += "not verifiable: \(key): \(reasons[key]!.joined(separator: "; "))\n"
        }
        if order.count > 20 { out += "not verifiable: \(order.count - 20) more digests\n" }
        let logsNV = s.notVerifiable.filter { $0.subject == "log" }
        if !logsNV.isEmpty {
            out += "not verifiable: \(logsNV.count) log file\(logsNV.count == 1 ? "" : "s") no digest covers"
            out += logsNV.count <= 5 ? ": " + logsNV.compactMap(\.objectKey).joined(separator: ", ") + "\n" : "\n"
        }
        out += s.isClean ? "integrity: clean\n" : "integrity: \(s.problems.count) problem\(s.problems.count == 1 ? "" : "s")\n"
        return out
    }
}
