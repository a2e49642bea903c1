#if canImport(Glibc)
import Glibc
#endif

/// The shapes CloudTrail documents for the record fields that SQL reads from `events.raw` (the
/// `request_parameters`, `response_elements`, `additional_event_data` columns, the state builder's
/// and the rules' `json_extract` paths). The normaliser checks them once, so that a record of
/// another shape goes to `rejected_records` with its reason instead of reaching SQL that assumes
/// the shape (a string where an object is expected makes `json_extract` fail with "malformed
/// JSON" on every later `check`; a number where text is expected breaks Swift's reading of the
/// column). Odd *elements* of `resources` are not checked here: SQL reads only the object elements
/// (see `StateAliases`), so one odd element does not cost the event.
enum FieldShapes {
    enum Shape: CustomStringConvertible {
        case object, string, number, stringArray
        /// A policy: JSON text as CloudTrail writes it, or the document itself as some tools
        /// export it (read as JSON text by `StateKeys`).
        case stringOrObject

        var description: String {
            switch self {
            case .object: return "an object"
            case .string: return "a string"
            case .number: return "a number"
            case .stringArray: return "an array of strings"
            case .stringOrObject: return "a string or an object"
            }
        }
    }

    /// Top-level members of every record: objects or null.
    static let containers = ["requestParameters", "responseElements", "additionalEventData", "serviceEventDetails"]

    /// Paths the KMS state and rules read (`StateKeys`, `StateAliases`, `KeyUseEvaluation`,
    /// reports), each with its documented shape; null or absent is always allowed.
    static let kmsPaths: [(path: [String], shape: Shape)] = [
        (["requestParameters", "aliasName"], .string),
        (["requestParameters", "targetKeyId"], .string),
        (["requestParameters", "keyId"], .string),
        (["requestParameters", "customKeyStoreId"], .string),
        (["requestParameters", "policy"], .stringOrObject),
        (["requestParameters", "granteePrincipal"], .string),
        (["requestParameters", "granteeServicePrincipal"], .string),
        (["requestParameters", "retiringPrincipal"], .string),
        (["requestParameters", "name"], .string),
        (["requestParameters", "grantId"], .string),
        (["requestParameters", "operations"], .stringArray),
        (["requestParameters", "constraints"], .object),
        (["requestParameters", "encryptionContext"], .object),
        (["requestParameters", "pendingWindowInDays"], .number),
        (["responseElements", "grantId"], .string),
        (["responseElements", "keyState"], .string),
        (["responseElements", "keyId"], .string),
        (["responseElements", "deletionDate"], .string),
        (["responseElements", "pendingWindowInDays"], .number),
        (["responseElements", "keyMetadata"], .object),
        (["responseElements", "keyMetadata", "arn"], .string),
        (["responseElements", "keyMetadata", "keyId"], .string),
        (["responseElements", "keyMetadata", "customKeyStoreId"], .string),
        (["responseElements", "keyMetadata", "keyManager"], .string),
        (["additionalEventData", "grantId"], .string),
    ]

    /// The reason `record` (an object) has a shape SQL must not see, or nil when it has none.
    /// Every member of a name is checked, duplicates included: SQLite's `json_extract` reads the
    /// first of duplicate keys, `JSONValue`'s subscript the last.
    ///
    /// Nearly every record is fine, so one pass over its members (`fits(_:_:)`) answers first,
    /// and only a record it cannot clear goes through the paths one by one for the reason. The
    /// path-by-path walk scanned the record's members again for each of the 29 paths: 0.9 of
    /// ingest's 26 CPU-seconds on the 2M benchmark trail (`perf`), on the decoding threads.
    static func problem(in record: JSONValue, kms: Bool) -> String? {
        if fits(record, kms ? kmsTree : containersTree) { return nil }
        return problemPathByPath(in: record, kms: kms)
    }

