#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The kinds of JSON value.
package enum JSONKind: Sendable { case object, array, string, number, bool, null }

/// One tape entry: a value, or an object key (which is followed by its value).
///
/// `next` is the index just past this value's subtree, so skipping a container is O(1);
/// a container's children start at its own index + 1.
struct TapeNode {
    /// Strings and keys: first byte after the opening quote; others: first byte.
    var start: UInt32
    /// Strings and keys: the closing quote; others: just past the last byte.
    var end: UInt32
    var next: UInt32
    /// Members (object) or elements (array).
    var count: UInt32
    var kind: UInt8
    /// The string or key contains backslash escapes (so bytes differ from the decoded text).
    var escaped: Bool

    static let object: UInt8 = 0, array: UInt8 = 1, string: UInt8 = 2, number: UInt8 = 3
    static let trueValue: UInt8 = 4, falseValue: UInt8 = 5, null: UInt8 = 6, key: UInt8 = 7
}

/// A record's JSON parsed once into a flat tape (no allocation per node), read through
/// `JSONValue` views. Used on the hot path for the records kmsaudit stores.
///
/// Why a tape: one pass builds a flat array of nodes with sibling links, so lookups walk only
/// the members of the object asked about and strings are decoded only when asked for.
/// Parsing is iterative (explicit stack), so hostile nesting costs `maxDepth` at most.
package final class JSONTape {
    let bytes: UnsafeMutablePointer<UInt8>
    let byteCount: Int
    private(set) var nodes: UnsafeMutablePointer<TapeNode>
    private(set) var nodeCount = 0
    private var nodeCap: Int

    /// Parses `bytes` (copied). Throws `JSONTapeError` with the byte offset on malformed input.
    package convenience init(parsing bytes: UnsafeRawBufferPointer, maxDepth: Int = 256) throws {
        let n = bytes.count
        let copy = UnsafeMutablePointer<UInt8>.allocate(capacity: max(n, 1))
        if let b = bytes.baseAddress, n > 0 { UnsafeMutableRawPointer(copy).copyMemory(from: b, byteCount: n) }
        try self.init(owning: copy, count: n, maxDepth: maxDepth)
    }

    /// Parses `bytes`.
    package convenience init(parsing bytes: [UInt8], maxDepth: Int = 256) throws {
        let n = bytes.count
        let copy = UnsafeMutablePointer<UInt8>.allocate(capacity: max(n, 1))
        bytes.withUnsafeBufferPointer { b in
            if let s = b.baseAddress, n > 0 { copy.update(from: s, count: n) }
        }
        try self.init(owning: copy, count: n, maxDepth: maxDepth)
    }

    private init(owning copy: UnsafeMutablePointer<UInt8>, count n: Int, maxDepth: Int) throws {
        bytes = copy
        byteCount = n
        nodeCap = n / 8 + 16
        nodes = .allocate(capacity: nodeCap)
        // Every property is set: from here on a throw runs deinit, which frees both buffers.
        if n >= Int(UInt32.max) { throw JSONTapeError(offset: 0, reason: "input larger than 4 GiB") }
        try parse(maxDepth: maxDepth)
    }

    deinit {
        bytes.deallocate()
        nodes.deallocate()
    }

    /// The top-level value.
    package var root: JSONValue { JSONValue(tape: self, index: 0) }

    // MARK: parsing

    @inline(__always) fileprivate static func isWS(_ c: UInt8) -> Bool { c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 }

    /// The parser's state, a value on the parsing thread's stack. Mutating methods of a local
    /// struct are checked for exclusive access when compiled; the same state as a class's stored
    /// properties, or as locals captured by nested functions, was checked at run time for every
    /// node (swift_beginAccess: 5-7% of ingest's CPU).
    private struct Builder {
        let start: UnsafePointer<UInt8>
        let end: UnsafePointer<UInt8>
        var p: UnsafePointer<UInt8>
        var nodes: UnsafeMutablePointer<TapeNode>
        var nodeCount = 0
        var nodeCap: Int

        func err(_ q: UnsafePointer<UInt8>, _ reason: String) -> JSONTapeError {
            JSONTapeError(offset: q - start, reason: reason)
        }

        @inline(__always) mutating func skipWS() { while p < end && JSONTape.isWS(p.pointee) { p += 1 } }

        @inline(__always)
        mutating func append(_ kind: UInt8, _ from: Int, _ to: Int, escaped: Bool = false) -> Int {
            if nodeCount == nodeCap {
                let newCap = nodeCap * 2
                let n = UnsafeMutablePointer<TapeNode>.allocate(capacity: newCap)
                n.moveInitialize(from: nodes, count: nodeCount)
                nodes.deallocate()
                nodes = n
                nodeCap = newCap
            }
            let i = nodeCount
            (nodes + i).initialize(to: TapeNode(start: UInt32(truncatingIfNeeded: from), end: UInt32(truncatingIfNeeded: to),
                                                next: UInt32(truncatingIfNeeded: i + 1), count: 0, kind: kind, escaped: escaped))
            nodeCount = i + 1
            return i
        }

        /// Reads `"key" :` (p at the opening quote, whitespace skipped) and counts the member
        /// in the object `top`.
        @inline(__always) mutating func readKey(top: Int) throws {
            guard p < end else { throw err(p, "unexpected end of input") }
            guard p.pointee == 0x22 else { throw err(p, "expected a string key") }
            p += 1
            let s = p
            let escaped = try JSONTape.scanString(&p, end, start)
            _ = append(TapeNode.key, s - start, p - start, escaped: escaped)
            nodes[top].count += 1
            p += 1
            skipWS()
            guard p < end, p.pointee == 0x3A else { throw err(p, p < end ? "expected ':'" : "unexpected end of input") }
            p += 1
            skipWS()
        }
    }

    /// Builds the tape (`Builder`) and stores it back once, also when parsing throws, so that
    /// deinit frees the buffer that is current.
    private func parse(maxDepth: Int) throws {
        let start = UnsafePointer(bytes)
        var b = Builder(start: start, end: start + byteCount, p: start, nodes: nodes, nodeCap: nodeCap)
        defer {
            nodes = b.nodes
            nodeCount = b.nodeCount
            nodeCap = b.nodeCap
        }
        let end = b.end

        var stack: [Int] = []
        stack.reserveCapacity(16)
        var top = -1          // index of the innermost open container, -1 at the top level
        var topIsObject = false

        b.skipWS()
        if b.p == end { throw b.err(b.p, "empty input") }
        valueLoop: while true {
            // A value starts at p (whitespace skipped).
            guard b.p < end else { throw b.err(b.p, "unexpected end of input") }
            if top >= 0 && !topIsObject { b.nodes[top].count += 1 }
            let c = b.p.pointee
            switch c {
            case 0x7B, 0x5B:
                if stack.count >= maxDepth { throw b.err(b.p, "nested deeper than \(maxDepth) levels") }
                let isObject = c == 0x7B
                let i = b.append(isObject ? TapeNode.object : TapeNode.array, b.p - start, 0)
                stack.append(top)
                top = i
                topIsObject = isObject
                b.p += 1
                b.skipWS()
                if b.p < end && b.p.pointee == (isObject ? 0x7D : 0x5D) {
                    break  // empty container: closed below
                }
                if isObject { try b.readKey(top: top) }
                continue valueLoop
            case 0x22:
                b.p += 1
                let s = b.p
                let escaped = try JSONTape.scanString(&b.p, end, start)
                _ = b.append(TapeNode.string, s - start, b.p - start, escaped: escaped)
                b.p += 1
            case 0x2D, 0x30...0x39:
                var p = b.p
                let s = p
                if p.pointee == 0x2D { p += 1 }
                guard p < end, p.pointee &- 0x30 < 10 else { throw b.err(p, "invalid number") }
                if p.pointee == 0x30 { p += 1 } else { while p < end && p.pointee &- 0x30 < 10 { p += 1 } }
                if p < end && p.pointee == 0x2E {
                    p += 1
                    guard p < end, p.pointee &- 0x30 < 10 else { throw b.err(p, "invalid number") }
                    while p < end && p.pointee &- 0x30 < 10 { p += 1 }
                }
                if p < end && p.pointee | 0x20 == 0x65 {
                    p += 1
                    if p < end && (p.pointee == 0x2B || p.pointee == 0x2D) { p += 1 }
                    guard p < end, p.pointee &- 0x30 < 10 else { throw b.err(p, "invalid number") }
                    while p < end && p.pointee &- 0x30 < 10 { p += 1 }
                }
                b.p = p
                _ = b.append(TapeNode.number, s - start, p - start)
            case 0x74, 0x66, 0x6E:
                let p = b.p
                let (word, kind): (StaticString, UInt8) = c == 0x74 ? ("true", TapeNode.trueValue) : c == 0x66 ? ("false", TapeNode.falseValue) : ("null", TapeNode.null)
                let n = word.utf8CodeUnitCount
                for k in 1..<n where p + k >= end || p[k] != word.utf8Start[k] {
                    throw b.err(p + k, p + k >= end ? "unexpected end of input" : "invalid literal")  // first wrong byte
                }
                _ = b.append(kind, p - start, p - start + n)
                b.p = p + n
            default:
                throw b.err(b.p, "expected a value")
            }

            // After a value: ',' then the next value, or close containers.
            while true {
                b.skipWS()
                if top < 0 {
                    if b.p != end { throw b.err(b.p, "unexpected data after the value") }
                    return
                }
                guard b.p < end else { throw b.err(b.p, "unexpected end of input") }
                let d = b.p.pointee
                if d == 0x2C {
                    b.p += 1
                    b.skipWS()
                    if topIsObject { try b.readKey(top: top) }
                    continue valueLoop
                }
                if d == (topIsObject ? 0x7D : 0x5D) {
                    b.p += 1
                    b.nodes[top].end = UInt32(truncatingIfNeeded: b.p - start)
                    b.nodes[top].next = UInt32(truncatingIfNeeded: b.nodeCount)
                    top = stack.removeLast()
                    topIsObject = top >= 0 && b.nodes[top].kind == TapeNode.object
                    continue
                }
                throw b.err(b.p, topIsObject ? "expected ',' or '}'" : "expected ',' or ']'")
            }
        }
    }

    /// Skips a string's contents, validating escapes and UTF-8; `p` starts after the opening
    /// quote and ends on the closing one. Returns whether the string has escapes.
    @inline(__always)
    fileprivate static func scanString(_ p: inout UnsafePointer<UInt8>, _ end: UnsafePointer<UInt8>, _ start: UnsafePointer<UInt8>) throws -> Bool {
        var escaped = false
        while true {
            if end - p >= 8 {
                let m = SWAR.stringStopMask(UnsafeRawPointer(p).loadUnaligned(as: UInt64.self))
                if m == 0 { p += 8; continue }
                p += m.trailingZeroBitCount &>> 3
            }
            guard p < end else { throw JSONTapeError(offset: p - start, reason: "unterminated string") }
            let c = p.pointee
            if c == 0x22 { return escaped }
            if c == 0x5C {
                escaped = true
                guard end - p >= 2 else { throw JSONTapeError(offset: end - start, reason: "unterminated string") }
                switch p[1] {
                case 0x22, 0x5C, 0x2F, 0x62, 0x66, 0x6E, 0x72, 0x74:
                    p += 2
                case 0x75:
                    guard end - p >= 6 else { throw JSONTapeError(offset: end - start, reason: "unterminated string") }
                    for k in 2..<6 where JSONEscapes.hexValue(p[k]) < 0 {
                        throw JSONTapeError(offset: p + k - start, reason: "invalid \\u escape")
                    }
                    p += 6
                default:
                    throw JSONTapeError(offset: p + 1 - start, reason: "invalid escape")
                }
            } else if c < 0x20 {
                throw JSONTapeError(offset: p - start, reason: "control character in string")
            } else if c < 0x80 {
                p += 1
            } else {
                let n = UTF8Validator.sequenceLength(p, end)
                if n < 0 { throw JSONTapeError(offset: end - start, reason: "unterminated string") }
                if n == 0 { throw JSONTapeError(offset: p - start, reason: "invalid UTF-8") }
                p += n
            }
        }
    }

    // MARK: reading

    @inline(__always) func node(_ i: Int) -> TapeNode { nodes[i] }

    func slice(_ n: TapeNode) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: bytes + Int(n.start), count: Int(n.end) - Int(n.start))
    }

    /// The decoded bytes of a string or key node.
    func decodedBytes(_ n: TapeNode) -> [UInt8] {
        var out: [UInt8] = []
        JSONEscapes.decode(UnsafeRawBufferPointer(slice(n)), into: &out)
        return out
    }

    func decodedString(_ n: TapeNode) -> String {
        if !n.escaped { return String(decoding: slice(n), as: UTF8.self) }
        return String(decoding: decodedBytes(n), as: UTF8.self)
    }

    /// Whether a string or key node's decoded text equals `s`.
    func stringNode(_ n: TapeNode, equals s: UnsafeBufferPointer<UInt8>) -> Bool {
        if !n.escaped {
            let count = Int(n.end) - Int(n.start)
            guard count == s.count else { return false }
            guard count > 0, let sb = s.baseAddress else { return true }
            return memcmp(bytes + Int(n.start), sb, count) == 0
        }
        return decodedBytes(n).elementsEqual(s)
    }
}

