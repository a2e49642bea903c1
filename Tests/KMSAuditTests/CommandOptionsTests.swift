import Foundation
import Testing
@testable import KMSAudit

/// One vocabulary across commands, through the real binary: the audit window is
/// `--since/--until` everywhere (verify's old `--start/--end` still work), `--wait` means the
/// same in every command that takes the lock, and `audit` reads files with ingest's options.
@Suite(.serialized) struct CommandOptionsTests {
    /// A small sample trail (with digests) ingested by the binary into `dir/a.sqlite`.
    static func ingestedTrail(_ dir: URL) throws -> URL {
        let trail = dir.appendingPathComponent("trail")
        _ = try SampleGenerator.generate(SampleOptions(outDir: trail.path, events: 3_000, seed: 4, days: 1))
        let ingest = try TestSupport.kmsaudit(["ingest", trail.path, "--db", "a.sqlite", "--quiet"], in: dir)
        #expect(ingest.status == 0, "\(ingest.stderr)")
        return trail
    }

    @Test func verifyTakesSinceAndUntilAndStillTheOldStartAndEnd() throws {
        let dir = try TestSupport.temporaryDirectory()
        _ = try Self.ingestedTrail(dir)
        // The sample covers 2026-11-01; a window to a day later leaves hours after the last
        // delivery, which verify reports (the day before is no gap: each chain is judged from its
        // first digest, docs/rules/LOG-005.md).
        let whole = try TestSupport.kmsaudit(["verify", "--db", "a.sqlite"], in: dir)
        let since = try TestSupport.kmsaudit(["verify", "--db", "a.sqlite", "--since", "2026-10-31", "--until", "2026-11-03"], in: dir)
        let start = try TestSupport.kmsaudit(["verify", "--db", "a.sqlite", "--start", "2026-10-31", "--end", "2026-11-03"], in: dir)
        #expect(whole.stderr.isEmpty && since.stderr.isEmpty && start.stderr.isEmpty, "\(whole.stderr)\(since.stderr)\(start.stderr)")
        #expect(!whole.stdout.contains("2026-10-31T00:00:00Z"))
        #expect(since.stdout.contains("(window ends 2026-11-03T00:00:00Z)"), "\(since.stdout)")
        #expect(!since.stdout.contains("2026-10-31"), "no gap before a chain starts: \(since.stdout)")
        #expect(since.stdout != whole.stdout)
        // The old names are the same window.
        #expect(start.stdout == since.stdout)
        #expect(start.status == since.status)
        // Only `--until` given: the start comes from the trail, the end from the option.
        let untilOnly = try TestSupport.kmsaudit(["verify", "--db", "a.sqlite", "--until", "2026-11-03"], in: dir)
        let endOnly = try TestSupport.kmsaudit(["verify", "--db", "a.sqlite", "--end", "2026-11-03"], in: dir)
        #expect(untilOnly.stdout == endOnly.stdout)
        #expect(!untilOnly.stdout.contains("2026-10-31T00:00:00Z"))

        // A new name and its old name together are a usage error; so is a time that is not one.
        let both = try TestSupport.kmsaudit(["verify", "--db", "a.sqlite", "--since", "2026-10-31", "--start", "2026-10-31"], in: dir)
        #expect(both.status == 2)
        #expect(both.stderr.contains("give --since or --start"))
        let bad = try TestSupport.kmsaudit(["verify", "--db", "a.sqlite", "--since", "yesterday"], in: dir)
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--since: `yesterday` is not a time"))
        let badOld = try TestSupport.kmsaudit(["verify", "--db", "a.sqlite", "--end", "soon"], in: dir)
        #expect(badOld.status == 2)
        #expect(badOld.stderr.contains("--end: `soon` is not a time"))

        // Help shows the one vocabulary and hides the old names (the text mentions them once).
        let help = try Self.help("verify")
        #expect(help.usage.contains("--since <since>") && help.usage.contains("--until <until>"))
        #expect(help.options.contains("--since <since>") && help.options.contains("--until <until>"))
        #expect(!help.usage.contains("--start") && !help.usage.contains("--end"))
        #expect(!help.options.contains("--start") && !help.options.contains("--end"))
    }

