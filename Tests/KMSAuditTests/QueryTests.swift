import Foundation
import GRDB
import Testing
@testable import KMSAudit

/// `kmsaudit query`: read-only, three formats, formula-safe CSV.
@Suite struct QueryTests {
    func database() throws -> (dir: URL, db: String) {
        let dir = try TestSupport.temporaryDirectory()
        let db = dir.appendingPathComponent("audit.sqlite").path
        let result = try TestSupport.kmsaudit(["ingest", TestSupport.fixture("ingest/elastic-integrations.Records.json.gz").path,
                                               "--db", db, "--quiet"])
        #expect(result.status == 0)
        return (dir, db)
    }

    @Test func aWriteFailsClearlyAndChangesNothing() throws {
        let (_, db) = try database()
        let before = try DatabaseQueue(path: db).read { try Int.fetchOne($0, sql: "SELECT count(*) FROM events") }
        for sql in ["DELETE FROM events", "DROP TABLE events", "UPDATE files SET status = 'failed'",
                    "CREATE TABLE x (a)", "INSERT INTO events (event_id) VALUES ('x')"] {
            let result = try TestSupport.kmsaudit(["query", "--db", db, sql])
            #expect(result.status == 2, "\(sql)")
            #expect(result.stderr.contains("read-only"), "\(sql): \(result.stderr)")
        }
        let after = try DatabaseQueue(path: db).read { try Int.fetchOne($0, sql: "SELECT count(*) FROM events") }
        #expect(before == after)
        #expect(before == 11)
    }

    @Test func tableCSVAndJSON() throws {
        let (_, db) = try database()
        let sql = "SELECT event_name, count(*) AS n FROM events GROUP BY 1 ORDER BY 1 LIMIT 3"
        let table = try TestSupport.kmsaudit(["query", "--db", db, sql])
        #expect(table.status == 0)
        #expect(table.stdout.hasPrefix("event_name"))
        #expect(table.stdout.contains("(3 rows)"))
        let json = try TestSupport.kmsaudit(["query", "--db", db, "--format", "json", sql])
        let rows = try JSONSerialization.jsonObject(with: json.stdoutData) as? [[String: Any]]
        #expect(rows?.count == 3)
        #expect(rows?.first?["n"] is Int)
        // CSV: a value a spreadsheet would run is neutralised; quotes are doubled.
        let csv = try TestSupport.kmsaudit(["query", "--db", db, "--format", "csv",
                                            #"SELECT '=HYPERLINK("http://x")' AS a, '-1+2' AS b, 'plain, "quoted"' AS c"#])
        #expect(csv.stdout == "a,b,c\r\n\"'=HYPERLINK(\"\"http://x\"\")\",'-1+2,\"plain, \"\"quoted\"\"\"\r\n")
    }

    @Test func aMissingDatabaseIsAnErrorNotANewFile() throws {
        let dir = try TestSupport.temporaryDirectory()
        let path = dir.appendingPathComponent("none.sqlite").path
        let result = try TestSupport.kmsaudit(["query", "--db", path, "SELECT 1"])
        #expect(result.status == 2)
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
