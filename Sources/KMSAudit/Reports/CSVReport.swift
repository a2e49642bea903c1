import Foundation
import GRDB

/// The CSV reports: `findings.csv` (one row per finding) and `evidence.csv` (one row per event a
/// finding cites). Columns are fixed and documented in docs/REPORTS.md; new ones are only ever
/// appended. Written by `CSVTable` (RFC 4180, formula-neutralised), like every CSV of the project.
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
    package static func table(columns: [String], rows: [[String]]) -> String {
        CSVTable.text(columns: columns, rows: rows)
    }

    static func writeFindings(_ model: ReportModel, _ sink: (Data) throws -> Void) throws {
        try withoutActuallyEscaping(sink) { sink in
            let table = try CSVTable(columns: findingsColumns, sink: sink)
            for f in model.findings { try table.add(row(f)) }
            try table.finish()
        }
    }

    /// Every finding's events in one query, in findings.csv's finding order (the model's ids,
    /// passed as a JSON array, give each finding its position), then oldest first.
    static func writeEvidence(_ model: ReportModel, db: Database, _ sink: (Data) throws -> Void) throws {
        let order = "[" + model.findings.map { String($0.id) }.joined(separator: ",") + "]"
        try withoutActuallyEscaping(sink) { sink in
            let table = try CSVTable(columns: evidenceColumns, sink: sink)
            let rows = try Row.fetchCursor(db, sql: """
                SELECT CAST(o.key AS INTEGER) AS finding_position, \(ReportModel.evidenceColumns)
                FROM json_each(?) o JOIN finding_events fe ON fe.finding_id = o.value
                LEFT JOIN events e ON e.id = \(EventIDStore.rowOf("fe.event_id"))
                ORDER BY o.key, e.event_time IS NULL, e.event_time, fe.event_id
                """, arguments: [order])
            while let row = try rows.next() {
                let finding = model.findings[row["finding_position"]]
                try table.add(self.row(finding, ReportModel.evidenceEvent(row)))
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
}
