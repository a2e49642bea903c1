/// Why a text is not JSON `ReportJSON.parse` accepts: the byte offset and what was wrong.
package enum ReportJSONError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The text is longer than the parser's size limit.
    case tooLarge(bytes: Int, limit: Int)
    /// Arrays and objects nest deeper than the parser's depth limit.
    case tooDeep(offset: Int, limit: Int)
    /// The text ended inside a value.
    case unexpectedEnd
    /// A byte that cannot start or continue what was being read.
    case unexpected(offset: Int, expected: String)
    /// A `\` escape that is not one of JSON's.
    case invalidEscape(offset: Int)
    /// A number that does not follow JSON's grammar.
    case invalidNumber(offset: Int)
    /// More than whitespace after the value.
    case trailingText(offset: Int)

    package var description: String {
        switch self {
        case .tooLarge(let n, let limit): return "JSON text of \(n) bytes is larger than the limit (\(limit))"
        case .tooDeep(let at, let limit): return "JSON nested deeper than \(limit) levels at byte \(at)"
        case .unexpectedEnd: return "JSON text ends inside a value"
        case .unexpected(let at, let expected): return "unexpected byte at \(at): expected \(expected)"
        case .invalidEscape(let at): return "invalid escape at byte \(at)"
        case .invalidNumber(let at): return "invalid number at byte \(at)"
        case .trailingText(let at): return "text after the JSON value at byte \(at)"
        }
    }
}

extension ReportJSON {
    /// How much the parser accepts; evidence and run metadata are far below both.
    package struct Limits: Sendable {
        package var maxBytes: Int
        package var maxDepth: Int
        package init(maxBytes: Int = 64 << 20, maxDepth: Int = 256) {
            self.maxBytes = maxBytes
            self.maxDepth = maxDepth
        }
    }

    /// Parses RFC 8259 JSON, keeping the order (and any repetition) of object members, so the
    /// evidence a rule wrote comes out in its order. Nil when `text` is not JSON (the caller
    /// shows it as plain text). Numbers: digits only (with an optional `-`) are integers when
    /// they fit in 64 bits, anything else a double, as SQLite's JSON functions read them.
    package static func parse(_ text: String, limits: Limits = Limits()) -> ReportJSON? {
        try? parseOrThrow(text, limits: limits)
    }

