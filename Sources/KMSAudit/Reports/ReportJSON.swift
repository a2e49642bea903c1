import Foundation
import GRDB

/// An ordered JSON value, for the evidence of findings and the JSON report.
///
/// Rules write their evidence objects with their keys in a meaningful order (count, times, then
/// lists). Foundation's JSON parsers return unordered dictionaries, so evidence is read through
/// SQLite's `json_tree` (which keeps document order) and written back by `serialized()` (which
/// keeps it too); the JSON report's own objects then come out in their documented order.
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

// MARK: - Reading through SQLite

extension ReportJSON {
    /// Parses `text` with SQLite's `json_tree`, keeping the order of object members.
    /// Returns nil when the text is not valid JSON (the caller shows it as plain text).
    static func parse(_ text: String, db: Database) -> ReportJSON? {
        guard let rows = try? Row.fetchAll(
            db, sql: "SELECT id, parent, key, type, atom FROM json_tree(?) ORDER BY id",
            arguments: [text]), !rows.isEmpty
        else { return nil }

        var nodes: [Int64: TreeNode] = [:]
        var root: Int64?
        for row in rows {
            let id: Int64 = row["id"]
            let parent: Int64? = row["parent"]
            let type: String = row["type"]
            // Array elements have an integer key; only object members' keys matter. Atoms are
            // converted here, once, into plain Swift values.
            // fromDatabaseValue returns nil on a type mismatch where a typed subscript would trap.
            let key: DatabaseValue = row["key"]
            let atom: DatabaseValue = row["atom"]
            var node = TreeNode(type: type, key: String.fromDatabaseValue(key))
            switch type {
            case "integer": node.integer = Int64.fromDatabaseValue(atom)
            case "real": node.real = Double.fromDatabaseValue(atom)
            case "text": node.text = String.fromDatabaseValue(atom)
            default: break
            }
            nodes[id] = node
            if let parent { nodes[parent]?.children.append(id) } else if root == nil { root = id }
        }
        guard let root else { return nil }
        return build(root, nodes)
    }

    /// One row of `json_tree`, its atom already converted.
    private struct TreeNode {
        var type: String
        var key: String?
        var integer: Int64?
        var real: Double?
        var text: String?
        var children: [Int64] = []
        init(type: String, key: String?) { self.type = type; self.key = key }
    }

    private static func build(_ id: Int64, _ nodes: [Int64: TreeNode]) -> ReportJSON {
        guard let node = nodes[id] else { return .null }
        switch node.type {
        case "true": return .bool(true)
        case "false": return .bool(false)
        case "integer": return node.integer.map(ReportJSON.int) ?? .null
        case "real": return node.real.map(ReportJSON.double) ?? .null
        case "text": return node.text.map(ReportJSON.string) ?? .null
        case "array": return .array(node.children.map { build($0, nodes) })
        case "object": return .object(node.children.map { Member(nodes[$0]?.key ?? "", build($0, nodes)) })
        default: return .null
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
