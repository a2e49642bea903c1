import Foundation

/// An ordered JSON value, for the evidence of findings and the JSON report.
///
/// Rules write their evidence objects with their keys in a meaningful order (count, times, then
/// lists). Foundation's JSON parsers return unordered dictionaries, so evidence is read by the
/// project's own parser (`parse`, ReportJSONParser.swift: order-preserving, with size and depth
/// limits) and written back by `serialized()` (which keeps the order too); the JSON report's own
/// objects then come out in their documented order.
package indirect enum ReportJSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([ReportJSON])
    case object([Member])

    /// `nil` becomes `null`: the JSON report writes every documented field, present or not.
    package static func from(_ value: String?) -> ReportJSON { value.map(ReportJSON.string) ?? .null }
    package static func from(_ value: Int64?) -> ReportJSON { value.map(ReportJSON.int) ?? .null }
    package static func from(_ values: [String]?) -> ReportJSON {
        values.map { .array($0.map(ReportJSON.string)) } ?? .null
    }

    /// The member named `key` of an object.
    package subscript(key: String) -> ReportJSON? {
        if case .object(let members) = self { return members.first { $0.key == key }?.value }
        return nil
    }

    package var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    package var isScalar: Bool {
        switch self {
        case .array, .object: return false
        default: return true
        }
    }
}

extension ReportJSON {
    /// One key and value of a JSON object (a tuple cannot be `Equatable`).
    package struct Member: Sendable, Equatable {
        package var key: String
        package var value: ReportJSON
        package init(_ key: String, _ value: ReportJSON) {
            self.key = key
            self.value = value
        }
    }
}

// MARK: - Writing

extension ReportJSON {
    /// JSON text. `indent` spaces per level (pretty, one member per line), or compact when nil.
    package func serialized(indent: Int? = 2) -> String {
        var out = ""
        write(to: &out, indent: indent, level: 0)
        return out
    }

    private func write(to out: inout String, indent: Int?, level: Int) {
        func newline(_ level: Int) {
            guard let indent else { return }
            out += "\n" + String(repeating: " ", count: indent * level)
        }
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d): out += d.isFinite ? "\(d)" : "null"
        case .string(let s): ReportJSON.writeString(s, to: &out)
        case .array(let items):
            if items.isEmpty { out += "[]"; return }
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                newline(level + 1)
                item.write(to: &out, indent: indent, level: level + 1)
            }
            newline(level)
            out += "]"
        case .object(let members):
            if members.isEmpty { out += "{}"; return }
            out += "{"
            for (i, member) in members.enumerated() {
                if i > 0 { out += "," }
                newline(level + 1)
                ReportJSON.writeString(member.key, to: &out)
                out += indent == nil ? ":" : ": "
                member.value.write(to: &out, indent: indent, level: level + 1)
            }
            newline(level)
            out += "}"
        }
    }

    /// RFC 8259 string escaping: quote, backslash and every control character.
    static func writeString(_ s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            case "\u{2028}": out += "\\u2028"
            case "\u{2029}": out += "\\u2029"
            default:
                if scalar.value < 0x20 {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }
}
