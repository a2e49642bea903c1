import Foundation
import Yams

/// The `--config` file (YAML). Every key is optional; see docs/CONFIG.md and
/// docs/kmsaudit.example.yaml.
package struct AuditConfig: Equatable, Sendable {
    /// Keys to treat as database keys even when the logs do not show it.
    package var databaseKeys: [String] = []
    /// Per key ARN, principals intended to use it (KMS-002 does not report them).
    package var allowedPrincipals: [String: [String]] = [:]
    /// Per key ARN, principals that use it through RDS (KMS-006 judges the policy for them).
    package var databasePrincipals: [String: [String]] = [:]
    package var minBackupRetentionDays = 7
    package var maxSnapshotAgeDays = 7
    /// Accounts whose keys a database may depend on without a KMS-007 `other-account-key` finding.
    package var trustedKeyAccounts: [String] = []
    /// Turns KMS-007 `aws-managed-key` off (the account accepts the AWS managed `aws/rds` key).
    package var allowAWSManagedKeys = false
    /// How recent a snapshot copy or AWS Backup copy job must be to count for KMS-008
    /// (default 35: the longest automated backup retention).
    package var maxIndependentCopyAgeDays = 35
    package var windowStart: String?
    package var windowEnd: String?
    package var suppressions: [Suppression] = []
    /// The file it came from and its SHA-256, recorded in the run.
    package var path: String?
    package var sha256: String?
    /// The file's text as read, recorded with each check run (the evidence pack's config).
    package var text: String?

    package init() {}

    package struct Suppression: Equatable, Sendable {
        package var rule: String
        package var key: String?
        package var principal: String?
        package var resource: String?
        package var fingerprint: String?
        package var reason: String
        /// `YYYY-MM-DD` (end of that day, UTC) or a canonical time.
        package var expires: String?
        package var line: Int
    }
}

/// A config file that cannot be used: the file, the line, what is wrong.
package struct ConfigError: Error, Equatable, CustomStringConvertible, Sendable {
    package var file: String
    package var line: Int?
    package var reason: String
    package var description: String {
        line.map { "\(file):\($0): \(reason)" } ?? "\(file): \(reason)"
    }
}

extension AuditConfig {
    static let topLevelKeys: Set<String> = [
        "database_keys", "allowed_principals", "database_principals", "min_backup_retention_days", "max_snapshot_age_days",
        "window", "suppressions", "trusted_key_accounts", "allow_aws_managed_keys", "max_independent_copy_age_days",
    ]

    /// Reads and validates; every error names the line. Unknown keys are errors (a typo must not
    /// silently turn a setting off).
    package static func load(path: String) throws -> AuditConfig {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError(file: path, line: nil, reason: "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError(file: path, line: nil, reason: "not UTF-8 text")
        }
        var config = try parse(text, file: path)
        config.path = path
        config.sha256 = Hashing.sha256Hex(Array(data))
        config.text = text
        return config
    }

