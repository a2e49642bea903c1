import Foundation
import GRDB
import Testing
@testable import KMSAudit

/// The real binary, killed with SIGKILL between committed batches of an ingest, then run again:
/// every event exactly once, the ledger and the events agree file by file.
@Suite(.serialized) struct CrashSafetyTests {
    /// A tree of `files` real gzip batches of `perFile` records each (real records, new ids).
    static func makeTree(_ root: URL, files: Int, perFile: Int, idPrefix: String = "kill") throws -> Set<String> {
        let template = try TestSupport.records(ofBatch: TestSupport.fixture("ingest/elastic-integrations.Records.json.gz"))
        var ids = Set<String>()
        for f in 0..<files {
            var records: [[String: Any]] = []
            for i in 0..<perFile {
                var r = template[i % template.count]
                let id = "\(idPrefix)-\(f)-\(i)"
                r["eventID"] = id
                records.append(r)
                ids.insert(id)
            }
            let day = String(format: "%02d", 1 + f % 28)
            let url = root.appendingPathComponent(
                "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/\(day)/111122223333_CloudTrail_us-east-1_202611\(day)T\(String(format: "%04d", f))Z_\(idPrefix)\(f).json.gz")
            try TestSupport.gzip(try TestSupport.batch(records), to: url)
        }
        return ids
    }

    /// The database is consistent, file by file: every `ok` ledger row's event count equals the
    /// events attributed to it, no event belongs to a file without an `ok` row, and SQLite finds
    /// nothing wrong. (A read-write connection: it rolls back a killed run's hot journal.)
    func expectConsistent(_ dbPath: String, _ comment: Comment) throws {
        let queue = try DatabaseQueue(path: dbPath)
        // Killed before the first migration committed: no table at all.
        if try !queue.read({ try $0.tableExists("files") }) {
            #expect(try queue.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name <> 'grdb_migrations'") } == 0)
            return
        }
        try queue.read { db throws in
            let mismatched = try String.fetchAll(db, sql: """
                SELECT f.path || ': ledger ' || f.events_stored || ', events ' ||
                       (SELECT count(*) FROM events e WHERE e.file_id = f.id)
                FROM files f WHERE f.status = 'ok'
                AND f.events_stored <> (SELECT count(*) FROM events e WHERE e.file_id = f.id)
                """)
            #expect(mismatched == [], comment)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM events WHERE file_id NOT IN (SELECT id FROM files WHERE status = 'ok')") == 0, comment)
            #expect(try String.fetchOne(db, sql: "PRAGMA integrity_check") == "ok", comment)
        }
    }

    /// How many files the ledger holds as `ok`, as another process sees it: only committed
    /// batches count. nil while the database or its schema does not exist yet, or is busy: the
    /// watcher never waits for a lock, so it never holds up the writer's commits for long.
    static func committedFiles(_ dbPath: String) -> Int? {
        guard FileManager.default.fileExists(atPath: dbPath) else { return nil }
        var config = Configuration()
        config.readonly = true
        config.busyMode = .immediateError
        return try? DatabaseQueue(path: dbPath, configuration: config).read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM files WHERE status = 'ok'")
        }
    }

    /// The file that holds the committed batches: the database, or while its first load runs
    /// (and after one was killed) the file it is built in (`FirstLoad`).
    static func committedPath(_ dbPath: String) -> String {
        FileManager.default.fileExists(atPath: dbPath) ? dbPath : FirstLoad.buildingPath(for: dbPath)
    }

    /// Ingest commits a batch every 20 ms here (`--commit-interval`), so a 120-file trail takes
    /// many batches. Each run is killed once this run has committed at least one batch and
    /// before the last one (the ledger's committed `ok` count, read from another connection,
    /// is between its starting value and 120), after a varying lag so the kill also lands in
    /// the middle of the next batch. Then a run to the end. The first run is a first load: it is
    /// killed in its building file, and the second continues that file.
    @Test func sigkillBetweenCommittedBatchesThenRerunGivesEveryEventOnce() throws {
        let dir = try TestSupport.temporaryDirectory()
        let trail = dir.appendingPathComponent("trail")
        let files = 120
        let expected = try Self.makeTree(trail, files: files, perFile: 400)
        let dbPath = dir.appendingPathComponent("audit.sqlite").path

        var killsBetweenBatches = 0
        for (round, lag) in [0.0, 0.01, 0.03, 0.0, 0.06].enumerated() {
            let before = Self.committedFiles(dbPath) ?? 0
            let process = try ProcessRunner.start(TestSupport.binary,
                                                  ["ingest", trail.path, "--db", dbPath, "--quiet", "--commit-interval", "0.02"],
                                                  stdout: .discard, stderr: .discard)
            var seen = before
            while process.isRunning {
                if let n = Self.committedFiles(Self.committedPath(dbPath)), n > before {
                    seen = n
                    if n < files { break }
                }
                Thread.sleep(forTimeInterval: 0.01)
            }
            if lag > 0 { Thread.sleep(forTimeInterval: lag) }
            process.signal(SIGKILL)
            let killed = process.wait().signal != nil
            if round == 0 {
                // The kill landed inside the first load (or the test proves nothing about it).
                #expect(killed && seen > 0 && seen < files, "the first load was not killed mid-way (\(seen) files committed)")
            }
            if round == 0 && killed && seen < files {
                // Killed inside the first load: nothing at the database's path, the committed
                // batches in the building file.
                #expect(!FileManager.default.fileExists(atPath: dbPath))
                #expect(FileManager.default.fileExists(atPath: FirstLoad.buildingPath(for: dbPath)))
                let query = try TestSupport.kmsaudit(["query", "--db", dbPath, "SELECT 1"])
                #expect(query.status == 2)
                #expect(query.stderr.contains("first load is being built in \(FirstLoad.buildingPath(for: dbPath))"))
            }
            try expectConsistent(Self.committedPath(dbPath), "after kill \(round) (lag \(lag) s, \(seen) files seen committed)")
            let after = Self.committedFiles(Self.committedPath(dbPath)) ?? 0
            // What another connection saw committed survives the kill.
            #expect(after >= seen, "kill \(round): \(seen) files were committed, \(after) are left")
            if killed && seen > before && after < files { killsBetweenBatches += 1 }
        }
        // The test means something only if kills really landed between committed batches.
        #expect(killsBetweenBatches >= 3, "only \(killsBetweenBatches) kills landed between batches")

        let final = try TestSupport.kmsaudit(["ingest", trail.path, "--db", dbPath, "--quiet", "--commit-interval", "0.02"])
        #expect(final.status == 0)
        #expect(!FileManager.default.fileExists(atPath: FirstLoad.buildingPath(for: dbPath)))
        try expectConsistent(dbPath, "after the final run")
        let queue = try DatabaseQueue(path: dbPath)
        #expect(try queue.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
        try queue.read { db throws in
            let ids = try String.fetchAll(db, sql: "SELECT event_id FROM events")
            #expect(ids.count == expected.count, "\(ids.count) events stored, \(expected.count) expected")
            let stored = Set(ids)
            #expect(expected.subtracting(stored).count == 0, "events missing after the final run")
            #expect(stored.subtracting(expected).count == 0, "events that were never in the trail")
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM files WHERE status = 'ok'") == files)
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
