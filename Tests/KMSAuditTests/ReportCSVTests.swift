import CSV
import Foundation
import GRDB
import Testing
@testable import KMSAudit

/// The CSV reports, read back with CSV.swift's reader (a real RFC 4180 parser).
@Suite struct ReportCSVTests {
    static func read(_ text: String) throws -> (header: [String], rows: [[String]]) {
        let reader = try CSVReader(string: text, hasHeaderRow: true)
        var rows: [[String]] = []
        while let row = reader.next() { rows.append(row) }
        if let error = reader.error { throw error }
        return (reader.headerRow ?? [], rows)
    }

    @Test func findingsCSVHasTheDocumentedColumnsAndOneRowPerFinding() throws {
        let fixture = try ReportFixture.make()
        defer { fixture.remove() }
        let model = try fixture.model()
        let text = try CSVReport.findings(model)
        let (header, rows) = try Self.read(text)
        #expect(header == ["rule_id", "severity", "category", "key_arn", "principal", "resource", "first_seen",
                           "last_seen", "event_count", "fingerprint", "title", "remediation", "is_new", "suppressed",
                           "suppression_reason"])
        #expect(rows.count == (try fixture.findingCount()))
        for (row, f) in zip(rows, model.findings) {
            #expect(row.count == header.count)
            #expect(row[0] == f.ruleID && row[1] == f.severity.rawValue && row[9] == f.fingerprint)
            #expect(row[3] == (f.keyARN.map(SpreadsheetSafety.neutralised) ?? ""))
            #expect(row[8] == String(f.eventCount))
            #expect(row[11] == SpreadsheetSafety.neutralised(f.remediation))
            #expect(row[12] == (f.isNew ? "true" : "false") && row[13] == (f.suppressed ? "true" : "false"))
        }
        let suppressed = try #require(rows.first { $0[9] == "f002de1e9" })
        #expect(suppressed[13] == "true" && suppressed[14] == "Break-glass user, reviewed in CHG-1182")
        // RFC 4180 line ends, after the last row too; UTF-8 without BOM.
        #expect(text.hasSuffix("\r\n"))
        #expect(text.components(separatedBy: "\r\n").count - 1 == rows.count + 1)
        #expect(!text.hasPrefix("\u{FEFF}"))
    }

    @Test func evidenceCSVHasARowPerEvidenceEvent() throws {
        let fixture = try ReportFixture.make()
        defer { fixture.remove() }
        let model = try fixture.model(eventLimit: 1)  // evidence.csv ignores the display limit
        let text = try fixture.database.queue.read { db in try CSVReport.evidence(model, db: db) }
        let (header, rows) = try Self.read(text)
        #expect(header == ["fingerprint", "rule_id", "event_id", "event_time", "event_name", "principal", "source_ip",
                           "user_agent", "error_code", "encryption_context"])
        let expected = try fixture.database.queue.read { db in
            try Int.fetchOne(db, sql: """
                SELECT count(*) FROM finding_events fe JOIN findings f ON f.id = fe.finding_id WHERE f.run_id = ?
                """, arguments: [fixture.runID])
        }
        #expect(rows.count == expected)
        let disable = try #require(rows.first { $0[2] == "4a3864f4-8562-48e6-a0e5-795d63095b63" })
        #expect(disable[0] == "f004d15ab" && disable[1] == "KMS-004" && disable[4] == "DisableKey")
        #expect(disable[6] == "216.160.83.56")
        let missing = try #require(rows.first { $0[2] == "ffffffff-0000-4000-8000-00000000dead" })
        #expect(missing[3] == "" && missing[4] == "")
        let decrypt = try #require(rows.first { $0[2] == "abcde202-ba1a-467c-b4ba-f729d45ae521" })
        let context = try JSONSerialization.jsonObject(with: Data(decrypt[9].utf8)) as? [String: String]
        #expect(context == ["Department": "Engineering", "Project": "Alpha"])
        // Rows follow findings.csv's finding order.
        let order = model.findings.map(\.fingerprint)
        let seen = rows.map(\.[0]).reduce(into: [String]()) { if $0.last != $1 { $0.append($1) } }
        #expect(seen == order.filter { Set(seen).contains($0) })
    }

    @Test func manyRowsCrossWriterBatchesIntact() throws {
        let fixture = try ReportFixture.make()
        defer { fixture.remove() }
        try fixture.database.queue.write { db in
            let id = try Int64.fetchOne(db, sql: "SELECT id FROM findings WHERE fingerprint = 'f001a11ce' AND run_id = ?",
                                        arguments: [fixture.runID])!
            for i in 0..<1234 {
                try db.execute(sql: "INSERT INTO finding_events VALUES (?, ?)",
                               arguments: [id, String(format: "00000000-1111-4000-8000-%012d", i)])
            }
        }
        let model = try fixture.model()
        let text = try fixture.database.queue.read { db in try CSVReport.evidence(model, db: db) }
        let (_, rows) = try Self.read(text)
        #expect(rows.count == 1234 + 16)
        #expect(rows.allSatisfy { $0.count == 10 })
        #expect(Set(rows.map { $0[0] + " " + $0[2] }).count == rows.count)
    }

    @Test func writesFilesAtomicallyWithTheSameContent() throws {
        let fixture = try ReportFixture.make()
        defer { fixture.remove() }
        let model = try fixture.model()
        let findings = fixture.directory.appendingPathComponent("findings.csv")
        try "old".write(to: findings, atomically: true, encoding: .utf8)
        let written = try fixture.database.queue.read { db in
            try ReportWriter.write([.csv], model, db: db, into: fixture.directory, namings: [.folder, .stem("night"), .prefixed("named-")])
        }
        #expect(written.map(\.lastPathComponent) == ["findings.csv", "evidence.csv", "databases.csv",
                                                     "night.csv", "night-evidence.csv", "night-databases.csv",
                                                     "named-findings.csv", "named-evidence.csv", "named-databases.csv"])
        let evidenceText = try fixture.database.queue.read { db in try CSVReport.evidence(model, db: db) }
        for name in ["findings.csv", "night.csv", "named-findings.csv"] {
            #expect(try String(contentsOf: fixture.directory.appendingPathComponent(name), encoding: .utf8)
                    == (try CSVReport.findings(model)))
        }
        for name in ["evidence.csv", "night-evidence.csv", "named-evidence.csv"] {
            #expect(try String(contentsOf: fixture.directory.appendingPathComponent(name), encoding: .utf8) == evidenceText)
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: fixture.directory.path).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty)
    }

    /// One writer for every CSV: quoting is decided on bytes (a CR or LF inside a grapheme
    /// cluster, such as CRLF, still quotes the cell), quotes are doubled, formulas neutralised
    /// once, every row ends with CRLF; CSV.swift (an independent reader) reads back the cells.
    @Test func oneWriterQuotesOnBytesAndNeutralisesOnce() throws {
        let cells = ["plain", "a,b", "say \"hi\"", "two\r\nlines", "lf\nonly", "=1+1", "-2", "'=x", "é,\u{301}", ""]
        let text = CSVTable.text(columns: ["c"], rows: [cells])
        #expect(text == "c\r\nplain,\"a,b\",\"say \"\"hi\"\"\",\"two\r\nlines\",\"lf\nonly\",'=1+1,'-2,'=x,\"é,\u{301}\",\r\n")
        let (_, rows) = try Self.read(text)
        let expected = cells.map(SpreadsheetSafety.neutralised)
        #expect(rows == [expected])
        // `kmsaudit query --format csv` goes through the same writer.
        #expect(CSVTable.line(["=cmd"]) == "'=cmd\r\n")
    }

    @Test func spreadsheetSafetyNeutralisesFormulaStartsOnly() {
        for cell in ["=1+1", "+1", "-1", "@A1", "\t=1", "\r=1", "＝1+1"] {
            #expect(SpreadsheetSafety.neutralised(cell) == "'" + cell)
        }
        for cell in ["", "arn:aws:kms:us-east-1:1:key/x", "2024-10-10T15:00:00Z", "12", "a=b", " =1", "'=1"] {
            #expect(SpreadsheetSafety.neutralised(cell) == cell)
        }
    }

    /// docs/REPORTS.md names every column, in order.
    @Test func columnsAreDocumented() throws {
        let doc = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../docs/REPORTS.md"), encoding: .utf8)
        for (heading, columns) in [("### `findings.csv`", CSVReport.findingsColumns),
                                   ("### `evidence.csv`", CSVReport.evidenceColumns),
                                   ("### `databases.csv`", CSVReport.databasesColumns)] {
            let section = try #require(doc.range(of: heading), "no section \(heading)")
            let positions = columns.map { doc.range(of: "| `\($0)` |", range: section.upperBound..<doc.endIndex)?.lowerBound }
            #expect(!positions.contains(nil), "undocumented: \(zip(columns, positions).filter { $0.1 == nil }.map(\.0))")
            let found = positions.compactMap { $0 }
            #expect(found == found.sorted(), "documented out of order")
        }
    }
}