    package static func parse(_ text: String, file: String) throws -> AuditConfig {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigError(file: file, line: Self.line(of: error), reason: "not valid YAML: \(Self.summary(of: error))")
        }
        var config = AuditConfig()
        guard let root else { return config }
        guard let mapping = root.mapping else {
            throw ConfigError(file: file, line: line(root), reason: "expected a mapping of settings at the top level")
        }
        for (keyNode, value) in mapping {
            guard let key = keyNode.string else { continue }
            switch key {
            case "database_keys":
                config.databaseKeys = try strings(value, file, "database_keys").map { try keyARN($0, value, file) }
            case "allowed_principals":
                guard let m = value.mapping else {
                    throw ConfigError(file: file, line: line(value), reason: "allowed_principals: expected a mapping of key ARN to a list of principals")
                }
                for (k, v) in m {
                    guard let arn = k.string else { continue }
                    config.allowedPrincipals[try keyARN(arn, k, file)] = try strings(v, file, "allowed_principals.\(arn)")
                }
            case "database_principals":
                guard let m = value.mapping else {
                    throw ConfigError(file: file, line: line(value), reason: "database_principals: expected a mapping of key ARN to a list of principals")
                }
                for (k, v) in m {
                    guard let arn = k.string else { continue }
                    config.databasePrincipals[try keyARN(arn, k, file)] = try strings(v, file, "database_principals.\(arn)")
                }
            case "min_backup_retention_days":
                config.minBackupRetentionDays = try integer(value, file, key, range: 0...35)
            case "max_snapshot_age_days":
                config.maxSnapshotAgeDays = try integer(value, file, key, range: 0...3650)
            case "trusted_key_accounts":
                config.trustedKeyAccounts = try accountIDs(value, file, key)
            case "allow_aws_managed_keys":
                config.allowAWSManagedKeys = try boolean(value, file, key)
            case "max_independent_copy_age_days":
                config.maxIndependentCopyAgeDays = try integer(value, file, key, range: 0...3650)
            case "window":
                guard let m = value.mapping else {
                    throw ConfigError(file: file, line: line(value), reason: "window: expected `since:` and/or `until:`")
                }
                for (k, v) in m {
                    switch k.string {
                    case "since": config.windowStart = try time(v, file, "window.since")
                    case "until": config.windowEnd = try time(v, file, "window.until")
                    default: throw ConfigError(file: file, line: line(k), reason: "window: unknown setting `\(k.string ?? "")` (expected since, until)")
                    }
                }
            case "suppressions":
                guard let list = value.sequence else {
                    throw ConfigError(file: file, line: line(value), reason: "suppressions: expected a list")
                }
                config.suppressions = try list.map { try suppression($0, file) }
            default:
                throw ConfigError(file: file, line: line(keyNode),
                                  reason: "unknown setting `\(key)` (expected one of \(topLevelKeys.sorted().joined(separator: ", ")))")
            }
        }
        return config
    }

    private static func suppression(_ node: Node, _ file: String) throws -> Suppression {
        guard let m = node.mapping else {
            throw ConfigError(file: file, line: line(node), reason: "a suppression must be a mapping with rule and reason")
        }
        var fields: [String: String] = [:]
        for (k, v) in m {
            guard let key = k.string else { continue }
            guard ["rule", "key", "principal", "resource", "fingerprint", "reason", "expires"].contains(key) else {
                throw ConfigError(file: file, line: line(k), reason: "suppression: unknown field `\(key)`")
            }
            guard let s = v.scalar?.string else {
                throw ConfigError(file: file, line: line(v), reason: "suppression: `\(key)` must be text")
            }
            fields[key] = s
        }
        guard let rule = fields["rule"], !rule.isEmpty else {
            throw ConfigError(file: file, line: line(node), reason: "suppression: `rule` is required")
        }
        guard let reason = fields["reason"], !reason.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ConfigError(file: file, line: line(node), reason: "suppression for \(rule): `reason` is required")
        }
        if fields["key"] == nil && fields["principal"] == nil && fields["resource"] == nil && fields["fingerprint"] == nil {
            throw ConfigError(file: file, line: line(node),
                              reason: "suppression for \(rule): name at least one of key, principal, resource, fingerprint")
        }
        var expires: String?
        if let e = fields["expires"] {
            guard let t = expiryTime(e) else {
                throw ConfigError(file: file, line: line(node), reason: "suppression for \(rule): expires `\(e)` is not a date (YYYY-MM-DD)")
            }
            expires = t
        }
        return Suppression(rule: rule, key: fields["key"], principal: fields["principal"], resource: fields["resource"],
                           fingerprint: fields["fingerprint"], reason: reason, expires: expires, line: line(node) ?? 0)
    }

    /// `YYYY-MM-DD` means the end of that day (UTC).
    static func expiryTime(_ s: String) -> String? {
        if s.count == 10, TimeFormats.parseISO8601(s) != nil { return s + "T23:59:59Z" }
        return TimeFormats.parseISO8601(s).map(TimeFormats.canonical)
    }

    private static func strings(_ node: Node, _ file: String, _ what: String) throws -> [String] {
        if let s = node.scalar?.string { return [s] }
        guard let list = node.sequence else {
            throw ConfigError(file: file, line: line(node), reason: "\(what): expected a list of text")
        }
        return try list.map {
            guard let s = $0.scalar?.string else { throw ConfigError(file: file, line: line($0), reason: "\(what): expected text") }
            return s
        }
    }

    private static func keyARN(_ s: String, _ node: Node, _ file: String) throws -> String {
        guard s.hasPrefix("arn:"), s.contains(":kms:"), s.contains(":key/") else {
            throw ConfigError(file: file, line: line(node), reason: "`\(s)` is not a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)")
        }
        return s
    }

    private static func integer(_ node: Node, _ file: String, _ what: String, range: ClosedRange<Int>) throws -> Int {
        guard let s = node.scalar?.string, let n = Int(s), range.contains(n) else {
            throw ConfigError(file: file, line: line(node), reason: "\(what): expected a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return n
    }

    /// A list of 12-digit AWS account ids (quoted or not: YAML reads `012345678901` as text).
    private static func accountIDs(_ node: Node, _ file: String, _ what: String) throws -> [String] {
        guard let list = node.sequence else {
            throw ConfigError(file: file, line: line(node), reason: "\(what): expected a list of 12-digit account ids")
        }
        return try list.map {
            guard let s = $0.scalar?.string, s.count == 12, s.allSatisfy({ $0 >= "0" && $0 <= "9" }) else {
                throw ConfigError(file: file, line: line($0),
                                  reason: "\(what): `\($0.scalar?.string ?? "")` is not a 12-digit AWS account id")
            }
            return s
        }
    }

    private static func boolean(_ node: Node, _ file: String, _ what: String) throws -> Bool {
        switch node.scalar?.string.lowercased() {
        case "true": return true
        case "false": return false
        default: throw ConfigError(file: file, line: line(node), reason: "\(what): expected true or false")
        }
    }

    private static func time(_ node: Node, _ file: String, _ what: String) throws -> String {
        guard let s = node.scalar?.string, let d = TimeFormats.parseISO8601(s) else {
            throw ConfigError(file: file, line: line(node), reason: "\(what): expected a time like 2026-11-01T00:00:00Z or a date 2026-11-01")
        }
        return TimeFormats.canonical(d)
    }

    private static func line(_ node: Node) -> Int? { node.mark.map { $0.line } }

    private static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return mark.line
        default:
            return nil
        }
    }

    private static func summary(of error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _):
            return problem
        default:
            return "\(error)"
        }
    }
}
