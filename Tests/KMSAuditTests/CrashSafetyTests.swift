import Foundation
import GRDB
import Testing
@testable import KMSAudit

/// The real binary, killed with SIGKILL mid-ingest, then run again: every event exactly once.
@Suite(.serialized) struct CrashSafetyTests {
    /// A tree of `files` real gzip batches of `perFile` records each (real records, new ids).
    static func makeTree(_ root: URL, files: Int, perFile: Int) throws -> Set<String> {
        let template = try TestSupport.records(ofBatch: TestSupport.fixture("ingest/elastic-integrations.Records.json.gz"))
        var ids = Set<String>()
        for f in 0..<files {
            var records: [[String: Any]] = []
            for i in 0..<perFile {
                var r = template[i % template.count]
                let id = "kill-\(f)-\(i)"
                r["eventID"] = id
                records.append(r)
                ids.insert(id)
            }
            let day = String(format: "%02d", 1 + f % 28)
            let url = root.appendingPathComponent(
                "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/\(day)/111122223333_CloudTrail_us-east-1_202611\(day)T\(String(format: "%04d", f))Z_k\(f).json.gz")
            try TestSupport.gzip(try TestSupport.batch(records), to: url)
        }
        return ids
    }

    /// The database is consistent: every `ok` file holds exactly its events, nothing else exists.
    func expectConsistent(_ dbPath: String) throws {
        let queue = try DatabaseQueue(path: dbPath)
        // Killed before the first migration committed: no table at all.
        if try !queue.read({ try $0.tableExists("files") }) {
            #expect(try queue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name <> 'grdb_migrations'") } == 0)
            return
        }
        try queue.read { db throws in
            #expect(try Int.fetchOne(db, sql: """
                SELECT count(*) FROM files f WHERE f.status = 'ok'
                AND f.events_stored <> (SELECT count(*) FROM events e WHERE e.file_id = f.id)
                """) == 0)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM events WHERE file_id NOT IN (SELECT id FROM files WHERE status = 'ok')") == 0)
            #expect(try String.fetchOne(db, sql: "PRAGMA integrity_check") == "ok")
        }
    }

    @Test func sigkillAtAnyMomentThenRerunGivesEveryEventOnce() throws {
        let dir = try TestSupport.temporaryDirectory()
        let trail = dir.appendingPathComponent("trail")
        let expected = try Self.makeTree(trail, files: 120, perFile: 400)
        let dbPath = dir.appendingPathComponent("audit.sqlite").path

        var interruptedWithPartialData = 0
        for delay in [0.15, 0.4, 0.7, 1.0, 1.4] {
            let process = try ProcessRunner.start(TestSupport.binary, ["ingest", trail.path, "--db", dbPath, "--quiet"],
                                                  stdout: .discard, stderr: .discard)
            Thread.sleep(forTimeInterval: delay)
            let wasRunning = process.isRunning
            process.signal(SIGKILL)
            process.wait()
            try expectConsistent(dbPath)
            let stored = try DatabaseQueue(path: dbPath).read { db in
                try db.tableExists("events") ? try Int.fetchOne(db, sql: "SELECT count(*) FROM events") ?? 0 : 0
            }
            if wasRunning && stored < expected.count { interruptedWithPartialData += 1 }
        }
        // The test means something only if some kill really landed mid-ingest.
        #expect(interruptedWithPartialData > 0)

        let final = try TestSupport.kmsaudit(["ingest", trail.path, "--db", dbPath, "--quiet"])
        #expect(final.status == 0)
        try expectConsistent(dbPath)
        let queue = try DatabaseQueue(path: dbPath)
        try queue.read { db throws in
            #expect(Set(try String.fetchAll(db, sql: "SELECT event_id FROM events")) == expected)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM events") == expected.count)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM files WHERE status = 'ok'") == 120)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM event_duplicates") == 0)
            // Killed runs are marked, not left "running".
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM ingest_runs WHERE status = 'running'") == 0)
        }
    }

    @Test func aSecondWriterWaitsThenGivesUpWithExitTwo() throws {
        let dir = try TestSupport.temporaryDirectory()
        let dbPath = dir.appendingPathComponent("audit.sqlite").path
        // Hold the lock from this process, as a running kmsaudit would.
        let lock = try DatabaseLock(databasePath: dbPath, waitSeconds: 0)
        let started = Date()
        let result = try TestSupport.kmsaudit(["ingest", TestSupport.fixture("ingest").path, "--db", dbPath, "--wait", "1"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("another kmsaudit is using this database"))
        #expect(Date().timeIntervalSince(started) >= 1.0)
        withExtendedLifetime(lock) {}
    }
}
