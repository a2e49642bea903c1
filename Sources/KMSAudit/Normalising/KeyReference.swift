/// Which KMS key a record acts on, as far as the record alone tells (docs/rules/README.md "Key").
enum KeyReference {
    /// Returns the key as written and, when the record determines it, the key ARN.
    static func resolve(_ record: RecordMembers, region: String?, account: String?) -> (ref: String?, arn: String?) {
        let request = record[.requestParameters]
        let written = PrincipalResolver.nonEmpty(request?["keyId"]?.string)
            ?? PrincipalResolver.nonEmpty(request?["targetKeyId"]?.string)
            ?? PrincipalResolver.nonEmpty(record[.serviceEventDetails]?["keyId"]?.string)

        // 1. Any resources[] entry whose ARN names a key, whatever its type says.
        if let resources = record[.resources], resources.kind == .array {
            for entry in resources.elements {
                if let arn = entry["ARN"]?.string ?? entry["arn"]?.string, isKeyARN(arn) {
                    return (written ?? arn, arn)
                }
            }
        }
        // 2. The key id as written, combined with the event's region and account.
        if let written, let arn = keyARN(from: written, region: region, account: account) {
            return (written, arn)
        }
        // 3. What the response says (CreateKey's keyMetadata, newer records' keyId ARN).
        let response = record[.responseElements]
        for candidate in [response?["keyMetadata"]?["arn"]?.string, response?["keyId"]?.string] {
            if let c = candidate, isKeyARN(c) { return (written ?? c, c) }
        }
        return (written, nil)
    }

    static func isKeyARN(_ s: String) -> Bool {
        s.hasPrefix("arn:") && ASCIIText.contains(s, ":kms:") && ASCIIText.contains(s, ":key/")
    }

    /// A key ARN from a key id or key ARN; nil for aliases (resolved later, as of event time).
    static func keyARN(from written: String, region: String?, account: String?) -> String? {
        if isKeyARN(written) { return written }
        if written.hasPrefix("arn:") || written.hasPrefix("alias/") { return nil }
        guard let region, let account, !written.contains("/"), !written.contains(":") else { return nil }
        return "arn:aws:kms:\(region):\(account):key/\(written)"
    }
}
