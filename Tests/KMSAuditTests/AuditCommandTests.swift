import Foundation
import GRDB
import Testing
@testable import KMSAudit

/// The nightly job through the real binary: reports written, exit statuses, and the lock.
@Suite(.serialized) struct AuditCommandTests {
    static func trail(_ dir: URL, events: Int = 3_000) throws -> URL {
        let trail = dir.appendingPathComponent("trail")
        _ = try SampleGenerator.generate(SampleOptions(outDir: trail.path, events: events, seed: 11, days: 2))
        return trail
    }

    @Test func writesDatedAndLatestReportsAndExitsOneOnFindings() throws {
        let dir = try TestSupport.temporaryDirectory()
        let trail = try Self.trail(dir)
        let result = try TestSupport.kmsaudit(["audit", trail.path, "--db", "a.sqlite", "--report-dir", "out", "--quiet"], in: dir)
        #expect(result.status == 1)  // planted findings at or above high
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("audit: ") == true)
        let stamp = "kmsaudit-" + String(TimeFormats.canonical(Date()).prefix(10))
        for name in [stamp, "latest"] {
            for suffix in [".html", ".csv", "-evidence.csv", ".json"] {
                let path = dir.appendingPathComponent("out/\(name)\(suffix)").path
                #expect(FileManager.default.fileExists(atPath: path), "\(path) missing")
            }
        }
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("out/latest.json"))) as? [String: Any]
        #expect((json?["findings"] as? [Any])?.isEmpty == false)
        // --fail-on critical with no critical finding suppressed ... still critical ones planted: exit 1.
        let again = try TestSupport.kmsaudit(["audit", trail.path, "--db", "a.sqlite", "--report-dir", "out", "--fail-on", "critical"], in: dir)
        #expect(again.status == 1)
        #expect(again.stdout.contains("0 new"))
    }

    @Test func exitsThreeWhenAFileFailedButStillReports() throws {
        let dir = try TestSupport.temporaryDirectory()
        let logs = dir.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: TestSupport.fixture("ingest/elastic-integrations.Records.json.gz"),
                                         to: logs.appendingPathComponent("good.json.gz"))
        try TestSupport.write("{ broken", to: logs.appendingPathComponent("broken.json"))
        let result = try TestSupport.kmsaudit(["audit", logs.path, "--db", "a.sqlite", "--report-dir", "out"], in: dir)
        #expect(result.status == 3)
        #expect(result.stderr.contains("broken.json"))
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("out/latest.html").path))
        let html = try String(contentsOf: dir.appendingPathComponent("out/latest.html"), encoding: .utf8)
        #expect(html.contains("broken.json"))  // the report lists the file that failed
    }

    @Test func twoAuditsAtOnceOnOneDatabase() throws {
        let dir = try TestSupport.temporaryDirectory()
        let trail = try Self.trail(dir, events: 20_000)
        func start() throws -> RunningProcess {
            try ProcessRunner.start(TestSupport.binary, ["audit", trail.path, "--db", "a.sqlite", "--report-dir", "out", "--quiet"],
                                    currentDirectory: dir)
        }
        let a = try start()
        Thread.sleep(forTimeInterval: 0.3)
        let b = try start().wait()
        // The second gave up at once (--wait 0) with a clear message; the first finished.
        #expect(b.status == 2)
        #expect(b.stderr.contains("another kmsaudit is using this database"))
        #expect(a.wait().status == 1)

        // Nothing ingested twice, the database intact; a third run with --wait gets in.
        let queue = try DatabaseQueue(path: dir.appendingPathComponent("a.sqlite").path)
        try queue.read { db throws in
            #expect(try String.fetchOne(db, sql: "PRAGMA integrity_check") == "ok")
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM (SELECT path FROM files GROUP BY path HAVING count(*) > 1)") == 0)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM ingest_runs") == 1)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM runs") == 1)
        }
        let third = try TestSupport.kmsaudit(["audit", trail.path, "--db", "a.sqlite", "--report-dir", "out", "--wait", "30"], in: dir)
        #expect(third.status == 1)
        #expect(third.stdout.contains("0 files read"))
    }
}

/// The live progress line appears on a terminal only (cron sees just the summary line).
@Suite struct ProgressLineTests {
    @Test func aTerminalGetsALiveLineAPipeDoesNot() throws {
        let dir = try TestSupport.temporaryDirectory()
        let trail = dir.appendingPathComponent("trail")
        _ = try SampleGenerator.generate(SampleOptions(outDir: trail.path, events: 3_000, seed: 2, days: 1))
        // `script` gives the command a real pseudo-terminal.
        let onTerminal = try TestSupport.run("/usr/bin/script", [
            "-qfec", "\(TestSupport.binary) ingest \(trail.path) --db \(dir.path)/tty.sqlite", "/dev/null"])
        #expect(onTerminal.status == 0)
        let screen = onTerminal.stdout
        #expect(screen.contains("\u{1B}[K"))
        #expect(screen.range(of: #"files \d+/\d+  events \d+  \d+ MB/s  ETA \d+:\d\d"#, options: .regularExpression) != nil)
        #expect(screen.contains("ingest: "))

        let piped = try TestSupport.kmsaudit(["ingest", trail.path, "--db", "\(dir.path)/pipe.sqlite"])
        #expect(piped.status == 0)
        #expect(!piped.stderr.contains("ETA"))
        #expect(piped.stdout.split(separator: "\n").count == 1)

        let quiet = try TestSupport.run("/usr/bin/script", [
            "-qfec", "\(TestSupport.binary) ingest \(trail.path) --db \(dir.path)/quiet.sqlite --quiet", "/dev/null"])
        #expect(!quiet.stdout.contains("ETA"))
    }
}
