import Foundation
import GRDB

/// `kmsaudit query`: ad-hoc SQL on a read-only connection. A statement that would write fails
/// (SQLite refuses it) and nothing changes.
package enum QueryRunner {
    package enum Format: String, CaseIterable, Sendable { case table, csv, json }

    package struct Result {
        package var columns: [String]
        /// Values as SQLite returned them: String, Int64, Double, Data or nil.
        package var rows: [[DatabaseValue]]
    }

    package static func run(databasePath: String, sql: String) throws -> Result {
        let database = try AuditDatabase(path: databasePath, readonly: true)
        do {
            return try database.queue.read { db in
                let statement = try db.makeStatement(sql: sql)
                let columns = statement.columnNames
                var rows: [[DatabaseValue]] = []
                let cursor = try Row.fetchCursor(statement)
                while let row = try cursor.next() {
                    rows.append(row.databaseValues.map { $0 })
                }
                return Result(columns: columns, rows: rows)
            }
        } catch let error as DatabaseError {
            if error.resultCode == .SQLITE_READONLY || error.message?.contains("readonly") == true
                || error.message?.contains("read-only") == true {
                throw DatabaseFailure.readOnly(reason: "`kmsaudit query` does not change the database (\(error.message ?? "write refused"))")
            }
            throw DatabaseFailure.sql(reason: error.message ?? "\(error)")
        }
    }

    /// Renders a result: an aligned text table, RFC 4180 CSV (formula-safe), or a JSON array of objects.
    package static func render(_ result: Result, as format: Format) -> String {
        switch format {
        case .table:
            let cells = result.rows.map { $0.map(text) }
            var widths = result.columns.map { $0.count }
            for row in cells { for (i, c) in row.enumerated() { widths[i] = min(60, max(widths[i], c.count)) } }
            func line(_ values: [String]) -> String {
                values.enumerated().map { i, v in
                    let clipped = v.count > 60 ? String(v.prefix(59)) + "…" : v
                    return clipped.padding(toLength: widths[i], withPad: " ", startingAt: 0)
                }.joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
            }
            var out = [line(result.columns), line(widths.map { String(repeating: "-", count: $0) })]
            out += cells.map(line)
            out.append("(\(result.rows.count) row\(result.rows.count == 1 ? "" : "s"))")
            return out.joined(separator: "\n") + "\n"
        case .csv:
            return CSVTable.text(columns: result.columns, rows: result.rows.map { $0.map(text) })
        case .json:
            let objects: [[String: Any]] = result.rows.map { row in
                var object: [String: Any] = [:]
                for (i, value) in row.enumerated() { object[result.columns[i]] = jsonValue(value) }
                return object
            }
            let data = (try? JSONSerialization.data(withJSONObject: objects, options: [.sortedKeys, .prettyPrinted])) ?? Data("[]".utf8)
            return String(decoding: data, as: UTF8.self) + "\n"
        }
    }

    static func text(_ value: DatabaseValue) -> String {
        switch value.storage {
        case .null: return ""
        case .int64(let i): return String(i)
        case .double(let d): return String(d)
        case .string(let s): return s
        case .blob(let data): return data.base64EncodedString()
        }
    }

    static func jsonValue(_ value: DatabaseValue) -> Any {
        switch value.storage {
        case .null: return NSNull()
        case .int64(let i): return i
        case .double(let d): return d
        case .string(let s): return s
        case .blob(let data): return data.base64EncodedString()
        }
    }
}