    /// As `parse`, with the reason when the text is not JSON.
    package static func parseOrThrow(_ text: String, limits: Limits = Limits()) throws(ReportJSONError) -> ReportJSON {
        var text = text
        let result: Result<ReportJSON, ReportJSONError> = text.withUTF8 { bytes in
            do throws(ReportJSONError) {
                return .success(try parse(UnsafeRawBufferPointer(bytes), limits: limits))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Parses UTF-8 bytes (invalid UTF-8 inside strings is repaired to U+FFFD, as `String` does).
    package static func parse(_ bytes: UnsafeRawBufferPointer, limits: Limits = Limits()) throws(ReportJSONError) -> ReportJSON {
        guard bytes.count <= limits.maxBytes else { throw .tooLarge(bytes: bytes.count, limit: limits.maxBytes) }
        var parser = ReportJSONParser(bytes: bytes, maxDepth: limits.maxDepth)
        parser.skipWhitespace()
        let value = try parser.value(depth: 0)
        parser.skipWhitespace()
        guard parser.at == bytes.count else { throw .trailingText(offset: parser.at) }
        return value
    }
}

/// A recursive-descent reader over UTF-8 bytes; recursion is bounded by `maxDepth`.
private struct ReportJSONParser {
    let bytes: UnsafeRawBufferPointer
    let maxDepth: Int
    var at = 0

    init(bytes: UnsafeRawBufferPointer, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    mutating func skipWhitespace() {
        while at < bytes.count {
            switch bytes[at] {
            case 0x20, 0x09, 0x0A, 0x0D: at += 1
            default: return
            }
        }
    }

    func peek() throws(ReportJSONError) -> UInt8 {
        guard at < bytes.count else { throw .unexpectedEnd }
        return bytes[at]
    }

    mutating func value(depth: Int) throws(ReportJSONError) -> ReportJSON {
        switch try peek() {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
        default: throw .unexpected(offset: at, expected: "a JSON value")
        }
    }

    mutating func literal(_ word: StaticString) throws(ReportJSONError) {
        let n = word.utf8CodeUnitCount
        guard at + n <= bytes.count else { throw .unexpectedEnd }
        for i in 0..<n where bytes[at + i] != word.utf8Start[i] {
            throw .unexpected(offset: at + i, expected: "\(word)")
        }
        at += n
    }

    mutating func object(depth: Int) throws(ReportJSONError) -> ReportJSON {
        guard depth <= maxDepth else { throw .tooDeep(offset: at, limit: maxDepth) }
        at += 1  // {
        var members: [ReportJSON.Member] = []
        skipWhitespace()
        if try peek() == UInt8(ascii: "}") { at += 1; return .object(members) }
        while true {
            skipWhitespace()
            guard try peek() == UInt8(ascii: "\"") else { throw .unexpected(offset: at, expected: "a member name") }
            let key = try string()
            skipWhitespace()
            guard try peek() == UInt8(ascii: ":") else { throw .unexpected(offset: at, expected: "':'") }
            at += 1
            skipWhitespace()
            members.append(ReportJSON.Member(key, try value(depth: depth)))
            skipWhitespace()
            switch try peek() {
            case UInt8(ascii: ","): at += 1
            case UInt8(ascii: "}"): at += 1; return .object(members)
            default: throw .unexpected(offset: at, expected: "',' or '}'")
            }
        }
    }

    mutating func array(depth: Int) throws(ReportJSONError) -> ReportJSON {
        guard depth <= maxDepth else { throw .tooDeep(offset: at, limit: maxDepth) }
        at += 1  // [
        var items: [ReportJSON] = []
        skipWhitespace()
        if try peek() == UInt8(ascii: "]") { at += 1; return .array(items) }
        while true {
            skipWhitespace()
            items.append(try value(depth: depth))
            skipWhitespace()
            switch try peek() {
            case UInt8(ascii: ","): at += 1
            case UInt8(ascii: "]"): at += 1; return .array(items)
            default: throw .unexpected(offset: at, expected: "',' or ']'")
            }
        }
    }

    /// A string from its opening quote; escapes decoded, a lone surrogate becomes U+FFFD.
    mutating func string() throws(ReportJSONError) -> String {
        at += 1  // "
        let start = at
        // Fast path: no escape, the bytes are the string.
        while at < bytes.count {
            let b = bytes[at]
            if b == UInt8(ascii: "\"") {
                let s = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<at]), as: UTF8.self)
                at += 1
                return s
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw .unexpected(offset: at, expected: "an escaped control character") }
            at += 1
        }
        guard at < bytes.count else { throw .unexpectedEnd }
        var out = Array(UnsafeRawBufferPointer(rebasing: bytes[start..<at]))
        while true {
            guard at < bytes.count else { throw .unexpectedEnd }
            let b = bytes[at]
            if b == UInt8(ascii: "\"") { at += 1; return String(decoding: out, as: UTF8.self) }
            if b < 0x20 { throw .unexpected(offset: at, expected: "an escaped control character") }
            guard b == UInt8(ascii: "\\") else { out.append(b); at += 1; continue }
            at += 1
            guard at < bytes.count else { throw .unexpectedEnd }
            let escape = bytes[at]
            at += 1
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = try hex4()
                if (0xD800...0xDBFF).contains(scalar), at + 6 <= bytes.count,
                   bytes[at] == UInt8(ascii: "\\"), bytes[at + 1] == UInt8(ascii: "u") {
                    let save = at
                    at += 2
                    let low = try hex4()
                    if (0xDC00...0xDFFF).contains(low) {
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        at = save  // not a pair: the high half alone, the next escape read on its own
                    }
                }
                out.append(contentsOf: String(Character(Unicode.Scalar(scalar) ?? "\u{FFFD}")).utf8)
            default: throw .invalidEscape(offset: at - 2)
            }
        }
    }

    mutating func hex4() throws(ReportJSONError) -> UInt32 {
        guard at + 4 <= bytes.count else { throw .unexpectedEnd }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[at]
            let digit: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = b - UInt8(ascii: "A") + 10
            default: throw .invalidEscape(offset: at)
            }
            value = value << 4 | UInt32(digit)
            at += 1
        }
        return value
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    mutating func number() throws(ReportJSONError) -> ReportJSON {
        let start = at
        var isInteger = true
        if bytes[at] == UInt8(ascii: "-") { at += 1 }
        guard at < bytes.count else { throw .unexpectedEnd }
        if bytes[at] == UInt8(ascii: "0") {
            at += 1
        } else {
            guard digits() > 0 else { throw .invalidNumber(offset: start) }
        }
        if at < bytes.count, bytes[at] == UInt8(ascii: ".") {
            isInteger = false
            at += 1
            guard digits() > 0 else { throw .invalidNumber(offset: start) }
        }
        if at < bytes.count, bytes[at] == UInt8(ascii: "e") || bytes[at] == UInt8(ascii: "E") {
            isInteger = false
            at += 1
            if at < bytes.count, bytes[at] == UInt8(ascii: "+") || bytes[at] == UInt8(ascii: "-") { at += 1 }
            guard digits() > 0 else { throw .invalidNumber(offset: start) }
        }
        let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<at]), as: UTF8.self)
        if isInteger, let integer = Int64(text) { return .int(integer) }
        guard let real = Double(text) else { throw .invalidNumber(offset: start) }
        return .double(real)
    }

    /// Skips ASCII digits; returns how many.
    mutating func digits() -> Int {
        let start = at
        while at < bytes.count, bytes[at] >= UInt8(ascii: "0"), bytes[at] <= UInt8(ascii: "9") { at += 1 }
        return at - start
    }
}
