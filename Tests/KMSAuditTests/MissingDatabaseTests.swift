import Foundation
import Testing
@testable import KMSAudit

/// A mistyped `--db` in a cron line must not become a new, empty database that audits clean:
/// only `ingest` and `audit` create one, and `check` refuses a database with nothing ingested.
@Suite struct MissingDatabaseTests {
    static let commands: [(name: String, arguments: [String])] = [
        ("check", ["check"]),
        ("verify", ["verify"]),
        ("report", ["report", "--format", "json"]),
        ("query", ["query", "SELECT 1"]),
    ]

    @Test(arguments: commands.map(\.name))
    func aMissingDatabaseIsRefusedWithExitTwo(_ name: String) throws {
        let dir = try TestSupport.temporaryDirectory("missing-db-\(name)")
        let arguments = Self.commands.first { $0.name == name }!.arguments
        // Relative, as in a cron line run from the audit directory.
        let result = try TestSupport.kmsaudit(arguments + ["--db", "nonexist.sqlite"], in: dir)
        #expect(result.status == 2)
        #expect(result.stderr == "kmsaudit: no database at nonexist.sqlite (run kmsaudit ingest first)\n")
        #expect(result.stdout.isEmpty)
        // Nothing created: neither the database nor its lock file.
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == [])
    }

    @Test func checkOnADatabaseWithNoIngestedFileExitsTwo() throws {
        let dir = try TestSupport.temporaryDirectory()
        let logs = dir.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        // A database whose only file failed: the ledger holds no `ok` file.
        try FileManager.default.copyItem(at: TestSupport.fixture("reading/corrupt.json.gz"),
                                         to: logs.appendingPathComponent("corrupt.json.gz"))
        let db = dir.appendingPathComponent("audit.sqlite").path
        let ingest = try TestSupport.kmsaudit(["ingest", logs.path, "--db", db, "--quiet"])
        #expect(ingest.status == 3)
        #expect(FileManager.default.fileExists(atPath: db))

        let refused = try TestSupport.kmsaudit(["check", "--db", db])
        #expect(refused.status == 2)
        #expect(refused.stderr == "kmsaudit: no ingested file in \(db) (run kmsaudit ingest first)\n")
        #expect(!refused.stdout.contains("findings"))

        // The same database after a real file landed: check runs.
        try FileManager.default.copyItem(at: TestSupport.fixture("ingest/awsdocs-aws-kms-developer-guide.Records.json.gz"),
                                         to: logs.appendingPathComponent("kms.json.gz"))
        #expect(try TestSupport.kmsaudit(["ingest", logs.path, "--db", db, "--quiet"]).status == 3)  // corrupt.json.gz still fails
        let checked = try TestSupport.kmsaudit(["check", "--db", db])
        #expect(checked.status == 0 || checked.status == 1, "\(checked.stderr)")
        #expect(checked.stderr.isEmpty)
    }

    @Test func ingestStillCreatesADatabase() throws {
        let dir = try TestSupport.temporaryDirectory()
        let result = try TestSupport.kmsaudit(["ingest", TestSupport.fixture("ingest/awsdocs-aws-kms-developer-guide.Records.json.gz").path,
                                              "--db", "new.sqlite", "--quiet"], in: dir)
        #expect(result.status == 0)
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("new.sqlite").path))
        let checked = try TestSupport.kmsaudit(["check", "--db", "new.sqlite"], in: dir)
        #expect(checked.status == 0 || checked.status == 1, "\(checked.stderr)")
    }
}
