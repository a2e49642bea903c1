/// Geometry of a small horizontal bar chart, drawn by the `chart.svg.mustache` partial.
///
/// The chart is inline SVG, not an image or a script library, so the report stays one file with
/// no request. Swift computes every coordinate and the template only places them through `{{x}}`:
/// labels (rule ids come from rule files anyone can write) are escaped like all other text, and no
/// markup is ever assembled as a string.
struct SVGChart {
    struct Segment {
        var severity: String
        var x: Int
        var width: Int
        var count: Int
    }

    struct Bar {
        var label: String
        var total: Int
        var labelY: Int
        var barY: Int
        var totalX: Int
        var segments: [Segment]
    }

    var title: String
    var width: Int
    var height: Int
    var barHeight: Int
    var bars: [Bar]

    static let labelWidth = 110
    static let plotWidth = 300
    static let rowHeight = 26
    static let barHeight = 16

    /// One bar per row; each row's counts are stacked by severity, highest severity first.
    init(title: String, rows: [(label: String, counts: [Severity: Int])]) {
        self.title = title
        let maximum = max(1, rows.map { $0.counts.values.reduce(0, +) }.max() ?? 1)
        barHeight = SVGChart.barHeight
        width = SVGChart.labelWidth + SVGChart.plotWidth + 50
        height = max(SVGChart.rowHeight, rows.count * SVGChart.rowHeight) + 4
        bars = rows.enumerated().map { index, row in
            let top = index * SVGChart.rowHeight + 4
            var x = SVGChart.labelWidth
            var segments: [Segment] = []
            for severity in Severity.reportOrder {
                let count = row.counts[severity] ?? 0
                guard count > 0 else { continue }
                // At least 2 px so a single finding next to hundreds still shows.
                let w = max(2, count * SVGChart.plotWidth / maximum)
                segments.append(Segment(severity: severity.rawValue, x: x, width: w, count: count))
                x += w
            }
            let total = row.counts.values.reduce(0, +)
            return Bar(label: row.label, total: total, labelY: top + 12, barY: top,
                       totalX: x + 6, segments: segments)
        }
    }

    /// Active findings per severity.
    static func bySeverity(_ findings: [ReportModel.Finding]) -> SVGChart {
        SVGChart(title: "Findings by severity", rows: Severity.reportOrder.map { severity in
            (label: severity.label, counts: [severity: findings.filter { $0.severity == severity }.count])
        })
    }

    /// Active findings per rule, stacked by severity.
    static func byRule(_ findings: [ReportModel.Finding], ruleIDs: [String]) -> SVGChart {
        SVGChart(title: "Findings by rule", rows: ruleIDs.map { rule in
            var counts: [Severity: Int] = [:]
            for f in findings where f.ruleID == rule { counts[f.severity, default: 0] += 1 }
            return (label: rule, counts: counts)
        })
    }
}
