import ArgumentParser
import Foundation
import KMSAudit

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Run every rule over the database and record the findings.",
        discussion: """
            Derives keys, policies, grants, DB resources and snapshots from the ingested events, runs \
            the built-in rules (KMS-001..004, LOG-001..005) and those of --rules, and prints one line \
            per severity. Exit status: 0 no unsuppressed finding at or above --fail-on, 1 some, \
            2 usage, config or database error (also: no database at --db, or nothing ingested).
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var check: CheckArguments
    @OptionGroup var locking: LockOptions

    @Flag(help: "Print the summary as JSON on stdout.")
    var json = false

    func run() throws {
        try AuditDatabase.requireExisting(database.db)
        let lock = try DatabaseLock(databasePath: database.db, waitSeconds: locking.wait)
        let db = try AuditDatabase(path: database.db)
        try db.requireIngestedFiles()
        let summary = try CheckRunner.run(db, try check.options())
        withExtendedLifetime(lock) {}
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            print(String(decoding: try encoder.encode(summary), as: UTF8.self))
        } else {
            summary.lines.forEach { print($0) }
        }
        if summary.exitStatus != 0 { throw ExitCode(summary.exitStatus) }
    }
}

/// The options `check` and `audit` share.
struct CheckArguments: ParsableArguments {
    @Option(help: "YAML config: database keys, allow-lists, backup thresholds, window, suppressions.")
    var config: String?

    @Option(name: .customLong("rules"), help: "A folder of extra rule files (*.sql); repeatable.")
    var ruleDirectories: [String] = []

    @Option(help: "Audit window start (ISO-8601 time or date). Default: the first event.")
    var since: String?

    @Option(help: "Audit window end (ISO-8601 time or date). Default: the last event.")
    var until: String?

    @Option(help: "Exit 1 when an unsuppressed finding has this severity or higher: critical, high, medium, low, info.")
    var failOn: Severity = .high

    @Option(help: "`aws cloudtrail list-public-keys` output, to verify digest signatures.")
    var publicKeys: String?

    @Option(help: "JSON object of digest object key to hex signature (S3 metadata kept aside).")
    var signatures: String?

    func options() throws -> CheckOptions {
        var options = CheckOptions()
        if let config { options.config = try AuditConfig.load(path: config) }
        options.userRuleDirectories = ruleDirectories
        options.since = try since.map { try Self.time($0, "--since") }
        options.until = try until.map { try Self.time($0, "--until") }
        options.failOn = failOn
        options.publicKeysPath = publicKeys
        options.signaturesPath = signatures
        return options
    }

    static func time(_ text: String, _ flag: String) throws -> String {
        guard let date = TimeFormats.parseISO8601(text) else {
            throw ValidationError("\(flag): `\(text)` is not a time like 2026-11-01T00:00:00Z or a date 2026-11-01")
        }
        return TimeFormats.canonical(date)
    }
}

extension Severity: ExpressibleByArgument {}
