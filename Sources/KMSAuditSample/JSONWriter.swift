/// Writes JSON text straight into a byte buffer. Generating millions of records through
/// JSONEncoder or JSONSerialization would cost far more than deflating them, so records are
/// built by hand here: keys are static and known safe, values go through `string(_:)`, which
/// escapes exactly what RFC 8259 requires.
///
/// Commas are placed automatically: every key or array element after the first in its
/// container gets one, which needs only one flag (a value just ended, or a container just
/// opened).
struct JSONWriter {
    var bytes: [UInt8]
    private var needsComma = false

    init(capacity: Int = 4096) {
        bytes = []
        bytes.reserveCapacity(capacity)
    }

    /// Starts over with an empty buffer, keeping its storage.
    mutating func reset() {
        bytes.removeAll(keepingCapacity: true)
        needsComma = false
    }

    @inline(__always) private mutating func comma() {
        if needsComma { bytes.append(0x2C) }
    }

    mutating func beginObject() { comma(); bytes.append(0x7B); needsComma = false }
    mutating func endObject() { bytes.append(0x7D); needsComma = true }
    mutating func beginArray() { comma(); bytes.append(0x5B); needsComma = false }
    mutating func endArray() { bytes.append(0x5D); needsComma = true }

    /// `"key":`; the key must not need escaping (all keys here are literals).
    @inline(__always) mutating func key(_ k: StaticString) {
        comma()
        bytes.append(0x22)
        k.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(0x22); bytes.append(0x3A)
        needsComma = false
    }

    /// A key that comes from data (encryption context keys, policy keys).
    mutating func key(_ k: String) {
        comma()
        appendQuoted(k)
        bytes.append(0x3A)
        needsComma = false
    }

    /// A string value, escaped.
    mutating func string(_ s: String) {
        comma()
        appendQuoted(s)
        needsComma = true
    }

    /// A string value known to need no escaping (literals, ids, ARNs built from safe parts).
    @inline(__always) mutating func safe(_ s: StaticString) {
        comma()
        bytes.append(0x22)
        s.withUTF8Buffer { bytes.append(contentsOf: $0) }
        bytes.append(0x22)
        needsComma = true
    }

    /// A string value assembled by `body`, which appends raw (already safe) bytes.
    @inline(__always) mutating func stringBytes(_ body: (inout [UInt8]) -> Void) {
        comma()
        bytes.append(0x22)
        body(&bytes)
        bytes.append(0x22)
        needsComma = true
    }

    mutating func int(_ v: Int) {
        comma()
        JSONWriter.appendInt(&bytes, v)
        needsComma = true
    }

    mutating func bool(_ v: Bool) {
        comma()
        if v { bytes.append(contentsOf: [0x74, 0x72, 0x75, 0x65]) } else { bytes.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65]) }
        needsComma = true
    }

    mutating func null() {
        comma()
        bytes.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C])
        needsComma = true
    }

    // MARK: Convenience for the common `"key": value` members.

    mutating func field(_ k: StaticString, _ v: String) { key(k); string(v) }
    mutating func field(_ k: StaticString, safe v: StaticString) { key(k); safe(v) }
    mutating func field(_ k: StaticString, _ v: Int) { key(k); int(v) }
    mutating func field(_ k: StaticString, _ v: Bool) { key(k); bool(v) }

    // MARK: Escaping

    private mutating func appendQuoted(_ s: String) {
        bytes.append(0x22)
        var s = s
        s.withUTF8 { JSONWriter.appendEscaped(&bytes, $0) }
        bytes.append(0x22)
    }

    /// Appends `utf8` with `"`, `\` and control characters escaped; everything else (valid UTF-8
    /// from a Swift String) is copied as is.
    static func appendEscaped(_ out: inout [UInt8], _ utf8: UnsafeBufferPointer<UInt8>) {
        var runStart = 0
        for i in 0..<utf8.count {
            let c = utf8[i]
            guard c < 0x20 || c == 0x22 || c == 0x5C else { continue }
            if runStart < i { out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<i])) }
            out.append(0x5C)
            switch c {
            case 0x22: out.append(0x22)
            case 0x5C: out.append(0x5C)
            case 0x0A: out.append(0x6E)
            case 0x0D: out.append(0x72)
            case 0x09: out.append(0x74)
            case 0x08: out.append(0x62)
            case 0x0C: out.append(0x66)
            default:
                out.append(contentsOf: [0x75, 0x30, 0x30])
                out.append(FakeID.hexDigits[Int(c >> 4)]); out.append(FakeID.hexDigits[Int(c & 0xF)])
            }
            runStart = i + 1
        }
        if runStart < utf8.count { out.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<utf8.count])) }
    }

    static func appendInt(_ out: inout [UInt8], _ v: Int) {
        if v < 0 { out.append(0x2D); appendInt(&out, -v); return }
        if v < 10 { out.append(UInt8(0x30 + v)); return }
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        var n = v, count = 0
        withUnsafeMutableBytes(of: &digits) { buf in
            while n > 0 { buf[19 - count] = UInt8(0x30 + n % 10); n /= 10; count += 1 }
            out.append(contentsOf: buf[(20 - count)...])
        }
    }
}

