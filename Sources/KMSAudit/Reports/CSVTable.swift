import Foundation

/// The one CSV writer: findings.csv, evidence.csv, databases.csv, the evidence pack's
/// inputs.csv and `kmsaudit query --format csv` all come through it.
///
/// RFC 4180: UTF-8 without BOM, CRLF after every row (the last one too), a field quoted when it
/// holds a comma, quote, CR or LF (tested on bytes, so a CR or LF inside any grapheme counts), a
/// quote inside doubled. Every cell passes `SpreadsheetSafety` first, here and nowhere else.
/// Rows are buffered and handed to the sink in blocks, so a file sink costs a write per block.
final class CSVTable {
    private let sink: (Data) throws -> Void
    private var buffer = Data()
    private static let flushBytes = 64 << 10

    init(columns: [String], sink: @escaping (Data) throws -> Void) throws {
        self.sink = sink
        try add(columns)
    }

    /// Writes one row.
    func add(_ cells: [String]) throws {
        Self.append(cells, to: &buffer)
        if buffer.count >= Self.flushBytes { try flush() }
    }

    /// Hands the rest to the sink; call once after the last row.
    func finish() throws { try flush() }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        try sink(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    /// A whole table as text (the header, then the rows).
    static func text(columns: [String], rows: [[String]]) -> String {
        var out = Data()
        append(columns, to: &out)
        for row in rows { append(row, to: &out) }
        return String(decoding: out, as: UTF8.self)
    }

    /// One row as text, CRLF included.
    static func line(_ cells: [String]) -> String {
        var out = Data()
        append(cells, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    private static func append(_ cells: [String], to out: inout Data) {
        for (i, cell) in cells.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            appendCell(SpreadsheetSafety.neutralised(cell), to: &out)
        }
        out.append(contentsOf: [0x0D, 0x0A])
    }

    /// Comma, quote, CR, LF.
    private static func needsQuoting(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x2C, 0x22, 0x0D, 0x0A: return true
        default: return false
        }
    }

    private static func appendCell(_ cell: String, to out: inout Data) {
        let utf8 = cell.utf8
        let needsQuotes = utf8.contains(where: needsQuoting)
        guard needsQuotes else { out.append(contentsOf: utf8); return }
        out.append(UInt8(ascii: "\""))
        for byte in utf8 {
            if byte == 0x22 { out.append(byte) }  // a quote is doubled
            out.append(byte)
        }
        out.append(UInt8(ascii: "\""))
    }
}
