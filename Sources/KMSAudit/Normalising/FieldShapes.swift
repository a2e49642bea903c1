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
    static func problem(in record: JSONValue, kms: Bool) -> String? {
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
