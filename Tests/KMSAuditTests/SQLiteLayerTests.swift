import Foundation
import GRDB
import Testing
@testable import KMSAudit

/// The one SQLite C-API layer (Sources/KMSAudit/Store/SQLite/): nothing else names a `sqlite3_`
/// function, and a failed call surfaces as GRDB's `DatabaseError` with SQLite's code and message.
struct SQLiteLayerTests {
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Sources").standardizedFileURL

    @Test func onlyTheLayerCallsTheCAPI() throws {
        let allowed = ["KMSAudit/Store/SQLite/", "CSQLiteSetup/"]
        var offenders: [String] = []
        var scanned = 0
        let files = try #require(FileManager.default.enumerator(at: Self.sources, includingPropertiesForKeys: nil))
        for case let url as URL in files where ["swift", "c", "h"].contains(url.pathExtension) {
            let relative = String(url.standardizedFileURL.path.dropFirst(Self.sources.path.count + 1))
            scanned += 1
            guard !allowed.contains(where: relative.hasPrefix) else { continue }
            let text = try String(contentsOf: url, encoding: .utf8)
            for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated()
            where line.contains("sqlite3_") || line.contains("import GRDBSQLite") {
                offenders.append("\(relative):\(n + 1): \(line.trimmingCharacters(in: .whitespaces))")
            }
        }
        #expect(scanned > 100, "the scan found the sources (\(scanned) files under \(Self.sources.path))")
        #expect(offenders.isEmpty, "SQLite's C API outside Store/SQLite/:\n\(offenders.joined(separator: "\n"))")
    }

    @Test func failuresAreDatabaseErrorsWithSQLitesCodeAndMessage() throws {
        let queue = try DatabaseQueue()
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)")
            let insert = try SQLiteStatement(db, "INSERT INTO t (name) VALUES (?)")
            try insert.bindText(1, "a")
            try insert.execute()
            #expect(insert.changes == 1)
            try insert.bindText(1, "a")
            do {
                try insert.execute()
                Issue.record("a duplicate insert succeeded")
            } catch let error as DatabaseError {
                #expect(error.resultCode == .SQLITE_CONSTRAINT)
                #expect(error.message?.contains("UNIQUE constraint failed: t.name") == true)
                #expect(error.sql?.contains("INSERT INTO t") == true)
            }
            // The statement is usable again after the failure.
            try insert.bindText(1, "b")
            try insert.execute()

            #expect(throws: DatabaseError.self) { try SQLiteStatement(db, "SELECT * FROM missing_table") }
            let bad = try SQLiteStatement(db, "SELECT ?")
            let rangeError = #expect(throws: DatabaseError.self) { try bad.bindInt64(2, 1) }
            #expect(rangeError?.resultCode == .SQLITE_RANGE)

            // Typed reads of the current row; NULL is nil, bytes are read in place.
            let select = try SQLiteStatement(db, "SELECT id, name, NULL FROM t ORDER BY id")
            var names: [String] = []
            while try select.step() {
                let row = select.row
                #expect(row.int64(0) == Int64(names.count + 1))
                names.append(try #require(row.text(1)))
                #expect(row.textBytes(1).map { Array($0) } == Array(names.last!.utf8))
                #expect(row.text(2) == nil && row.textBytes(2) == nil)
            }
            try select.reset()
            #expect(names == ["a", "b"])
        }
    }

    @Test func aDatabaseErrorBecomesOneLineAtTheEdge() {
        let error = DatabaseError(resultCode: .SQLITE_FULL, message: "database or disk is full\nsecond line", sql: "INSERT ...")
        #expect(DatabaseFailure.from(error)?.description == "database error: SQLite error 13: database or disk is full second line")
    }
}
