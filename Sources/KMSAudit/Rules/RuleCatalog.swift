import Foundation

/// The rules a check runs: the built-in ones, embedded in the binary so that a copied binary
/// stands alone, plus any `*.sql` in the user's `--rules` folders.
package enum RuleCatalog {
    /// Embedded rule files, by name. `.embedInCode` generates one constant per file and no list,
    /// so a new built-in rule is added here too (a test checks the folder and this list agree).
    static let builtinFiles: [(name: String, bytes: [UInt8])] = [
        ("KMS-001.sql", PackageResources.KMS_001_sql),
        ("KMS-002.sql", PackageResources.KMS_002_sql),
        ("KMS-003.sql", PackageResources.KMS_003_sql),
        ("KMS-004.sql", PackageResources.KMS_004_sql),
        ("KMS-005.sql", PackageResources.KMS_005_sql),
        ("KMS-006.sql", PackageResources.KMS_006_sql),
        ("KMS-007.sql", PackageResources.KMS_007_sql),
        ("KMS-008.sql", PackageResources.KMS_008_sql),
        ("LOG-001.sql", PackageResources.LOG_001_sql),
        ("LOG-002.sql", PackageResources.LOG_002_sql),
        ("LOG-003.sql", PackageResources.LOG_003_sql),
        ("LOG-004.sql", PackageResources.LOG_004_sql),
        ("LOG-005.sql", PackageResources.LOG_005_sql),
    ]

    package static func builtin() throws -> [RuleDefinition] {
        try builtinFiles.map { try RuleDefinition.parse(String(decoding: $0.bytes, as: UTF8.self), origin: "builtin:\($0.name)") }
    }

    /// Built-in rules plus every `*.sql` file in `directories`, sorted by id. Duplicate ids are
    /// an error: ids are what suppressions and reports key on.
    package static func load(userDirectories: [String]) throws -> [RuleDefinition] {
        var rules = try builtin()
        for directory in userDirectories {
            let url = URL(fileURLWithPath: directory)
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".sql") }.sorted()
            } catch {
                throw RuleFileError(file: directory, line: 0, reason: "cannot read the rules folder")
            }
            for name in names {
                let path = url.appendingPathComponent(name).path
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw RuleFileError(file: path, line: 0, reason: "cannot read")
                }
                rules.append(try RuleDefinition.parse(String(decoding: data, as: UTF8.self), origin: path))
            }
        }
        var seen: [String: String] = [:]
        for rule in rules {
            if let other = seen[rule.id] {
                throw RuleFileError(file: rule.origin, line: 1, reason: "rule id \(rule.id) is already defined by \(other)")
            }
            seen[rule.id] = rule.origin
        }
        return rules.sorted { $0.id < $1.id }
    }
}