    /// The USAGE line and the OPTIONS section of `kmsaudit help COMMAND`.
    static func help(_ command: String) throws -> (usage: String, options: String) {
        let text = try TestSupport.kmsaudit(["help", command]).stdout
        let usage = text.split(separator: "\n").first { $0.hasPrefix("USAGE:") }.map(String.init) ?? ""
        let options = text.components(separatedBy: "OPTIONS:").dropFirst().joined()
        #expect(!usage.isEmpty && !options.isEmpty, "\(text)")
        return (usage, options)
    }

    /// Every command that takes the writer lock takes `--wait` and honours it.
    @Test(arguments: ["ingest", "check", "audit", "verify"])
    func waitIsTheSameInEveryCommandThatLocks(command: String) throws {
        let dir = try TestSupport.temporaryDirectory("wait-\(command)")
        let dbPath = dir.appendingPathComponent("a.sqlite").path
        _ = try AuditDatabase(path: dbPath)  // verify wants an existing database
        let paths = ["ingest", "audit"].contains(command) ? [TestSupport.fixture("ingest").path] : []
        let extra = command == "audit" ? ["--report-dir", dir.appendingPathComponent("out").path] : []
        // Hold the lock from this process, as a running kmsaudit would.
        let lock = try DatabaseLock(databasePath: dbPath, waitSeconds: 0)
        let started = Date()
        let result = try TestSupport.kmsaudit([command] + paths + ["--db", dbPath, "--wait", "1"] + extra)
        let waited = Date().timeIntervalSince(started)
        withExtendedLifetime(lock) {}
        #expect(result.status == 2)
        #expect(result.stderr.contains("another kmsaudit is using this database"), "\(result.stderr)")
        #expect(waited >= 1.0)

        // Declared once: one line in the options, with one meaning.
        let help = try Self.help(command)
        #expect(help.options.components(separatedBy: "--wait <wait>").count == 2, "\(help.options)")
        #expect(help.options.contains("Seconds to wait for another kmsaudit using the same"))
    }

    @Test func auditReadsFilesWithIngestsOptions() throws {
        let dir = try TestSupport.temporaryDirectory()
        let trail = dir.appendingPathComponent("trail")
        _ = try SampleGenerator.generate(SampleOptions(outDir: trail.path, events: 3_000, seed: 4, days: 1))
        // --threads 1 gives the same events as ingest's default two threads.
        let audit = try TestSupport.kmsaudit(["audit", trail.path, "--db", "a.sqlite", "--report-dir", "out", "--threads", "1"], in: dir)
        let ingest = try TestSupport.kmsaudit(["ingest", trail.path, "--db", "b.sqlite", "--json"], in: dir)
        #expect(audit.status == 1, "\(audit.stderr)")  // the sample plants findings
        let summary = try JSONSerialization.jsonObject(with: ingest.stdoutData) as? [String: Any]
        let stored = try #require(summary?["eventsStored"] as? Int)
        #expect(stored > 0)
        #expect(audit.stdout.contains(", \(stored) events stored;"), "\(audit.stdout)")
        // The reading limits apply too: every log file inflates past 1 KiB, so each fails (exit 3).
        let limited = try TestSupport.kmsaudit(["audit", trail.path, "--db", "c.sqlite", "--report-dir", "out-c",
                                                "--max-inflated-size", "1K"], in: dir)
        #expect(limited.status == 3)
        #expect(limited.stderr.contains("inflates to more than 1024 bytes"))

        let help = try Self.help("audit").options
        for option in ["--threads <threads>", "--max-inflated-size", "--max-record-size", "--all-sources", "--wait <wait>",
                       "--since <since>", "--until <until>"] {
            #expect(help.contains(option), "audit --help lacks \(option)")
        }
        #expect(try TestSupport.kmsaudit(["audit", trail.path, "--threads", "many"], in: dir).status == 2)
    }
}
