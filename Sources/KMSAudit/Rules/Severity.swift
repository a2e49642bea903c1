/// Finding severities, ordered: `--fail-on high` fails on high and critical.
package enum Severity: String, CaseIterable, Comparable, Codable, Sendable {
    case info, low, medium, high, critical

    var rank: Int { Self.allCases.firstIndex(of: self)! }
    package static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
}
