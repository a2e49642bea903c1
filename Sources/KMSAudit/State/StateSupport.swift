import Foundation
import GRDB

/// Small helpers of the state builder: loose JSON access (RDS and inventory fields are
/// optional and sometimes typed loosely), AWS time formats, ARN pieces.
enum StateJSON {
    static func object(_ text: String?) -> [String: Any]? {
        any(text) as? [String: Any]
    }

    /// Parsed with kmsaudit's own parser: JSONSerialization took 0.5 s of `check` on a
    /// 2M-record trail for the 22 MB of RDS and Backup requests and responses, this ~0.1 s.
    /// Text it rejects goes to JSONSerialization, so nothing it accepted before is lost.
    static func any(_ text: String?) -> Any? {
        guard var text else { return nil }
        let parsed: Any? = text.withUTF8 { bytes in
            (try? JSONTape(parsing: UnsafeRawBufferPointer(bytes)))?.root.foundationValue
        }
        if let parsed { return parsed }
        guard let data = text.data(using: .utf8) else { return nil }
        return try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
    }

    /// A non-empty string member.
    static func string(_ d: [String: Any]?, _ key: String) -> String? { string(d?[key]) }
    /// A boolean member; also accepts `"true"`/`"false"` and 0/1.
    static func bool(_ d: [String: Any]?, _ key: String) -> Bool? { bool(d?[key]) }
    /// An integer member; also accepts numeric strings.
    static func int(_ d: [String: Any]?, _ key: String) -> Int? { int(d?[key]) }

    static func dict(_ d: [String: Any]?, _ key: String) -> [String: Any]? {
        d?[key] as? [String: Any]
    }

    // The same, for RDS and Backup payloads read as `JSONFields`.
    static func string(_ d: JSONFields?, _ key: String) -> String? { string(d?[key]) }
    static func bool(_ d: JSONFields?, _ key: String) -> Bool? { bool(d?[key]) }
    static func int(_ d: JSONFields?, _ key: String) -> Int? { int(d?[key]) }
    static func dict(_ d: JSONFields?, _ key: String) -> JSONFields? { d?.object(key) }

    private static func string(_ v: Any?) -> String? {
        guard let s = v as? String, !s.isEmpty else { return nil }
        return s
    }

    private static func bool(_ v: Any?) -> Bool? {
        guard let v else { return nil }
        if let s = v as? String {
            switch s.lowercased() {
            case "true": return true
            case "false": return false
            default: return nil
            }
        }
        if let n = v as? NSNumber { return n.intValue != 0 }
        return nil
    }

    private static func int(_ v: Any?) -> Int? {
        guard let v else { return nil }
        if let s = v as? String { return Int(s) }
        if let n = v as? NSNumber { return n.intValue }
        return nil
    }

    /// An object's members read where they lie in the parsed text, each converted only when
    /// asked for. RDS responses are large (describe-style records, ~1.5 KB) and the state
    /// builder reads a few top-level fields of each: building whole dictionaries of them was
    /// most of the time of fetching 23,000 RDS and Backup events. Nil when the text is not a
    /// JSON object.
    static func fields(_ text: String?) -> JSONFields? {
        guard var text else { return nil }
        let tape: JSONTape? = text.withUTF8 { bytes in try? JSONTape(parsing: UnsafeRawBufferPointer(bytes)) }
        guard let root = tape?.root, root.kind == .object else { return nil }
        return JSONFields(root)
    }
}

/// See `StateJSON.fields`. Values come out as `StateJSON.object` would give them.
struct JSONFields {
    private let value: JSONValue

    init(_ value: JSONValue) { self.value = value }

    /// A member as JSONSerialization would give it (`String`, `NSNumber`, `NSNull`, `[Any]`,
    /// `[String: Any]`), nil when absent.
    subscript(key: String) -> Any? { value[key]?.foundationValue }

    /// A member that is an object, still unconverted.
    func object(_ key: String) -> JSONFields? {
        guard let member = value[key], member.kind == .object else { return nil }
        return JSONFields(member)
    }
}

