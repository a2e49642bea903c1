import Foundation
import GRDB
import Testing
import KMSAuditTestSupport
@testable import KMSAudit

/// The analyst and the nightly job share one database: an ad-hoc query left running (or a
/// database browser left open on it) must not hold up `ingest`, `check` or `audit`, and what
/// the analyst reads stays one consistent snapshot while the job writes.
@Suite(.serialized) struct AnalystCoexistenceTests {
    /// Another process (Python's sqlite3, as an analyst's notebook would) that opens a read
    /// transaction, prints what it counted and then sits on it for ten minutes.
    static let heldReader = """
        import sqlite3, sys, time
        c = sqlite3.connect(sys.argv[1], isolation_level=None)
        c.execute("BEGIN")
        print(c.execute("SELECT count(*) FROM events").fetchone()[0], flush=True)
        for line in sys.stdin:
            print(c.execute("SELECT count(*) FROM events").fetchone()[0], flush=True)
        time.sleep(600)
        """

    @Test func aReaderHoldingItsSnapshotDoesNotHoldUpTheNightlyJob() throws {
        let dir = try TestSupport.temporaryDirectory()
        let trail = dir.appendingPathComponent("trail")
        let firstDay = try CrashSafetyTests.makeTree(trail, files: 20, perFile: 50)
        let db = dir.appendingPathComponent("audit.sqlite").path
        let first = try ProcessRunner.kmsaudit(["ingest", trail.path, "--db", db, "--quiet"], timeout: 300)
        #expect(first.status == 0, "\(first.stderr)")

        // The analyst's session: a read transaction that stays open.
        let (askRead, askWrite) = try ProcessRunner.makePipe()
        let reader = try ProcessRunner.start("/usr/bin/env", ["python3", "-c", Self.heldReader, db],
                                             descriptors: [0: askRead])
        close(askRead)
        defer { close(askWrite); reader.signal(SIGKILL); reader.wait() }
        let seenFirst = try Self.firstLine(of: reader)
        #expect(seenFirst == firstDay.count)

        // The next night's files, ingested and checked while the reader sits on its snapshot.
        // With a rollback journal the ingest's commit waited for the reader (here: for ever,
        // the timeout below would fire); in WAL mode it does not wait at all.
        let next = dir.appendingPathComponent("next")
        let secondDay = try CrashSafetyTests.makeTree(next, files: 10, perFile: 50, idPrefix: "next")
        let started = Date()
        let ingest = try ProcessRunner.kmsaudit(["ingest", next.path, "--db", db, "--quiet"], timeout: 120)
        #expect(ingest.status == 0 && !ingest.timedOut, "\(ingest.stderr)")
        let check = try ProcessRunner.kmsaudit(["check", "--db", db], timeout: 120)
        #expect(check.status <= 1 && !check.timedOut, "\(check.stderr)")
        #expect(reader.isRunning, "the reader was still holding its transaction")
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed < 120, "the job waited for the reader: \(elapsed) s")

        // The reader still sees its own snapshot; a new reader sees both nights.
        _ = "again\n".withCString { write(askWrite, $0, strlen($0)) }
        #expect(try Self.line(of: reader, number: 2) == firstDay.count)
        let now = try DatabaseQueue(path: db, configuration: { var c = Configuration(); c.readonly = true; return c }())
        #expect(try now.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM events") } == firstDay.count + secondDay.count)
        #expect(try now.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
    }

    /// The first line the reader printed, as a number (waits up to a minute).
    static func firstLine(of process: RunningProcess) throws -> Int? { try line(of: process, number: 1) }

    static func line(of process: RunningProcess, number: Int) throws -> Int? {
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let lines = process.stdoutSoFar.split(separator: "\n")
            if lines.count >= number { return Int(lines[number - 1]) }
            if !process.isRunning { break }
            usleep(20_000)
        }
        return nil
    }
}
