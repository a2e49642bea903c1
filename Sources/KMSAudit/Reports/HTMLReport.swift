import Foundation
import Mustache

/// The HTML report: one self-contained file a compliance team opens, prints and files.
///
/// Rendering is two steps. `HTMLView.init` turns the model into plain structs of strings, flags
/// and arrays (what the templates show, already formatted), and swift-mustache fills the
/// templates in `Templates/` with them. Every value goes through `{{x}}`, which HTML-escapes it;
/// the templates never use `{{{x}}}` or `{{&x}}` (a test checks), so log text cannot become markup.
/// View structs hold no optionals: Mustache looks a nil value up in the enclosing contexts, which
/// would show, say, the finding's principal in an event row that has none.
package enum HTMLReport {
    package static func render(_ model: ReportModel) throws -> String {
        let library = try templates()
        guard let html = library.render(reflectedOnce(HTMLView(model)), withTemplate: "report") else {
            throw HTMLReportError.missingTemplate("report")
        }
        return html
    }

    /// The templates, embedded in the binary by Package.swift (`.embedInCode`), as a library so
    /// the page can include the style, script, chart and card partials by name.
    static func templates() throws -> MustacheLibrary {
        let sources: [(String, [UInt8])] = [
            ("report", PackageResources.report_html_mustache),
            ("style", PackageResources.report_css_mustache),
            ("script", PackageResources.report_js_mustache),
            ("chart", PackageResources.chart_svg_mustache),
            ("card", PackageResources.finding_card_html_mustache),
            ("evidence", PackageResources.evidence_html_mustache),
            ("databases", PackageResources.databases_html_mustache),
        ]
        var library = MustacheLibrary()
        for (name, bytes) in sources {
            do {
                try library.register(String(decoding: bytes, as: UTF8.self), named: name)
            } catch {
                throw HTMLReportError.badTemplate(name, "\(error)")
            }
        }
        return library
    }

    /// The view tree with every struct turned into a `[String: Any]` of its stored properties.
    ///
    /// swift-mustache reads a struct's field by building a `Mirror` of the whole struct at every
    /// `{{name}}`, which for a card of 40 fields and its event rows dominated rendering (16 s for
    /// 2,000 findings in a debug build). A dictionary is looked up directly (swift-mustache's
    /// `MustacheParent`), so each struct is reflected once here instead. Lookup semantics are the
    /// same: a missing name is looked up in the enclosing contexts.
    static func reflectedOnce(_ value: Any) -> Any {
        switch value {
        case is String, is Bool, is Int, is [String]: return value
        case let array as [Any]: return array.map(reflectedOnce)
        default:
            let mirror = Mirror(reflecting: value)
            guard mirror.displayStyle == .struct else { return value }
            var fields: [String: Any] = [:]
            for child in mirror.children {
                if let label = child.label { fields[label] = reflectedOnce(child.value) }
            }
            return fields
        }
    }

    /// The template sources, for tests that check what they may not contain.
    static var templateSources: [String: String] {
        [
            "report.html": String(decoding: PackageResources.report_html_mustache, as: UTF8.self),
            "report.css": String(decoding: PackageResources.report_css_mustache, as: UTF8.self),
            "report.js": String(decoding: PackageResources.report_js_mustache, as: UTF8.self),
            "chart.svg": String(decoding: PackageResources.chart_svg_mustache, as: UTF8.self),
            "finding-card.html": String(decoding: PackageResources.finding_card_html_mustache, as: UTF8.self),
            "evidence.html": String(decoding: PackageResources.evidence_html_mustache, as: UTF8.self),
            "databases.html": String(decoding: PackageResources.databases_html_mustache, as: UTF8.self),
        ]
    }
}

package enum HTMLReportError: Error, CustomStringConvertible {
    case missingTemplate(String)
    case badTemplate(String, String)

    package var description: String {
        switch self {
        case .missingTemplate(let n): return "report template \(n) is missing"
        case .badTemplate(let n, let e): return "report template \(n) does not parse: \(e)"
        }
    }
}