/// A small JSON tree for the few documents that are not bulk records (policies, inventory,
/// expected findings, digests), rendered deterministically (members keep their order).
indirect enum JSONNode {
    case object([(String, JSONNode)])
    case array([JSONNode])
    case string(String)
    case int(Int)
    case bool(Bool)
    case null

    /// How to lay the text out.
    enum Style {
        /// No whitespace at all (CloudTrail's own files).
        case compact
        /// 4-space indent, `"k": v` (the AWS CLI's output).
        case cli
        /// 2-space indent, `"k" : v` (how KMS returns key policies).
        case kmsPolicy
    }

    var compact: String { render(.compact) }

    func render(_ style: Style) -> String {
        var out: [UInt8] = []
        write(into: &out, style: style, depth: 0)
        return String(decoding: out, as: UTF8.self)
    }

    func renderBytes(_ style: Style) -> [UInt8] {
        var out: [UInt8] = []
        write(into: &out, style: style, depth: 0)
        return out
    }

    private func newline(_ out: inout [UInt8], _ style: Style, _ depth: Int) {
        switch style {
        case .compact: return
        case .cli: out.append(0x0A); out.append(contentsOf: repeatElement(0x20, count: depth * 4))
        case .kmsPolicy: out.append(0x0A); out.append(contentsOf: repeatElement(0x20, count: depth * 2))
        }
    }

    private func write(into out: inout [UInt8], style: Style, depth: Int) {
        switch self {
        case .string(let s):
            out.append(0x22); var s = s; s.withUTF8 { JSONWriter.appendEscaped(&out, $0) }; out.append(0x22)
        case .int(let v): JSONWriter.appendInt(&out, v)
        case .bool(let b): out.append(contentsOf: Array((b ? "true" : "false").utf8))
        case .null: out.append(contentsOf: Array("null".utf8))
        case .array(let items):
            // KMS writes short scalar arrays inline: `[ "a", "b" ]`.
            out.append(0x5B)
            if items.isEmpty { out.append(0x5D); return }
            // Inline items stay at the array's depth: `[ {` then members one level deeper.
            let inline = style == .kmsPolicy
            for (i, item) in items.enumerated() {
                if i > 0 { out.append(0x2C) }
                if inline { out.append(0x20) } else { newline(&out, style, depth + 1) }
                item.write(into: &out, style: style, depth: inline ? depth : depth + 1)
            }
            if inline { out.append(0x20) } else { newline(&out, style, depth) }
            out.append(0x5D)
        case .object(let members):
            out.append(0x7B)
            if members.isEmpty { out.append(0x7D); return }
            for (i, (k, v)) in members.enumerated() {
                if i > 0 { out.append(0x2C) }
                newline(&out, style, depth + 1)
                JSONNode.string(k).write(into: &out, style: style, depth: depth + 1)
                switch style {
                case .compact: out.append(0x3A)
                case .cli: out.append(contentsOf: [0x3A, 0x20])
                case .kmsPolicy: out.append(contentsOf: [0x20, 0x3A, 0x20])
                }
                v.write(into: &out, style: style, depth: depth + 1)
            }
            newline(&out, style, depth)
            out.append(0x7D)
        }
    }
}

extension JSONNode: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral {
    init(stringLiteral value: String) { self = .string(value) }
    init(integerLiteral value: Int) { self = .int(value) }
    init(booleanLiteral value: Bool) { self = .bool(value) }
    init(arrayLiteral elements: JSONNode...) { self = .array(elements) }
}
