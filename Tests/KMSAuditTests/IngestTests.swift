import Foundation
import GRDB
import Testing
@testable import KMSAudit

/// Ingest end to end on real files: the real CloudTrail samples, real gzip, a real SQLite file.
@Suite struct IngestTests {
    func ingest(_ paths: [URL], db: URL, allSources: Bool = false, commitInterval: Double? = nil,
                mergeMinimum: Int? = nil) throws -> IngestSummary {
        let database = try AuditDatabase(path: db.path)
        var options = IngestOptions(paths: paths.map(\.path), storeAllSources: allSources)
        if let commitInterval { options.commitInterval = commitInterval }
        options.eventIDMergeMinimum = mergeMinimum
        return try Ingestor(database: database, options: options, progress: ProgressLine(quiet: true), hooks: .standard).run()
    }

    /// `event_ids` holds exactly one row per stored event, naming that event's row, and no ID is
    /// in both of the tables behind it.
    func expectEventIDsMatchEvents(_ db: Database) throws {
        #expect(try Int.fetchOne(db, sql: """
            SELECT count(*) FROM event_ids_recent r JOIN event_ids_merged m ON m.event_id = r.event_id
            """) == 0)
        #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM event_ids") == Int.fetchOne(db, sql: "SELECT count(*) FROM events"))
        #expect(try Int.fetchOne(db, sql: """
            SELECT count(*) FROM events e JOIN event_ids i ON i.event_id = e.event_id AND i.event_row = e.id
            """) == Int.fetchOne(db, sql: "SELECT count(*) FROM events"))
    }

    /// The database is in WAL mode (readers and the nightly writer never wait for each other),
    /// with the job's own checkpoints; one left with a rollback journal by an earlier version
    /// is switched over when it is opened for writing.
    @Test func walAlsoForADatabaseThatHadARollbackJournal() throws {
        let dir = try TestSupport.temporaryDirectory()
        let fresh = try AuditDatabase(path: dir.appendingPathComponent("fresh.sqlite").path)
        #expect(try fresh.queue.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
        #expect(try fresh.queue.read { try Int.fetchOne($0, sql: "PRAGMA wal_autocheckpoint") } == 0)

        let oldPath = dir.appendingPathComponent("old.sqlite").path
        do {
            let old = try DatabaseQueue(path: oldPath)
            try old.writeWithoutTransaction { try $0.execute(sql: "PRAGMA journal_mode = TRUNCATE; CREATE TABLE t (x)") }
            #expect(try old.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "truncate")
            try old.close()
        }
        let reopened = try AuditDatabase(path: oldPath)
        #expect(try reopened.queue.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
    }

    @Test func realSamplesLandWithEveryStoredEventOnce() throws {
        let dir = try TestSupport.temporaryDirectory()
        let files = try TestSupport.realSampleTree(in: dir)
        let db = dir.appendingPathComponent("audit.sqlite")
        let summary = try ingest([dir], db: db)
        #if os(Linux)
        // The bytes the run wrote, from the kernel's count (/proc/self/io): at least the
        // database file's pages, unless the temporary folder is in memory (tmpfs counts none).
        let written = try #require(summary.bytesWritten)
        if try !TestSupport.isOnTmpfs(dir) {
            #expect(written > 0)
        }
        #endif

        // The oracle: Foundation's parser over gzip's output.
        var expectedIDs = Set<String>()
        var recordsInTrail = 0
        for file in files {
            let records = try TestSupport.records(ofBatch: file)
            recordsInTrail += records.count
            for r in records where TestSupport.storedSources.contains(r["eventSource"] as? String ?? "") {
                if let id = r["eventID"] as? String { expectedIDs.insert(id) }
            }
        }
        #expect(summary.filesFailed == 0)
        #expect(summary.filesRead == files.count)
        #expect(summary.recordsRead == recordsInTrail)
        #expect(summary.exitStatus == 0)

        let queue = try DatabaseQueue(path: db.path)
        try queue.read { db throws in
            let stored = Set(try String.fetchAll(db, sql: "SELECT event_id FROM events"))
            #expect(stored == expectedIDs)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM events WHERE principal = ''") == 0)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM files WHERE status <> 'ok'") == 0)
            // raw is the record as delivered: its eventID is the row's.
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM events WHERE json_extract(raw, '$.eventID') <> event_id") == 0)
            // The ledger's hashes are the file's and its content's.
            for file in files {
                let row = try Row.fetchOne(db, sql: "SELECT sha256, content_sha256, records_read FROM files WHERE path = ?",
                                           arguments: [file.standardizedFileURL.path])!
                #expect(row["sha256"] as String == Hashing.sha256Hex(Array(try Data(contentsOf: file))))
                #expect(row["content_sha256"] as String == Hashing.sha256Hex(Array(try TestSupport.gunzip(file))))
                #expect(row["records_read"] as Int == (try TestSupport.records(ofBatch: file)).count)
            }
        }
    }

    @Test func normalisedColumnsFollowRulesTerms() throws {
        let dir = try TestSupport.temporaryDirectory()
        _ = try TestSupport.realSampleTree(in: dir)
        let db = dir.appendingPathComponent("audit.sqlite")
        _ = try ingest([dir], db: db)
        let queue = try DatabaseQueue(path: db.path)
        try queue.read { db throws in
            // Assumed roles: the principal is the role (sessionIssuer), the session kept aside.
            let roles = try Row.fetchAll(db, sql: """
                SELECT principal, session_name, json_extract(raw, '$.userIdentity.sessionContext.sessionIssuer.arn') AS issuer
                FROM events WHERE principal_type = 'AssumedRole' AND issuer IS NOT NULL
                """)
            #expect(!roles.isEmpty)
            for r in roles { #expect(r["principal"] as String == r["issuer"] as String) }
            // Root: arn:aws:iam::ACCOUNT:root.
            for r in try Row.fetchAll(db, sql: "SELECT principal, json_extract(raw, '$.userIdentity.accountId') AS a FROM events WHERE principal_type = 'Root'") {
                #expect(r["principal"] as String == "arn:aws:iam::\(r["a"] as String):root")
            }
            // Succeeded means no errorCode.
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM events WHERE succeeded = (error_code IS NOT NULL)") == 0)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM events WHERE error_code IS NOT NULL") ?? 0 > 0)
            // KMS events with a resources[] key ARN carry it; key ids are completed with region and account.
            let withResource = try Row.fetchAll(db, sql: """
                SELECT key_arn, (SELECT json_extract(value, '$.ARN') FROM json_each(raw, '$.resources')
                                 WHERE json_extract(value, '$.ARN') LIKE '%:key/%' LIMIT 1) AS r
                FROM events WHERE event_source = 'kms.amazonaws.com' AND r IS NOT NULL
                """)
            #expect(withResource.count > 10)
            for r in withResource { #expect(r["key_arn"] as String? == r["r"] as String?) }
            // Times are canonical.
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM events WHERE event_time NOT GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]Z'") == 0)
            // The virtual JSON columns read from raw.
            let rp = try String.fetchOne(db, sql: "SELECT request_parameters FROM events WHERE event_name = 'PutKeyPolicy' LIMIT 1")
            #expect(rp?.contains("policy") == true)
        }
    }

    @Test func secondRunStoresNothingNewAndPicksUpNewFiles() throws {
        let dir = try TestSupport.temporaryDirectory()
        let files = try TestSupport.realSampleTree(in: dir)
        let db = dir.appendingPathComponent("audit.sqlite")
        let first = try ingest([dir], db: db)
        let second = try ingest([dir], db: db)
        #expect(second.filesUnchanged == files.count)
        #expect(second.filesRead == 0)
        #expect(second.eventsStored == 0)
        #expect(first.eventsStored > 0)

        // A new file is picked up, and only it.
        let record: [String: Any] = [
            "eventVersion": "1.08", "eventID": "new-file-event-1", "eventTime": "2026-11-03T10:00:00Z",
            "eventSource": "kms.amazonaws.com", "eventName": "Decrypt", "awsRegion": "us-east-1",
            "recipientAccountId": "111122223333",
            "userIdentity": ["type": "IAMUser", "arn": "arn:aws:iam::111122223333:user/alice", "accountId": "111122223333"],
        ]
        let newFile = dir.appendingPathComponent("AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/03/111122223333_CloudTrail_us-east-1_20261103T1005Z_newfile.json.gz")
        try TestSupport.gzip(try TestSupport.batch([record]), to: newFile)
        let third = try ingest([dir], db: db)
        #expect(third.filesRead == 1)
        #expect(third.eventsStored == 1)
        #expect(third.filesUnchanged == files.count)
    }

    @Test func changedFileIsReadAgainAndReconciled() throws {
        let dir = try TestSupport.temporaryDirectory()
        let file = dir.appendingPathComponent("AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/01/111122223333_CloudTrail_us-east-1_20261101T0005Z_changing.json.gz")
        func event(_ id: String, _ name: String) -> [String: Any] {
            ["eventID": id, "eventTime": "2026-11-01T00:0\(id.count % 10):00Z", "eventSource": "kms.amazonaws.com",
             "eventName": name, "awsRegion": "us-east-1", "recipientAccountId": "111122223333",
             "userIdentity": ["type": "Root", "accountId": "111122223333"]]
        }
        try TestSupport.gzip(try TestSupport.batch([event("a", "Decrypt"), event("b", "Encrypt")]), to: file)
        // The same event also delivered by another file: it must survive the change.
        let other = dir.appendingPathComponent("AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/01/111122223333_CloudTrail_us-east-1_20261101T0010Z_other.json.gz")
        try TestSupport.gzip(try TestSupport.batch([event("b", "Encrypt")]), to: other)
        let db = dir.appendingPathComponent("audit.sqlite")
        let first = try ingest([dir], db: db)
        #expect(first.eventsStored == 2)
        #expect(first.duplicates == 1)

        // Same path, new content: "a" dropped, "b" dropped here (still in `other`), "c" added.
        try FileManager.default.removeItem(at: file)
        try TestSupport.gzip(try TestSupport.batch([event("c", "GenerateDataKey")]), to: file)
        let second = try ingest([dir], db: db)
        #expect(second.filesRead == 1)
        let queue = try DatabaseQueue(path: db.path)
        try queue.read { db throws in
            #expect(Set(try String.fetchAll(db, sql: "SELECT event_id FROM events")) == ["b", "c"])
            let owner = try String.fetchOne(db, sql: "SELECT f.path FROM events e JOIN files f ON f.id = e.file_id WHERE e.event_id = 'b'")
            #expect(owner == other.standardizedFileURL.path)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM event_duplicates") == 0)
            try expectEventIDsMatchEvents(db)
        }
    }

    @Test func duplicatesAreCountedAndClashesKeptApart() throws {
        let dir = try TestSupport.temporaryDirectory()
        let source = TestSupport.fixture("ingest/elastic-integrations.Records.json.gz")
        let a = dir.appendingPathComponent("a.json.gz"), b = dir.appendingPathComponent("b.json.gz")
        try FileManager.default.copyItem(at: source, to: a)
        try FileManager.default.copyItem(at: source, to: b)
        // c: the first record again with the same eventID but a different userAgent: a clash.
        var records = try TestSupport.records(ofBatch: source)
        records = [records[0]]
        records[0]["userAgent"] = "something else"
        let c = dir.appendingPathComponent("c.json.gz")
        try TestSupport.gzip(try TestSupport.batch(records), to: c)
        let db = dir.appendingPathComponent("audit.sqlite")
        let summary = try ingest([dir], db: db)
        let n = try TestSupport.records(ofBatch: source).count
        #expect(summary.eventsStored == n)
        #expect(summary.duplicates == n)
        #expect(summary.clashes == 1)
        let queue = try DatabaseQueue(path: db.path)
        try queue.read { db throws in
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM event_duplicates WHERE kind = 'clash' AND raw LIKE '%something else%'") == 1)
            // The first stored copy (from a.json.gz, read first) is kept.
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM events WHERE raw LIKE '%something else%'") == 0)
            #expect(try Int.fetchOne(db, sql: "SELECT clashes FROM files WHERE path LIKE '%/c.json.gz'") == 1)
            try expectEventIDsMatchEvents(db)
        }
    }

    /// The same three files with a commit after each: every re-delivery and the clash is now in
    /// a later batch than the copy it repeats, found when that batch's IDs go into `event_ids`
    /// (the stored row leaves `events` again). Counts, ledger and kept copies are the same.
    @Test func duplicatesFoundAcrossBatchesAndRuns() throws {
        let dir = try TestSupport.temporaryDirectory()
        let source = TestSupport.fixture("ingest/elastic-integrations.Records.json.gz")
        let n = try TestSupport.records(ofBatch: source).count
        let a = dir.appendingPathComponent("in/a.json.gz"), b = dir.appendingPathComponent("in/b.json.gz")
        try FileManager.default.createDirectory(at: a.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: source, to: a)
        try FileManager.default.copyItem(at: source, to: b)
        var records = [try TestSupport.records(ofBatch: source)[0]]
        records[0]["userAgent"] = "something else"
        let c = dir.appendingPathComponent("in/c.json.gz")
        try TestSupport.gzip(try TestSupport.batch(records), to: c)

        let perFile = dir.appendingPathComponent("per-file.sqlite")
        let summary = try ingest([dir.appendingPathComponent("in")], db: perFile, commitInterval: 0)
        #expect(summary.eventsStored == n)
        #expect(summary.duplicates == n)
        #expect(summary.clashes == 1)
        try DatabaseQueue(path: perFile.path).read { db throws in
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM events") == n)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM events WHERE raw LIKE '%something else%'") == 0)
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM event_duplicates WHERE kind = 'clash' AND raw LIKE '%something else%'") == 1)
            let ledger = try Row.fetchAll(db, sql: "SELECT path, events_stored, duplicates, clashes FROM files ORDER BY path")
            #expect(ledger.map { [$0["events_stored"], $0["duplicates"], $0["clashes"]] as [Int] } == [[n, 0, 0], [0, n, 0], [0, 0, 1]])
            #expect(try Int.fetchOne(db, sql: "SELECT events_stored FROM ingest_runs") == n)
            #expect(try Int.fetchOne(db, sql: "SELECT duplicates FROM ingest_runs") == n)
            try expectEventIDsMatchEvents(db)
        }

        // Across runs: a first, then b and c the next night; once with the IDs in the recent
        // table, once merged into the large one after every flush (`EventIDStore`).
        for mergeMinimum in [nil, 1] as [Int?] {
            let nightly = dir.appendingPathComponent("nightly-\(mergeMinimum ?? 0).sqlite")
            let first = try ingest([a], db: nightly, mergeMinimum: mergeMinimum)
            #expect(first.eventsStored == n)
            let second = try ingest([b, c], db: nightly, mergeMinimum: mergeMinimum)
            #expect(second.eventsStored == 0)
            #expect(second.duplicates == n)
            #expect(second.clashes == 1)
            try DatabaseQueue(path: nightly.path).read { db throws in
                #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM events") == n)
                #expect(try Int.fetchOne(db, sql: "SELECT count(DISTINCT file_id) FROM events") == 1)
                #expect(try Int.fetchOne(db, sql: "SELECT sum(events_stored) FROM files") == n)
                #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM event_ids_merged") == (mergeMinimum == nil ? 0 : n))
                try expectEventIDsMatchEvents(db)
            }

            // A third night stores d; a fourth finds d changed: its old events and their IDs
            // leave whichever table holds them, and its new ones are stored.
            let d = dir.appendingPathComponent("d-\(mergeMinimum ?? 0)/d.json.gz")
            try FileManager.default.createDirectory(at: d.deletingLastPathComponent(), withIntermediateDirectories: true)
            func renamed(_ prefix: String, _ count: Int) throws -> Data {
                var records = Array(try TestSupport.records(ofBatch: source).prefix(count))
                for i in records.indices { records[i]["eventID"] = "\(prefix)-\(i)" }
                return try TestSupport.batch(records)
            }
            try TestSupport.gzip(try renamed("old", 5), to: d)
            #expect(try ingest([d], db: nightly, mergeMinimum: mergeMinimum).eventsStored == 5)
            try TestSupport.gzip(try renamed("new", 2), to: d)
            #expect(try ingest([d], db: nightly, mergeMinimum: mergeMinimum).eventsStored == 2)
            try DatabaseQueue(path: nightly.path).read { db throws in
                #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM events") == n + 2)
                #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM event_ids WHERE event_id LIKE 'old-%'") == 0)
                #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM event_ids WHERE event_id LIKE 'new-%'") == 2)
                try expectEventIDsMatchEvents(db)
            }
        }
    }

    /// A file large enough to stream (more chunks than its handoff holds, so it runs in a
    /// savepoint) that repeats an event across its chunks and one of an earlier file, and a large
    /// file that breaks at its end: with the IDs flushed after every chunk, at every commit, or
    /// only at the end, the same events land and the same duplicates, clashes and ledger counts
    /// are recorded; the broken file leaves nothing behind.
    @Test func flushesWithinALargeFileKeepCountsAndRollBacks() throws {
        let dir = try TestSupport.temporaryDirectory()
        let source = try TestSupport.records(ofBatch: TestSupport.fixture("ingest/elastic-integrations.Records.json.gz"))
        func copies(_ prefix: String, _ count: Int) -> [[String: Any]] {
            (0..<count).map { i in
                var r = source[i % source.count]
                r["eventID"] = "\(prefix)-\(i)"
                return r
            }
        }
        let inputs = dir.appendingPathComponent("in")
        try FileManager.default.createDirectory(at: inputs, withIntermediateDirectories: true)
        let small = copies("small", 3)
        try TestSupport.gzip(try TestSupport.batch(small), to: inputs.appendingPathComponent("a.json.gz"))
        var big = copies("big", 2600)
        big.append(big[10])                       // a re-delivery, chunks apart
        var clash = big[20]
        clash["userAgent"] = "something else"
        big.append(clash)                          // a clash, chunks apart
        big.append(small[1])                       // a re-delivery of the earlier file
        try TestSupport.gzip(try TestSupport.batch(big), to: inputs.appendingPathComponent("b.json.gz"))
        // A small file just before the broken one: its IDs still wait when that one begins.
        try TestSupport.gzip(try TestSupport.batch(copies("bb", 3)), to: inputs.appendingPathComponent("bb.json.gz"))
        var broken = try TestSupport.batch(copies("broken", 2600))
        broken.removeLast(40)                      // the JSON ends too early
        try TestSupport.gzip(broken, to: inputs.appendingPathComponent("c.json.gz"))

        // 32 KiB: the broken file crosses a flush while bb's IDs still wait, and its rollback
        // must make them wait again. A merge minimum of 1 moves every flush's IDs into the large
        // table (`EventIDStore`), so that re-deliveries are found there; nil keeps them all in the
        // recent one. Some also as a first load (`FirstLoad`: the rollback journal, where
        // savepoints roll back through the journal instead of the log).
        let cases: [(Int, Double, Int?, Bool)] = [
            (1, 10.0, nil, false), (1, 0.0, 1, false), (32 << 10, 10.0, 1000, false), (EventWriter.flushBytes, 10.0, nil, false),
            (EventWriter.flushBytes, 0.0, 1, false), (1, 10.0, 1, false),
            (1, 0.0, 1, true), (32 << 10, 10.0, nil, true), (EventWriter.flushBytes, 0.0, 1, true),
        ]
        for (flushBytes, commitInterval, mergeMinimum, firstLoad) in cases {
            let path = dir.appendingPathComponent("f\(flushBytes)-c\(commitInterval)-m\(mergeMinimum ?? 0)-\(firstLoad).sqlite")
            var options = IngestOptions(paths: [inputs.path])
            options.eventIDFlushBytes = flushBytes
            options.commitInterval = commitInterval
            options.eventIDMergeMinimum = mergeMinimum
            func run(_ db: AuditDatabase) throws -> IngestSummary {
                try Ingestor(database: db, options: options, progress: ProgressLine(quiet: true), hooks: .standard).run()
            }
            // Without a first load: the database exists (empty, migrated) before the ingest.
            let summary = firstLoad ? try FirstLoad.ingest(into: path.path, run).result
                                    : try run(try AuditDatabase(path: path.path))
            #expect(try DatabaseQueue(path: path.path).read { try String.fetchOne($0, sql: "PRAGMA journal_mode") } == "wal")
            #expect(!FileManager.default.fileExists(atPath: FirstLoad.buildingPath(for: path.path)))
            #expect(summary.filesFailed == 1)
            #expect(summary.eventsStored == 3 + 2600 + 3)
            #expect(summary.duplicates == 2)
            #expect(summary.clashes == 1)
            try DatabaseQueue(path: path.path).read { db throws in
                #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM events") == 3 + 2600 + 3)
                #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM events WHERE event_id LIKE 'broken-%'") == 0)
                #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM events WHERE raw LIKE '%something else%'") == 0)
                let ledger = try Row.fetchAll(db, sql: "SELECT events_stored, duplicates, clashes FROM files ORDER BY path")
                    .map { [$0["events_stored"], $0["duplicates"], $0["clashes"]] as [Int] }
                #expect(ledger == [[3, 0, 0], [2600, 2, 1], [3, 0, 0], [0, 0, 0]])
                #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM event_duplicates") == 3)
                try expectEventIDsMatchEvents(db)
                let merged = try Int.fetchOne(db, sql: "SELECT count(*) FROM event_ids_merged") ?? 0
                #expect(mergeMinimum == nil ? merged == 0 : merged > 0)
            }
        }
    }

    /// A first load that stops (here its ingest throws after a first folder was committed)
    /// leaves nothing at the database's path and its committed batches in the building file; the
    /// next ingest continues that file, skipping what it holds, and moves it into place, in WAL
    /// mode; the one after works on the database in place.
    @Test func anInterruptedFirstLoadContinues() throws {
        let dir = try TestSupport.temporaryDirectory()
        let first = dir.appendingPathComponent("first"), second = dir.appendingPathComponent("second")
        let a = try CrashSafetyTests.makeTree(first, files: 4, perFile: 50, idPrefix: "a")
        let b = try CrashSafetyTests.makeTree(second, files: 3, perFile: 50, idPrefix: "b")
        let path = dir.appendingPathComponent("audit.sqlite").path
        let building = FirstLoad.buildingPath(for: path)
        func run(_ db: AuditDatabase, _ roots: [URL]) throws -> IngestSummary {
            try Ingestor(database: db, options: IngestOptions(paths: roots.map(\.path)), progress: ProgressLine(quiet: true),
                         hooks: .standard).run()
        }
        struct Stop: Error {}
        #expect(throws: Stop.self) {
            _ = try FirstLoad.ingest(into: path) { db in
                #expect(try run(db, [first]).eventsStored == a.count)
                throw Stop()
            }
        }
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(try DatabaseQueue(path: building).read { try Int.fetchOne($0, sql: "SELECT count(*) FROM events") } == a.count)
        #expect(throws: DatabaseFailure.firstLoadUnfinished(path: path)) { try AuditDatabase.requireExisting(path) }

        let (summary, database) = try FirstLoad.ingest(into: path) { db in try run(db, [first, second]) }
        #expect(summary.filesUnchanged == 4)
        #expect(summary.eventsStored == b.count)
        #expect(!FileManager.default.fileExists(atPath: building))
        try database.queue.read { db throws in
            #expect(Set(try String.fetchAll(db, sql: "SELECT event_id FROM events")) == a.union(b))
            #expect(try String.fetchOne(db, sql: "PRAGMA journal_mode") == "wal")
            try expectEventIDsMatchEvents(db)
        }
        try database.close()

        let third = dir.appendingPathComponent("third")
        let c = try CrashSafetyTests.makeTree(third, files: 2, perFile: 50, idPrefix: "c")
        let (again, _) = try FirstLoad.ingest(into: path) { db in
            #expect(db.path == path)
            return try run(db, [first, second, third])
        }
        #expect(again.filesUnchanged == 7)
        #expect(again.eventsStored == c.count)
        #expect(!FileManager.default.fileExists(atPath: building))
    }

    @Test func otherSourcesAreCountedNotStored() throws {
        let dir = try TestSupport.temporaryDirectory()
        let file = dir.appendingPathComponent("t.json.gz")
        try FileManager.default.copyItem(at: TestSupport.fixture("ingest/awsdocs-aws-cloudtrail-user-guide.Records.json.gz"), to: file)
        let db = dir.appendingPathComponent("audit.sqlite")
        let summary = try ingest([file], db: db)
        let records = try TestSupport.records(ofBatch: file)
        var perSource: [String: Int] = [:]
        for r in records { perSource[r["eventSource"] as? String ?? "(none)", default: 0] += 1 }
        let queue = try DatabaseQueue(path: db.path)
        try queue.read { db throws in
            let counted = Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT event_source, records FROM source_counts")
                .map { ($0["event_source"] as String, $0["records"] as Int) })
            #expect(counted == perSource)
            #expect(try Int.fetchOne(db, sql: "SELECT other_records FROM files") == records.count - summary.eventsStored)
        }
        // --all-sources stores every record that has an eventSource and an eventID.
        let all = try ingest([file], db: dir.appendingPathComponent("all.sqlite"), allSources: true)
        #expect(all.eventsStored > summary.eventsStored)
    }

    @Test func policyAndInventoryFilesBecomeDocuments() throws {
        let dir = try TestSupport.temporaryDirectory()
        let policy = #"{"Policy": "{\"Version\":\"2012-10-17\",\"Statement\":[]}", "PolicyName": "default"}"#
        try TestSupport.write(policy, to: dir.appendingPathComponent("policies/111122223333/us-east-1/1234abcd-12ab-34cd-56ef-1234567890ab.json"))
        try TestSupport.write(#"{"Version":"2012-10-17","Statement":[]}"#,
                              to: dir.appendingPathComponent("arn_aws_kms_eu-west-1_444455556666_key_mrk-1.json"))
        try TestSupport.write(#"{"DBClusters": [{"DBClusterIdentifier": "graph", "StorageEncrypted": true}]}"#,
                              to: dir.appendingPathComponent("inventory/111122223333/us-east-1/describe-db-clusters.json"))
        let db = dir.appendingPathComponent("audit.sqlite")
        let summary = try ingest([dir], db: db)
        #expect(summary.filesFailed == 0)
        let queue = try DatabaseQueue(path: db.path)
        try queue.read { db throws in
            let docs = try Row.fetchAll(db, sql: "SELECT kind, key_arn, account, region FROM documents ORDER BY kind, key_arn")
            #expect(docs.count == 3)
            #expect(docs.map { $0["kind"] as String } == ["db-clusters", "key-policy", "key-policy"])
            #expect(Set(docs.compactMap { $0["key_arn"] as String? }) == [
                "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab",
                "arn:aws:kms:eu-west-1:444455556666:key/mrk-1"])
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM files WHERE kind IN ('policy', 'inventory')") == 3)
        }
    }
}

@Suite struct JSONEquivalenceTests {
    @Test func formattingAndMemberOrderDoNotMakeAClash() {
        let a = Array(#"{"eventID":"x","a":[1,2,{"b":"\u00e9"}],"c":null}"#.utf8)
        let b = Array("{\n  \"c\" : null,\n  \"a\" : [ 1, 2.0, { \"b\" : \"é\" } ],\n  \"eventID\" : \"x\"\n}".utf8)
        #expect(JSONEquivalence.equivalent(a, b))
        #expect(!JSONEquivalence.equivalent(a, Array(#"{"eventID":"x","a":[1,2,{"b":"e"}],"c":null}"#.utf8)))
        #expect(!JSONEquivalence.equivalent(a, Array(#"{"eventID":"x","a":[2,1,{"b":"é"}],"c":null}"#.utf8)))
        #expect(!JSONEquivalence.equivalent(a, Array(#"{"eventID":"x","a":[1,2,{"b":"é"}]}"#.utf8)))
    }
}
