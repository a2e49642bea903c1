import CSV
import Foundation
import GRDB

/// The CSV reports: `findings.csv` (one row per finding) and `evidence.csv` (one row per event a
/// finding cites). Columns are fixed and documented in docs/REPORTS.md; new ones are only ever
/// appended. RFC 4180: UTF-8 without BOM, CRLF after every row (the last one too), fields quoted
/// when they hold a comma, quote, CR or LF. Every cell passes `SpreadsheetSafety` first.
package enum CSVReport {
    package static let findingsColumns = [
        "rule_id", "severity", "category", "key_arn", "principal", "resource", "first_seen", "last_seen",
        "event_count", "fingerprint", "title", "remediation", "is_new", "suppressed", "suppression_reason",
    ]

    package static let evidenceColumns = [
        "fingerprint", "rule_id", "event_id", "event_time", "event_name", "principal", "source_ip",
        "user_agent", "error_code", "encryption_context",
    ]

    /// findings.csv as text.
    package static func findings(_ model: ReportModel) throws -> String {
        var out = Data()
        try writeFindings(model) { out.append($0) }
        return String(decoding: out, as: UTF8.self)
    }

    /// evidence.csv as text. It reads the database because it lists every evidence event, not
    /// only the ones the model loaded for display (`ReportModel.eventLimit`).
    package static func evidence(_ model: ReportModel, db: Database) throws -> String {
        var out = Data()
        try writeEvidence(model, db: db) { out.append($0) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Any table in the same dialect (the evidence pack's ledger of input files).
    package static func table(columns: [String], rows: [[String]]) throws -> String {
        var out = Data()
        try withoutActuallyEscaping({ (d: Data) in out.append(d) }) { sink in
            let table = try CSVTable(columns: columns, sink: sink)
            for row in rows { try table.add(row) }
            try table.finish()
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Writes findings.csv to `url` (atomically: a reader never sees half a file).
    package static func writeFindings(_ model: ReportModel, to url: URL) throws {
        try writeAtomically(url) { sink in try writeFindings(model, sink) }
    }

    /// Writes evidence.csv to `url`, streaming the events from the database.
    package static func writeEvidence(_ model: ReportModel, db: Database, to url: URL) throws {
        try writeAtomically(url) { sink in try writeEvidence(model, db: db, sink) }
    }

    static func writeFindings(_ model: ReportModel, _ sink: (Data) throws -> Void) throws {
        try withoutActuallyEscaping(sink) { sink in
            let table = try CSVTable(columns: findingsColumns, sink: sink)
            for f in model.findings { try table.add(row(f)) }
            try table.finish()
        }
    }

    static func writeEvidence(_ model: ReportModel, db: Database, _ sink: (Data) throws -> Void) throws {
        try withoutActuallyEscaping(sink) { sink in
            let table = try CSVTable(columns: evidenceColumns, sink: sink)
            // Same finding order as findings.csv, then the events oldest first.
            for finding in model.findings {
                let rows = try Row.fetchCursor(db, sql: """
                    SELECT \(ReportModel.evidenceColumns)
                    FROM finding_events fe LEFT JOIN events e ON e.event_id = fe.event_id
                    WHERE fe.finding_id = ?
                    ORDER BY e.event_time IS NULL, e.event_time, fe.event_id
                    """, arguments: [finding.id])
                while let row = try rows.next() {
                    try table.add(self.row(finding, ReportModel.evidenceEvent(row)))
                }
            }
            try table.finish()
        }
    }

    /// A findings.csv row, in `findingsColumns` order.
    static func row(_ f: ReportModel.Finding) -> [String] {
        var cells: [String] = [f.ruleID, f.severity.rawValue, f.category ?? "", f.keyARN ?? ""]
        cells += [f.principal ?? "", f.resource ?? "", f.firstSeen ?? "", f.lastSeen ?? ""]
        cells += [String(f.eventCount), f.fingerprint, f.title, f.remediation]
        cells += [f.isNew ? "true" : "false", f.suppressed ? "true" : "false", f.suppressionReason ?? ""]
        return cells
    }

    /// An evidence.csv row, in `evidenceColumns` order.
    static func row(_ f: ReportModel.Finding, _ e: ReportModel.EvidenceEvent) -> [String] {
        var cells: [String] = [f.fingerprint, f.ruleID, e.eventID, e.eventTime ?? "", e.eventName ?? ""]
        cells += [e.principal ?? "", e.sourceIP ?? "", e.userAgent ?? "", e.errorCode ?? ""]
        cells += [e.encryptionContext ?? ""]
        return cells
    }

    private static func writeAtomically(_ url: URL, _ body: ((Data) throws -> Void) throws -> Void) throws {
        let temp = url.deletingLastPathComponent()
            .appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
        _ = FileManager.default.createFile(atPath: temp.path, contents: nil)
        let handle = try FileHandle(forWritingTo: temp)
        do {
            try body { try handle.write(contentsOf: $0) }
            try handle.close()
            // rename(2) replaces an existing file in one step.
            guard rename(temp.path, url.path) == 0 else {
                throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: url.path,
                    NSLocalizedDescriptionKey: "cannot move the report into place: \(String(cString: strerror(errno)))"])
            }
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(at: temp)
            throw error
        }
    }
}

/// Rows through CSV.swift's writer into memory, handed to `sink` in batches.
///
/// CSVWriter writes one byte per stream call, which on a file stream is one system call per
/// byte; an in-memory stream flushed every few hundred rows keeps that cheap. Each batch gets a
/// fresh writer, and every row is followed by CRLF (CSVWriter puts none after the last row).
final class CSVTable {
    private let sink: (Data) throws -> Void
    private var stream: OutputStream
    private var writer: CSVWriter
    private var rowsInBatch = 0
    private static let batchRows = 500

    init(columns: [String], sink: @escaping (Data) throws -> Void) throws {
        self.sink = sink
        (stream, writer) = try CSVTable.makeWriter()
        try add(columns)
    }

    /// Writes one row; cells are neutralised against spreadsheet formulas.
    func add(_ cells: [String]) throws {
        try writer.write(row: cells.map(SpreadsheetSafety.neutralised))
        rowsInBatch += 1
        if rowsInBatch >= CSVTable.batchRows { try flush() }
    }

    func finish() throws { try flush() }

    private func flush() throws {
        guard rowsInBatch > 0 else { return }
        var data = (stream.property(forKey: .dataWrittenToMemoryStreamKey) as? Data) ?? Data()
        stream.close()
        data.append(contentsOf: [0x0D, 0x0A])
        try sink(data)
        (stream, writer) = try CSVTable.makeWriter()
        rowsInBatch = 0
    }

    private static func makeWriter() throws -> (OutputStream, CSVWriter) {
        let stream = OutputStream.toMemory()
        stream.open()
        return (stream, try CSVWriter(stream: stream, codecType: UTF8.self, newline: .crlf))
    }
}
