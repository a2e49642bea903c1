import Foundation
import GRDB
import Testing
@testable import KMSAudit

/// `event_keys` and `state_inputs` are kept from one build to the next and brought up to date
/// (StateEventKeys.swift, StateInputs.swift). The kept tables, and the state derived from them,
/// must equal a rebuild from scratch, whatever arrives: the real binary, real files, a sample
/// trail delivered night by night and real records that move an alias late.
@Suite struct KeptStateTests {
    static let kms = StateBuilderTests.kms
    static let keyA = StateBuilderTests.keyA
    static let keyB = StateBuilderTests.keyB

    /// The last state build's summary.
    static func lastBuild(_ path: String) throws -> StateSummary {
        let json = try DatabaseQueue(path: path).read { db in
            try String.fetchOne(db, sql: "SELECT summary FROM state_builds ORDER BY id DESC LIMIT 1")
        }
        return try JSONDecoder().decode(StateSummary.self, from: Data(try #require(json).utf8))
    }

    /// Every call's key as the kept table and the events say it, then `state_inputs` and the
    /// state folded from it, row by row.
    static func resolutions(_ path: String) throws -> [[String]] {
        func rows(_ db: Database, _ sql: String, tag: String) throws -> [[String]] {
            try Row.fetchAll(db, sql: sql).map { row in [tag] + (0..<row.count).map { (row[$0] as DatabaseValue).description } }
        }
        return try DatabaseQueue(path: path).read { db in
            try rows(db, """
                SELECT k.event_rowid, k.event_id, k.key_ref, k.alias_name, k.alias_account, k.alias_region, k.key_arn,
                       k.resolution, e.resolved_key_arn, e.key_resolution
                  FROM event_keys k JOIN events e ON e.id = k.event_rowid ORDER BY k.event_rowid
                """, tag: "key")
            + rows(db, """
                SELECT id, event_id, resolved_key_arn, key_resolution FROM events
                 WHERE key_resolution IS NOT NULL AND id NOT IN (SELECT event_rowid FROM event_keys) ORDER BY id
                """, tag: "stray")
            + rows(db, "SELECT * FROM state_inputs ORDER BY event_time, event_rowid", tag: "input")
            + rows(db, "SELECT * FROM db_resources ORDER BY id", tag: "resource")
            + rows(db, "SELECT * FROM snapshots ORDER BY id", tag: "snapshot")
            + rows(db, "SELECT * FROM backup_copy_jobs ORDER BY rowid", tag: "copy")
            + rows(db, "SELECT * FROM grants ORDER BY id", tag: "grant")
            + rows(db, "SELECT * FROM keys ORDER BY key_arn", tag: "keys")
            + rows(db, "SELECT * FROM key_use_evaluations ORDER BY event_id", tag: "judged")
            + rows(db, "SELECT * FROM key_rds_principals ORDER BY key_arn, principal", tag: "rds-principal")
        }
    }

    /// `event_coverage` as the report reads it (nil when not current) and counted from `events`.
    static func coverage(_ path: String) throws -> (kept: [[String]]?, counted: [[String]]) {
        try DatabaseQueue(path: path).read { db in
            func strings(_ rows: [Row]) -> [[String]] {
                rows.map { row in (0..<row.count).map { (row[$0] as DatabaseValue).description } }
            }
            return (try EventCoverage.currentRows(db).map(strings),
                    strings(try Row.fetchAll(db, sql: ReportModel.accountRegionSQL)))
        }
    }

    /// The same database with the kept tables rebuilt from scratch (no `state_progress` mark).
    static func rebuiltFromScratch(_ path: String, into copy: String) throws -> [[String]] {
        try? FileManager.default.removeItem(atPath: copy)
        let source = try DatabaseQueue(path: path)
        let target = try DatabaseQueue(path: copy)
        try source.backup(to: target)
        try target.write { db in try db.execute(sql: "DELETE FROM state_progress; DELETE FROM key_use_progress") }
        let check = try TestSupport.kmsaudit(["check", "--db", copy, "--fail-on", "critical"])
        #expect(check.status == 0 || check.status == 1, "\(check.stderr)")
        let scratch = try lastBuild(copy)
        #expect(scratch.eventKeysKept == false && scratch.stateInputsKept == false)
        #expect(try keyUse(copy)?.kept == false)
        return try resolutions(copy)
    }

    /// The last key-use evaluation: whether it kept the rows before and how many calls it read.
    static func keyUse(_ path: String) throws -> (kept: Bool, callsRead: Int, databaseKeys: Int)? {
        try DatabaseQueue(path: path).read { db in
            try Row.fetchOne(db, sql: "SELECT kept, calls_read, json_array_length(database_keys) FROM key_use_progress")
                .map { ($0[0], $0[1], $0[2]) }
        }
    }

    /// The sample trail delivered a day at a time, `ingest` then `check` one night and `audit` the
    /// next: after every night the kept keys equal a rebuild's, and every check kept the table.
    @Test func keptStateEqualsARebuildNightByNight() throws {
        let dir = try TestSupport.temporaryDirectory()
        let trail = dir.appendingPathComponent("trail")
        let sample = try TestSupport.kmsaudit(["sample", "--out", trail.path, "--events", "6000", "--seed", "5", "--days", "7"])
        #expect(sample.status == 0, "\(sample.stderr)")
        // Files by the day in their path (log files and digests); the rest (inventory, policies) on night 1.
        let files = try #require(FileManager.default.enumerator(at: trail, includingPropertiesForKeys: nil))
            .compactMap { $0 as? URL }.filter { !$0.hasDirectoryPath && $0.lastPathComponent != "expected-findings.json" }
        func day(_ url: URL) -> String? {
            let parts = url.path.split(separator: "/")
            guard let i = parts.firstIndex(where: { $0.count == 4 && Int($0) != nil && $0.hasPrefix("20") }), i + 2 < parts.count else { return nil }
            return parts[i...i + 2].joined(separator: "/")
        }
        let days = Set(files.compactMap(day)).sorted()
        #expect(days.count >= 7)
        let input = dir.appendingPathComponent("in")
        let db = dir.appendingPathComponent("nightly.sqlite").path
        var rekeyed = 0
        var keyUseKept: [Bool] = [], callsRead: [Int] = [], databaseKeys: [Int] = []
        for (night, today) in days.enumerated() {
            for file in files where day(file).map({ $0 == today }) ?? (night == 0) {
                let target = input.appendingPathComponent(String(file.path.dropFirst(trail.path.count + 1)))
                try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
                try FileManager.default.copyItem(at: file, to: target)
            }
            if night % 2 == 0 {
                let ingest = try TestSupport.kmsaudit(["ingest", input.path, "--db", db, "--quiet"])
                #expect(ingest.status == 0, "night \(night): \(ingest.stderr)")
                let check = try TestSupport.kmsaudit(["check", "--db", db, "--fail-on", "critical"])
                #expect(check.status == 0 || check.status == 1, "night \(night): \(check.stderr)")
            } else {
                // `audit` leaves resolving the new calls to its check.
                let audit = try TestSupport.kmsaudit(["audit", input.path, "--db", db, "--report-dir",
                                                      dir.appendingPathComponent("reports").path, "--quiet"])
                #expect(audit.status == 0 || audit.status == 1, "night \(night): \(audit.stderr)")
            }
            // Ingest or the previous night left a mark: every check keeps `event_keys`, and every
            // check after the first (ingest does not fill it) `state_inputs`.
            let build = try Self.lastBuild(db)
            #expect(build.eventKeysKept, "night \(night)")
            #expect(build.stateInputsKept == (night > 0), "night \(night)")
            rekeyed += build.eventsRekeyed
            let keyUse = try #require(try Self.keyUse(db))
            keyUseKept.append(keyUse.kept)
            callsRead.append(keyUse.callsRead)
            databaseKeys.append(keyUse.databaseKeys)
            let kept = try Self.resolutions(db)
            // Ingest's kept counts per account and region are what counting every event says.
            let coverage = try Self.coverage(db)
            #expect(coverage.kept == coverage.counted && coverage.kept != nil, "night \(night)")
            if night == days.count - 1 {
                #expect(kept.filter { $0[0] == "key" }.count > 10)
                #expect(kept.filter { $0[0] == "input" }.count > 50)
                #expect(kept.filter { $0[0] == "snapshot" }.count > 5)
                #expect(kept.filter { $0[0] == "grant" }.count > 5)
                #expect(kept.filter { $0[0] == "keys" }.count > 5)
                #expect(kept.filter { $0[0] == "judged" }.count > 5)
                #expect(kept.filter { $0[0] == "rds-principal" }.count > 2)
            }
            #expect(kept == (try Self.rebuiltFromScratch(db, into: dir.appendingPathComponent("scratch.sqlite").path)),
                    "night \(night) (\(today))")
        }
        // Key-use evaluation kept its rows every night after the first (what the calls before were
        // judged against did not change under them) and read the new calls, plus every call of the
        // keys that became database keys that night (databases created with them).
        #expect(keyUseKept == [false] + Array(repeating: true, count: days.count - 1), "\(keyUseKept) \(callsRead)")
        #expect(zip(databaseKeys, databaseKeys.dropFirst()).contains { $0 < $1 }, "\(databaseKeys)")
        // The sample's calls by alias come after its alias move, so none is resolved again here:
        // the next test moves an alias under calls already resolved.
        #expect(rekeyed == 0)
    }

    /// A night of a few events on a large store adds them to the kept counts (a range of row ids)
    /// instead of counting everything again: new groups appear, existing ones grow and widen.
    @Test func aFewNewEventsAreAddedToTheKeptCounts() throws {
        let dir = try TestSupport.temporaryDirectory()
        let trail = dir.appendingPathComponent("in/trail")
        let sample = try TestSupport.kmsaudit(["sample", "--out", trail.path, "--events", "3000", "--seed", "3", "--days", "2"])
        #expect(sample.status == 0, "\(sample.stderr)")
        let db = dir.appendingPathComponent("c.sqlite").path
        let first = try TestSupport.kmsaudit(["ingest", dir.appendingPathComponent("in").path, "--db", db, "--quiet"])
        #expect(first.status == 0, "\(first.stderr)")
        let before = try Self.coverage(db)
        #expect(before.kept == before.counted && before.kept != nil)
        // Two calls: one in an account and region the trail has not seen, one in the trail's
        // busiest account and region, years before the trail.
        let busiest = try #require(before.counted.max { Int($0[2])! < Int($1[2])! })
        func unquoted(_ text: String) -> String { String(text.dropFirst().dropLast()) }
        let logs = dir.appendingPathComponent("in/late")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        try TestSupport.batch([
            try ResolvedKeyColumnTests.useByAlias("new-place", at: "2022-08-20T00:00:00Z")
                .with(["recipientAccountId": "999988887777", "userIdentity.accountId": "999988887777",
                       "awsRegion": "ap-south-2"]).json,
            try ResolvedKeyColumnTests.useByAlias("long-ago", at: "2001-01-01T00:00:00Z")
                .with(["recipientAccountId": unquoted(busiest[0]), "userIdentity.accountId": unquoted(busiest[0]),
                       "awsRegion": unquoted(busiest[1])]).json,
        ]).write(to: logs.appendingPathComponent("111122223333_CloudTrail_us-east-1_20240101T0000Z_late.json"))
        let second = try TestSupport.kmsaudit(["ingest", dir.appendingPathComponent("in").path, "--db", db, "--quiet"])
        #expect(second.status == 0, "\(second.stderr)")
        let after = try Self.coverage(db)
        #expect(after.kept == after.counted && after.kept != nil)
        #expect(after.counted.count == before.counted.count + 1, "one new account and region: \(after.counted)")
        let grown = try #require(after.counted.first { $0[0] == busiest[0] && $0[1] == busiest[1] })
        #expect(grown[2] == String(Int(busiest[2])! + 1) && grown[3] == "\"2001-01-01T00:00:00Z\"" && grown[4] == busiest[4])
    }

    /// An UpdateAlias delivered a night late, dated between two calls already resolved: the later
    /// call moves to the new key, the earlier stays, and only the alias's calls are resolved again.
    /// A changed file read again takes its events back, and the next build starts from scratch.
    @Test func aLateAliasMoveResolvesItsCallsAgainAndATakenBackFileStartsAfresh() throws {
        let dir = try TestSupport.temporaryDirectory()
        let logs = dir.appendingPathComponent("in/logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let create = try Real.record("\(Self.kms)/ct-createalias.example1.json")  // 2022-08-14T23:08:31Z -> keyA
        let other = try Real.record("\(Self.kms)/alias-ct.example1.json")
            .with(["eventID": "by-other-alias", "eventTime": "2022-09-05T00:00:00Z", "requestParameters.keyId": "alias/Other", "resources": nil])
        let update = try StateBuilderTests.aliasMovedToKeyB()
        let db = dir.appendingPathComponent("a.sqlite").path
        let nights: [[Real]] = [
            [create, try ResolvedKeyColumnTests.useByAlias("first", at: "2022-08-20T00:00:00Z"),
             try ResolvedKeyColumnTests.useByAlias("second", at: "2022-09-10T00:00:00Z"), other],
            [update, try ResolvedKeyColumnTests.useByAlias("third", at: "2022-09-12T00:00:00Z")],
        ]
        func key(_ id: String) throws -> String? {
            try DatabaseQueue(path: db).read { db in
                try String.fetchOne(db, sql: "SELECT resolved_key_arn FROM events WHERE event_id = ?", arguments: [id])
            }
        }
        for (night, records) in nights.enumerated() {
            try TestSupport.batch(records.map(\.json))
                .write(to: logs.appendingPathComponent("111122223333_CloudTrail_us-east-1_2024010\(night + 1)T0000Z_n.json"))
            let audit = try TestSupport.kmsaudit(["audit", logs.path, "--db", db, "--report-dir",
                                                  dir.appendingPathComponent("reports").path, "--fail-on", "critical"])
            #expect(audit.status == 0, "\(audit.stderr)")
            #expect(try Self.resolutions(db) == (try Self.rebuiltFromScratch(db, into: dir.appendingPathComponent("scratch.sqlite").path)))
        }
        #expect(try key("first") == Self.keyA)
        #expect(try key("second") == Self.keyB)
        #expect(try key("third") == Self.keyB)
        let second = try Self.lastBuild(db)
        #expect(second.eventKeysKept)
        // "first" and "second" name the moved alias; "by-other-alias" is left alone; "third" is new.
        #expect(second.eventsRekeyed == 2)

        // The first night's file changes: ingest takes its events back (below the mark).
        try TestSupport.batch(nights[0].dropLast().map(\.json))
            .write(to: logs.appendingPathComponent("111122223333_CloudTrail_us-east-1_20240101T0000Z_n.json"))
        let again = try TestSupport.kmsaudit(["audit", logs.path, "--db", db, "--report-dir",
                                              dir.appendingPathComponent("reports").path, "--fail-on", "critical"])
        #expect(again.status == 0, "\(again.stderr)")
        let afresh = try Self.lastBuild(db)
        #expect(afresh.eventKeysKept == false && afresh.stateInputsKept == false)
        #expect(try key("by-other-alias") == nil)
        #expect(try Self.resolutions(db) == (try Self.rebuiltFromScratch(db, into: dir.appendingPathComponent("scratch.sqlite").path)))
        #expect(try key("second") == Self.keyB)
        // The events taken back were counted: the trigger forgot the mark and ingest counted again.
        let taken = try Self.coverage(db)
        #expect(taken.kept == taken.counted && taken.kept != nil)
        // Without a mark the report counts from `events`, and the next ingest (nothing new to
        // read) counts everything again.
        try DatabaseQueue(path: db).write { try $0.execute(sql: "DELETE FROM event_coverage_progress") }
        #expect(try Self.coverage(db).kept == nil)
        let recount = try TestSupport.kmsaudit(["ingest", logs.path, "--db", db, "--quiet"])
        #expect(recount.status == 0, "\(recount.stderr)")
        let recounted = try Self.coverage(db)
        #expect(recounted.kept == recounted.counted && recounted.kept != nil)
    }

    /// Key-use verdicts are kept only while what the calls already judged were judged against
    /// stands. On the sample trail: a key policy version delivered late, dated among calls already
    /// judged, makes the next check judge every call again (and the verdicts change); one dated
    /// after every call judged, and a night with nothing new, keep them; so does a key used before
    /// that becomes a database key, whose earlier calls are judged then. After each, the tables
    /// equal a rebuild from scratch. The real PutKeyPolicy record (KMS developer guide), aimed at
    /// one of the trail's database keys, with the guide's policy: only the account's root named.
    @Test func aLatePolicyVersionAmongJudgedCallsJudgesThemAgain() throws {
        let dir = try TestSupport.temporaryDirectory()
        let trail = dir.appendingPathComponent("trail")
        let sample = try TestSupport.kmsaudit(["sample", "--out", trail.path, "--events", "6000", "--seed", "5", "--days", "3"])
        #expect(sample.status == 0, "\(sample.stderr)")
        let db = dir.appendingPathComponent("k.sqlite").path
        let scratch = dir.appendingPathComponent("scratch.sqlite").path
        func audit() throws {
            let run = try TestSupport.kmsaudit(["audit", trail.path, "--db", db, "--report-dir",
                                                dir.appendingPathComponent("reports").path, "--fail-on", "critical"])
            #expect(run.status == 0 || run.status == 1, "\(run.stderr)")  // 1: the sample plants critical findings
        }
        try audit()
        #expect(try Self.keyUse(db)?.kept == false)
        try audit()  // nothing new
        #expect(try Self.keyUse(db).map { [$0.kept ? 1 : 0, $0.callsRead] } == [1, 0])
        #expect(try Self.resolutions(db) == (try Self.rebuiltFromScratch(db, into: scratch)))

        // The database key with the most calls judged "intended" by name (not stored), and the
        // middle of its calls' times.
        let (key, middle, last) = try DatabaseQueue(path: db).read { db -> (String, String, String) in
            let key = try #require(try String.fetchOne(db, sql: """
                SELECT k.key_arn FROM keys k JOIN events e
                    ON CAST(coalesce(e.key_arn, e.resolved_key_arn) AS TEXT) = k.key_arn AND e.event_source = 'kms.amazonaws.com'
                 WHERE k.is_database_key = 1 AND e.principal LIKE 'arn:aws:iam::%:role/%'
                 GROUP BY k.key_arn ORDER BY count(*) DESC, k.key_arn LIMIT 1
                """))
            let times = try String.fetchAll(db, sql: """
                SELECT event_time FROM events WHERE event_source = 'kms.amazonaws.com'
                   AND CAST(coalesce(key_arn, resolved_key_arn) AS TEXT) = ? ORDER BY event_time
                """, arguments: [key])
            let last = try #require(try String.fetchOne(db, sql: "SELECT judged_through FROM key_use_progress"))
            return (key, times[times.count / 2], last)
        }
        let before = try Self.resolutions(db).filter { $0[0] == "judged" }
        let parts = key.split(separator: ":")  // arn:aws:kms:REGION:ACCOUNT:key/ID
        let (region, account, keyID) = (String(parts[3]), String(parts[4]), String(parts[5].dropFirst(4)))
        let guide = try Real.record("\(Self.kms)/ct-put-key-policy.example1.json")
        func policyVersion(_ id: String, at time: String) throws {
            let put = guide.with([
                "eventID": id, "eventTime": time, "awsRegion": region, "recipientAccountId": account,
                "userIdentity.accountId": account, "userIdentity.arn": "arn:aws:iam::\(account):user/Alice",
                "requestParameters.keyId": keyID,
                "requestParameters.policy": ((guide.json["requestParameters"] as? [String: Any])?["policy"] as? String)?
                    .replacingOccurrences(of: "111122223333", with: account),
                "resources": [["accountId": account, "type": "AWS::KMS::Key", "ARN": key]],
            ])
            let stamp = time.prefix(13).replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ":", with: "")
            let folder = trail.appendingPathComponent("late")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try TestSupport.batch([put.json])
                .write(to: folder.appendingPathComponent("\(account)_CloudTrail_\(region)_\(stamp)00Z_\(id).json"))
        }

        try policyVersion("late-policy-among-judged-calls", at: middle)
        try audit()
        #expect(try Self.keyUse(db)?.kept == false)
        let after = try Self.resolutions(db).filter { $0[0] == "judged" }
        #expect(after.count > before.count, "the calls after it by principals the guide's policy does not name")
        #expect(try Self.resolutions(db) == (try Self.rebuiltFromScratch(db, into: scratch)))

        // A version after every call judged changes nothing judged: kept.
        let later = TimeFormats.canonical(try #require(TimeFormats.parseISO8601(last)).addingTimeInterval(3600))
        try policyVersion("policy-after-every-judged-call", at: later)
        try audit()
        #expect(try Self.keyUse(db)?.kept == true)
        #expect(try Self.resolutions(db) == (try Self.rebuiltFromScratch(db, into: scratch)))

        // A key used by roles becomes a database key (the real CreateDBInstance, encrypted with
        // it): the rows stand, and its earlier calls are judged now.
        let (other, otherCalls) = try DatabaseQueue(path: db).read { db -> (String, Int) in
            let row = try #require(try Row.fetchOne(db, sql: """
                SELECT k.key_arn, count(*) FROM keys k JOIN events e
                    ON CAST(coalesce(e.key_arn, e.resolved_key_arn) AS TEXT) = k.key_arn AND e.event_source = 'kms.amazonaws.com'
                 WHERE k.is_database_key = 0 AND e.principal LIKE 'arn:aws:iam::%:role/%'
                 GROUP BY k.key_arn ORDER BY count(*) DESC, k.key_arn LIMIT 1
                """))
            return (row[0], row[1])
        }
        let otherParts = other.split(separator: ":")
        let (otherRegion, otherAccount) = (String(otherParts[3]), String(otherParts[4]))
        let database = try StateBuilderTests.instance("late-database", at: later, account: otherAccount, region: otherRegion, [
            "requestParameters.storageEncrypted": true, "responseElements.storageEncrypted": true,
            "requestParameters.kmsKeyId": other, "responseElements.kmsKeyId": other,
        ])
        try TestSupport.batch([database.json]).write(to: trail.appendingPathComponent(
            "late/\(otherAccount)_CloudTrail_\(otherRegion)_\(later.prefix(13).replacingOccurrences(of: "-", with: "").replacingOccurrences(of: ":", with: ""))00Z_db.json"))
        try audit()
        #expect(try DatabaseQueue(path: db).read { db in
            try Bool.fetchOne(db, sql: "SELECT is_database_key FROM keys WHERE key_arn = ?", arguments: [other])
        } == true)
        let added = try #require(try Self.keyUse(db))
        #expect(added.kept && added.callsRead >= otherCalls, "\(added) \(otherCalls)")
        #expect(try Self.resolutions(db) == (try Self.rebuiltFromScratch(db, into: scratch)))
    }

    /// `state_inputs` keeps a member as JSON of its own type. Ingest rejects a record whose
    /// `responseElements` or `requestParameters` is not an object; a row that holds one anyway (an
    /// older database, an analyst's INSERT) must neither yield a grant read out of a string that
    /// holds JSON text nor fail the check on a string that is not JSON. The real CreateGrant
    /// record (KMS developer guide), with hostile members.
    @Test func membersStayJSONOfTheirOwnType() throws {
        let dir = try TestSupport.temporaryDirectory()
        let logs = dir.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        let grant = try Real.record("\(Self.kms)/ct-creategrant.example1.json")
        let smuggled = try Real.record("\(Self.kms)/ct-creategrant.example1.json").with([
            "eventID": "smuggled", "responseElements": #"{"grantId":"smuggled-grant"}"#])
        let broken = try Real.record("\(Self.kms)/ct-creategrant.example1.json").with([
            "eventID": "broken", "responseElements": "{not json", "requestParameters": "[also not"])
        try TestSupport.batch([grant, smuggled, broken].map(\.json))
            .write(to: logs.appendingPathComponent("111122223333_CloudTrail_us-east-1_20240101T0000Z_g.json"))
        let db = dir.appendingPathComponent("g.sqlite").path
        #expect(try TestSupport.kmsaudit(["ingest", logs.path, "--db", db, "--quiet"]).status == 0)
        let queue = try DatabaseQueue(path: db)
        try queue.write { db in
            #expect(try String.fetchAll(db, sql: "SELECT reason FROM rejected_records ORDER BY record_index")
                    == ["responseElements is a string, not an object", "requestParameters is a string, not an object"])
            // The two rejected records stored as an older version would have.
            for record in [smuggled, broken] {
                let raw = String(decoding: try JSONSerialization.data(withJSONObject: record.json), as: UTF8.self)
                try db.execute(sql: """
                    INSERT INTO events (event_id, event_time, event_source, event_name, principal, via_rds, succeeded,
                                        file_id, record_index, raw)
                    SELECT ?, event_time, event_source, event_name, principal, via_rds, succeeded, file_id, 9, ?
                      FROM events LIMIT 1
                    """, arguments: [record.json["eventID"] as? String, raw])
            }
        }
        let check = try TestSupport.kmsaudit(["check", "--db", db, "--fail-on", "critical"])
        #expect(check.status == 0, "\(check.stderr)")
        let (grants, inputs) = try queue.read { db in
            (try String.fetchAll(db, sql: "SELECT grant_id FROM grants ORDER BY grant_id"),
             try Row.fetchAll(db, sql: "SELECT event_id, request_parameters, response_elements FROM state_inputs ORDER BY event_id"))
        }
        let realID = try #require((grant.json["responseElements"] as? [String: Any])?["grantId"] as? String)
        #expect(grants == [realID])
        #expect(inputs.count == 3)
        #expect(inputs.first { $0["event_id"] == "smuggled" }?["response_elements"] == #""{\"grantId\":\"smuggled-grant\"}""#)
        #expect(inputs.first { $0["event_id"] == "broken" }?["request_parameters"] == #""[also not""#)
        #expect((inputs.first { $0["event_id"] == grant.json["eventID"] as? String }?["response_elements"] as String?)?
            .hasPrefix("{") == true)
    }
}