    /// The reference: each container, then each of `kmsPaths`, in order; the first reason found.
    /// Also what `problem` reports when the one-pass check did not clear the record.
    static func problemPathByPath(in record: JSONValue, kms: Bool) -> String? {
        for name in containers {
            let reason = record.firstMember(named: name) { value -> String? in
                value.kind == .object || value.kind == .null ? nil : "\(name) is \(kindName(value.kind)), not an object"
            }
            if let reason { return reason }
        }
        guard kms else { return nil }
        for (path, shape) in kmsPaths {
            if let reason = check(record, path[...], shape, fullPath: path) { return reason }
        }
        return nil
    }

    /// `fullPath` names the field in the reason (joined only then: this runs for every KMS record).
    private static func check(_ value: JSONValue, _ path: ArraySlice<String>, _ shape: Shape, fullPath: [String]) -> String? {
        guard let name = path.first else {
            if value.kind == .null || fits(value, shape) { return nil }
            return "\(fullPath.joined(separator: ".")) is \(kindName(value.kind)), not \(shape)"
        }
        // A container of the wrong kind was reported already; a missing member is allowed.
        guard value.kind == .object else { return nil }
        return value.firstMember(named: name) { check($0, path.dropFirst(), shape, fullPath: fullPath) }
    }

    /// The checked paths as a tree of member names, for the one-pass check.
    final class PathTree: Sendable {
        let name: [UInt8]
        /// The shape the member must have when it is not null; nil at the root.
        let shape: Shape?
        let children: [PathTree]

        init(name: String, shape: Shape?, children: [PathTree]) {
            self.name = Array(name.utf8)
            self.shape = shape
            self.children = children
        }

        /// The tree of `paths` under a root, the containers first (each must be an object).
        static func of(containers: [String], paths: [(path: [String], shape: Shape)]) -> PathTree {
            func subtree(_ name: String, _ shape: Shape?, prefix: [String]) -> PathTree {
                let below = paths.filter { $0.path.count == prefix.count + 1 && Array($0.path.prefix(prefix.count)) == prefix }
                return PathTree(name: name, shape: shape, children: below.map { subtree($0.path.last!, $0.shape, prefix: $0.path) })
            }
            return PathTree(name: "", shape: nil, children: containers.map { subtree($0, .object, prefix: [$0]) })
        }

        func child(named key: UnsafeBufferPointer<UInt8>) -> PathTree? {
            for c in children where c.name.count == key.count {
                if c.name.withUnsafeBufferPointer({ memcmp($0.baseAddress!, key.baseAddress!, key.count) == 0 }) { return c }
            }
            return nil
        }
    }

    static let containersTree = PathTree.of(containers: containers, paths: [])
    static let kmsTree = PathTree.of(containers: containers, paths: kmsPaths)

    /// True when every member of `object` that `tree` names (duplicates included) is null or of
    /// its shape, at every level. False when one is not, or when a key has escapes (the
    /// path-by-path check decodes them): false means "look closer", never "wrong" by itself.
    static func fits(_ object: JSONValue, _ tree: PathTree) -> Bool {
        object.forEachMember { key, escaped, value in
            if escaped { return false }
            guard !key.isEmpty, let node = tree.child(named: key) else { return true }
            if value.kind == .null { return true }
            if let shape = node.shape, !fits(value, shape) { return false }
            return node.children.isEmpty || value.kind != .object || fits(value, node)
        }
    }

    private static func fits(_ value: JSONValue, _ shape: Shape) -> Bool {
        switch shape {
        case .object: return value.kind == .object
        case .string: return value.kind == .string
        case .number: return value.kind == .number
        case .stringArray: return value.kind == .array && value.elements.allSatisfy { $0.kind == .string }
        case .stringOrObject: return value.kind == .string || value.kind == .object
        }
    }

    static func kindName(_ kind: JSONKind) -> String {
        switch kind {
        case .object: return "an object"
        case .array: return "an array"
        case .string: return "a string"
        case .number: return "a number"
        case .bool: return "a boolean"
        case .null: return "null"
        }
    }
}