package struct JSONTapeError: Error, Equatable, Sendable {
    package var offset: Int
    package var reason: String
    package init(offset: Int, reason: String) { self.offset = offset; self.reason = reason }
}

/// A view of one value in a `JSONTape`.
package struct JSONValue {
    let tape: JSONTape
    let index: Int

    @inline(__always) private var node: TapeNode { tape.node(index) }

    package var kind: JSONKind {
        switch node.kind {
        case TapeNode.object: return .object
        case TapeNode.array: return .array
        case TapeNode.string, TapeNode.key: return .string
        case TapeNode.number: return .number
        case TapeNode.trueValue, TapeNode.falseValue: return .bool
        default: return .null
        }
    }

    /// Member of an object by key (nil if not an object or absent). With duplicate keys, the last wins.
    package subscript(key: String) -> JSONValue? {
        let n = node
        guard n.kind == TapeNode.object, n.count > 0 else { return nil }
        var key = key
        let found: Int? = key.withUTF8 { kb in
            var i = index + 1
            var found: Int?
            for _ in 0..<Int(n.count) {
                if tape.stringNode(tape.node(i), equals: kb) { found = i + 1 }
                i = Int(tape.node(i + 1).next)
            }
            return found
        }
        return found.map { JSONValue(tape: tape, index: $0) }
    }

    /// The first of the members named `key` (in document order, duplicates included) for which
    /// `body` returns non-nil, and that result. For checks that must hold for whichever duplicate
    /// another reader (SQLite reads the first) picks; allocates nothing.
    func firstMember<T>(named key: String, where body: (JSONValue) -> T?) -> T? {
        let n = node
        guard n.kind == TapeNode.object, n.count > 0 else { return nil }
        var key = key
        return key.withUTF8 { kb in
            var i = index + 1
            for _ in 0..<Int(n.count) {
                if tape.stringNode(tape.node(i), equals: kb), let result = body(JSONValue(tape: tape, index: i + 1)) {
                    return result
                }
                i = Int(tape.node(i + 1).next)
            }
            return nil
        }
    }

    /// Calls `body` with each member's key as it stands in the source (escapes not decoded; the
    /// flag says whether it has any) and its value, in document order, duplicates included,
    /// until `body` returns false. For one-pass checks over many names; allocates nothing.
    /// Returns false when `body` stopped it.
    @discardableResult
    func forEachMember(_ body: (_ key: UnsafeBufferPointer<UInt8>, _ escaped: Bool, _ value: JSONValue) -> Bool) -> Bool {
        let n = node
        guard n.kind == TapeNode.object else { return true }
        var i = index + 1
        for _ in 0..<Int(n.count) {
            let k = tape.node(i)
            if !body(tape.slice(k), k.escaped, JSONValue(tape: tape, index: i + 1)) { return false }
            i = Int(tape.node(i + 1).next)
        }
        return true
    }

    /// Element of an array by index (nil if not an array or out of range).
    package subscript(index: Int) -> JSONValue? {
        let n = node
        guard n.kind == TapeNode.array, index >= 0, index < Int(n.count) else { return nil }
        var i = self.index + 1
        for _ in 0..<index { i = Int(tape.node(i).next) }
        return JSONValue(tape: tape, index: i)
    }

    /// Number of elements (array) or members (object); 0 otherwise.
    package var count: Int {
        let n = node
        return n.kind == TapeNode.object || n.kind == TapeNode.array ? Int(n.count) : 0
    }

    /// The decoded string when `kind == .string`, else nil.
    package var string: String? {
        let n = node
        guard n.kind == TapeNode.string || n.kind == TapeNode.key else { return nil }
        return tape.decodedString(n)
    }

    /// True when this is a string equal to `s` (compared without allocating where possible).
    package func stringEquals(_ s: String) -> Bool {
        let n = node
        guard n.kind == TapeNode.string || n.kind == TapeNode.key else { return false }
        var s = s
        return s.withUTF8 { tape.stringNode(n, equals: $0) }
    }

    package var bool: Bool? {
        switch node.kind {
        case TapeNode.trueValue: return true
        case TapeNode.falseValue: return false
        default: return nil
        }
    }

    /// The value when it is a number written as an integer (no fraction or exponent) that fits.
    package var int64: Int64? {
        let n = node
        guard n.kind == TapeNode.number else { return nil }
        let b = tape.slice(n)
        var i = 0
        let negative = b.first == 0x2D
        if negative { i = 1 }
        guard i < b.count else { return nil }
        var v: Int64 = 0
        while i < b.count {
            let d = b[i] &- 0x30
            guard d < 10 else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            let (r, o2) = negative ? m.subtractingReportingOverflow(Int64(d)) : m.addingReportingOverflow(Int64(d))
            if o1 || o2 { return nil }
            v = r
            i += 1
        }
        return v
    }

    /// The value of any number (integers beyond 2^53 lose precision; overflow gives ±infinity).
    package var double: Double? {
        let n = node
        guard n.kind == TapeNode.number else { return nil }
        return Double(String(decoding: tape.slice(n), as: UTF8.self))
    }

    package var isNull: Bool { kind == .null }

    /// Array elements in order (empty if not an array).
    package var elements: [JSONValue] {
        let n = node
        guard n.kind == TapeNode.array else { return [] }
        var out: [JSONValue] = []
        out.reserveCapacity(Int(n.count))
        var i = index + 1
        for _ in 0..<Int(n.count) {
            out.append(JSONValue(tape: tape, index: i))
            i = Int(tape.node(i).next)
        }
        return out
    }

    /// Object members in order (empty if not an object).
    package var members: [(key: String, value: JSONValue)] {
        let n = node
        guard n.kind == TapeNode.object else { return [] }
        var out: [(key: String, value: JSONValue)] = []
        out.reserveCapacity(Int(n.count))
        var i = index + 1
        for _ in 0..<Int(n.count) {
            out.append((tape.decodedString(tape.node(i)), JSONValue(tape: tape, index: i + 1)))
            i = Int(tape.node(i + 1).next)
        }
        return out
    }

    /// The value's JSON text exactly as in the source bytes.
    package var rawText: String {
        let n = node
        var s = Int(n.start), e = Int(n.end)
        if n.kind == TapeNode.string || n.kind == TapeNode.key { s -= 1; e += 1 }  // with the quotes
        return String(decoding: UnsafeBufferPointer(start: tape.bytes + s, count: e - s), as: UTF8.self)
    }
}