package enum StateTime {
    /// A database value as `canonical(_:)` takes it.
    static func canonical(_ value: DatabaseValue) -> String? {
        switch value.storage {
        case .string(let s): return canonical(s)
        case .int64(let i): return canonical(NSNumber(value: i))
        case .double(let d): return canonical(NSNumber(value: d))
        default: return nil
        }
    }


    /// Canonical text of an AWS time written as ISO-8601 (any fraction, any offset), as
    /// `Oct 10, 2024 3:18:55 PM` (RDS, KMS responses) or as epoch seconds (some CLI output).
    package static func canonical(_ value: Any?) -> String? {
        if let n = value as? NSNumber, !(value is Bool) {
            return TimeFormats.canonical(Date(timeIntervalSince1970: n.doubleValue))
        }
        guard let s = value as? String, !s.isEmpty else { return nil }
        // Also a 24-hour clock with a needless AM/PM ("Apr 12, 2021 18:58:30 PM", KMS's own docs),
        // which TimeFormats reads as 18:58:30. (A regular expression that dropped the marker first
        // ran on every RDS time, all of which end in one: 20 us a call; with `TimeFormats.canonical`'s
        // formatter, two thirds of the state's pass over RDS resource events in `perf` at 20M.)
        if let d = TimeFormats.parseAWSConsoleTime(s) { return TimeFormats.canonical(d) }
        // ISO-8601 with a fraction of other than three digits: drop the fraction.
        if let dot = s.firstIndex(of: "."), s.contains("T") {
            var end = s.index(after: dot)
            while end < s.endIndex, s[end].isNumber { end = s.index(after: end) }
            let trimmed = String(s[..<dot]) + String(s[end...])
            if let d = TimeFormats.parseISO8601(trimmed) { return TimeFormats.canonical(d) }
        }
        return nil
    }

    static func adding(days: Int, to canonicalTime: String) -> String? {
        guard let d = TimeFormats.parseISO8601(canonicalTime) else { return nil }
        return TimeFormats.canonical(d.addingTimeInterval(Double(days) * 86_400))
    }
}

/// The pieces of an ARN: `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`.
struct ARNParts {
    var partition: String
    var service: String
    var region: String
    var account: String
    var resource: String

    init?(_ arn: String) {
        let f = arn.split(separator: ":", maxSplits: 5, omittingEmptySubsequences: false)
        guard f.count == 6, f[0] == "arn" else { return nil }
        partition = String(f[1]); service = String(f[2]); region = String(f[3])
        account = String(f[4]); resource = String(f[5])
    }

    static func partition(forRegion region: String?) -> String {
        guard let region else { return "aws" }
        if region.hasPrefix("cn-") { return "aws-cn" }
        if region.hasPrefix("us-gov-") { return "aws-us-gov" }
        return "aws"
    }

    static func isKeyARN(_ s: String?) -> Bool {
        guard let s else { return false }
        return KeyReference.isKeyARN(s)
    }

    static func isRDS(_ s: String?) -> Bool {
        guard let s else { return false }
        return s.hasPrefix("arn:") && s.contains(":rds:")
    }
}

/// An alias as written (`alias/x` or `arn:aws:kms:REGION:ACCOUNT:alias/x`), with the account and
/// region it lives in.
struct AliasName: Hashable {
    var name: String
    var account: String?
    var region: String?

    /// nil when `ref` is not an alias. An alias name takes the given account and region.
    init?(ref: String, account: String?, region: String?) {
        if ref.hasPrefix("alias/") {
            self.name = ref; self.account = account; self.region = region
        } else if ref.hasPrefix("arn:"), let parts = ARNParts(ref), parts.resource.hasPrefix("alias/") {
            self.name = parts.resource; self.account = parts.account; self.region = parts.region
        } else {
            return nil
        }
    }

    init(name: String, account: String?, region: String?) {
        self.name = name; self.account = account; self.region = region
    }

    static func isAlias(_ ref: String?) -> Bool {
        guard let ref else { return false }
        return ref.hasPrefix("alias/") || (ref.hasPrefix("arn:") && ref.contains(":alias/"))
    }
}

extension Row {
    /// A column as text whatever SQLite type it holds (json_extract of a number is a number):
    /// never traps on an odd record.
    func stateText(_ column: String) -> String? {
        let value: DatabaseValue = self[column]
        switch value.storage {
        case .string(let s): return s
        case .int64(let i): return String(i)
        case .double(let d): return String(d)
        default: return nil
        }
    }
}

extension JSONValue {
    /// The value as JSONSerialization gives it: `[String: Any]`, `[Any]`, `String`, `NSNumber`
    /// (numbers and booleans) or `NSNull`; with duplicate keys the last wins.
    var foundationValue: Any {
        switch kind {
        case .object:
            var dictionary = [String: Any](minimumCapacity: count)
            for (key, value) in members { dictionary[key] = value.foundationValue }
            return dictionary
        case .array:
            return elements.map(\.foundationValue)
        case .string:
            return string ?? ""
        case .number:
            if let integer = int64 { return NSNumber(value: integer) }
            return NSNumber(value: double ?? 0)
        case .bool:
            return NSNumber(value: bool ?? false)
        case .null:
            return NSNull()
        }
    }
}
