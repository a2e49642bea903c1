/// Neutralising CSV cells a spreadsheet would run as a formula ("CSV injection").
///
/// Excel, LibreOffice and Google Sheets evaluate a cell whose text starts with `=`, `+`, `-` or
/// `@`, and a leading tab or carriage return can hide such a start. Log text (user agents, role
/// session names, encryption-context values) is written by whoever made the call, so an attacker
/// can plant `=HYPERLINK(...)` in a trail. CSV.swift quotes correctly but knows nothing about
/// formulas, so every cell passes through here before it is written: a dangerous cell gets a
/// leading `'`, which spreadsheets show as text and do not evaluate. The rest of the text is
/// unchanged, so a program reading the CSV strips exactly one leading `'` from such cells.
package enum SpreadsheetSafety {
    /// Characters that make a spreadsheet treat a cell as a formula when they come first.
    /// The full-width forms are included because some spreadsheet locales fold them.
    static let formulaStarts: Set<Unicode.Scalar> = [
        "=", "+", "-", "@", "\t", "\r",
        "\u{FF1D}", "\u{FF0B}", "\u{FF0D}", "\u{FF20}",
    ]

    /// The cell as it should be written: prefixed with `'` when it could run as a formula.
    package static func neutralised(_ cell: String) -> String {
        guard let first = cell.unicodeScalars.first, formulaStarts.contains(first) else { return cell }
        return "'" + cell
    }

    /// Whether `cell` would be taken for a formula.
    package static func isDangerous(_ cell: String) -> Bool {
        guard let first = cell.unicodeScalars.first else { return false }
        return formulaStarts.contains(first)
    }
}
