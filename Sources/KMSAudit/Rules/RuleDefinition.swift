/// One rule: a SQL query with a metadata header (docs/rules/README.md, "Writing a rule"). Built-in rules are embedded
/// in the binary; users add their own with `--rules DIR`.
package struct RuleDefinition: Sendable, Equatable {
    package var id: String
    package var title: String
    /// A sentence: the query decides each finding's severity.
    package var severity: String
    package var controls: [String]
    package var explanation: String
    package var remediation: String
    package var sql: String
    /// `builtin` or the file's path.
    package var origin: String
    /// The whole file as read (header and query): what `check` records for the evidence pack.
    package var text: String = ""

    /// Parses the `-- key: value` header (values continue on comment lines indented by two or
    /// more spaces) and keeps the rest as the query.
    package static func parse(_ text: String, origin: String) throws -> RuleDefinition {
        var fields: [String: String] = [:]
        var lastKey: String?
        var sqlLines: [Substring] = []
        var inHeader = true
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            guard inHeader else { sqlLines.append(line); continue }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty { lastKey = nil; continue }
            guard trimmed.hasPrefix("--") else { inHeader = false; sqlLines.append(line); continue }
            let body = trimmed.dropFirst(2)
            if body.hasPrefix("   ") || body.hasPrefix("\t"), let key = lastKey {
                fields[key, default: ""] += " " + body.trimmingCharacters(in: .whitespaces)
                continue
            }
            let content = body.trimmingCharacters(in: .whitespaces)
            if let colon = content.firstIndex(of: ":"),
               content[..<colon].allSatisfy({ $0.isLetter || $0 == "_" }), !content[..<colon].isEmpty {
                let key = String(content[..<colon]).lowercased()
                if fields[key] != nil {
                    throw RuleFileError(file: origin, line: number + 1, reason: "`\(key)` appears twice")
                }
                fields[key] = content[content.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                lastKey = key
            } else {
                lastKey = nil  // an ordinary comment
            }
        }
        func required(_ key: String) throws -> String {
            guard let value = fields[key], !value.isEmpty else {
                throw RuleFileError(file: origin, line: 1, reason: "the header has no `\(key):` line")
            }
            return value
        }
        let sql = sqlLines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !sql.isEmpty else { throw RuleFileError(file: origin, line: 1, reason: "no query after the header") }
        return RuleDefinition(
            id: try required("id"), title: try required("title"), severity: fields["severity"] ?? "",
            controls: (fields["controls"] ?? "").split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
                .filter { !$0.isEmpty },
            explanation: fields["explanation"] ?? "", remediation: fields["remediation"] ?? "", sql: sql,
            origin: origin, text: text)
    }
}

/// A rule file that cannot be used: which file, which line, what is wrong.
package struct RuleFileError: Error, Equatable, CustomStringConvertible, Sendable {
    package var file: String
    package var line: Int
    package var reason: String
    package var description: String { "\(file):\(line): \(reason)" }
}
