import Foundation

/// One statement of a key policy, kept close to the JSON so reports can quote it.
///
/// `Principal`/`NotPrincipal`, `Action`/`NotAction` and `Resource`/`NotResource` are each
/// stored as a list plus a flag saying which of the pair was used.
package struct PolicyStatement: Hashable, Sendable {
    package enum Effect: String, Hashable, Sendable, CaseIterable {
        case allow = "Allow"
        case deny = "Deny"
    }

    /// Position in the policy's statement list (0-based), to name statements without a Sid.
    package var index: Int
    package var sid: String?
    package var effect: Effect
    package var principals: [PolicyPrincipal]
    /// True when the statement used `NotPrincipal`: it applies to everyone *except* `principals`.
    package var isNotPrincipal: Bool
    package var actions: [String]
    /// True when the statement used `NotAction`.
    package var isNotAction: Bool
    /// Resource patterns. A statement with neither `Resource` nor `NotResource` (KMS rejects
    /// those, but a hand-written policy file may lack it) is read as `Resource: "*"`, since a
    /// key policy only ever governs its own key.
    package var resources: [String]
    /// True when the statement used `NotResource`.
    package var isNotResource: Bool
    /// All clauses of the `Condition` block; every one must hold.
    package var conditions: [ConditionClause]

    package init(index: Int = 0, sid: String? = nil, effect: Effect, principals: [PolicyPrincipal],
                isNotPrincipal: Bool = false, actions: [String], isNotAction: Bool = false,
                resources: [String] = ["*"], isNotResource: Bool = false, conditions: [ConditionClause] = []) {
        self.index = index
        self.sid = sid
        self.effect = effect
        self.principals = principals
        self.isNotPrincipal = isNotPrincipal
        self.actions = actions
        self.isNotAction = isNotAction
        self.resources = resources
        self.isNotResource = isNotResource
        self.conditions = conditions
    }

    /// `Sid "x"` or `statement 2`: how reports name this statement.
    package var label: String { sid.map { "Sid \"\($0)\"" } ?? "statement \(index)" }
}

// MARK: - Parsing from JSONSerialization output

extension PolicyStatement {
    /// Reads one statement object. Throws `PolicyParseError.statement` on anything KMS would
    /// refuse as a malformed policy, so a broken policy is "unknown" rather than misread.
    init(json: Any, index: Int) throws {
        func fail(_ reason: String, sid: String? = nil) -> PolicyParseError {
            .statement(index: index, sid: sid, reason: reason)
        }
        guard let obj = json as? [String: Any] else { throw fail("is not a JSON object") }

        var sid: String?
        if let raw = obj["Sid"], !(raw is NSNull) {
            guard let s = raw as? String else { throw fail("Sid is not a string") }
            sid = s
        }
        guard let effectText = obj["Effect"] as? String else { throw fail("Effect is missing or not a string", sid: sid) }
        // Case-insensitive: KMS would refuse a policy it could not read, so accepting `allow`
        // can only matter if KMS accepted it too, and then it meant Allow.
        guard let effect = Effect.allCases.first(where: { $0.rawValue.lowercased() == effectText.lowercased() }) else {
            throw fail("Effect must be \"Allow\" or \"Deny\", not \"\(effectText)\"", sid: sid)
        }

        let (principalJSON, notPrincipal) = try Self.exactlyOne("Principal", "NotPrincipal", in: obj, required: true, fail: { fail($0, sid: sid) })
        let (actionJSON, notAction) = try Self.exactlyOne("Action", "NotAction", in: obj, required: true, fail: { fail($0, sid: sid) })
        let (resourceJSON, notResource) = try Self.exactlyOne("Resource", "NotResource", in: obj, required: false, fail: { fail($0, sid: sid) })

        let principalKey = notPrincipal ? "NotPrincipal" : "Principal"
        let principals = try Self.parsePrincipals(principalJSON as Any, field: principalKey, fail: { fail($0, sid: sid) })
        guard let actions = Self.stringList(actionJSON), !actions.isEmpty else {
            throw fail("\(notAction ? "NotAction" : "Action") must be a string or a non-empty array of strings", sid: sid)
        }
        var resources = ["*"]
        if let resourceJSON {
            guard let list = Self.stringList(resourceJSON), !list.isEmpty else {
                throw fail("\(notResource ? "NotResource" : "Resource") must be a string or a non-empty array of strings", sid: sid)
            }
            resources = list
        }
        var conditions: [ConditionClause] = []
        if let raw = obj["Condition"], !(raw is NSNull) {
            conditions = try Self.parseConditions(raw, fail: { fail($0, sid: sid) })
        }

        self.init(index: index, sid: sid, effect: effect, principals: principals, isNotPrincipal: notPrincipal,
                  actions: actions, isNotAction: notAction, resources: resources, isNotResource: notResource,
                  conditions: conditions)
    }

    /// Returns the value of whichever of the two keys is present and whether it was the negated one.
    private static func exactlyOne(_ key: String, _ notKey: String, in obj: [String: Any], required: Bool,
                                   fail: (String) -> PolicyParseError) throws -> (Any?, Bool) {
        let plain = obj[key], negated = obj[notKey]
        switch (plain, negated) {
        case (.some, .some): throw fail("has both \(key) and \(notKey)")
        case (.some(let v), nil): return (v, false)
        case (nil, .some(let v)): return (v, true)
        case (nil, nil):
            if required { throw fail("has neither \(key) nor \(notKey)") }
            return (nil, false)
        }
    }

    /// A string, or an array of strings; nil for anything else.
    static func stringList(_ json: Any?) -> [String]? {
        if let s = json as? String { return [s] }
        guard let arr = json as? [Any] else { return nil }
        var out: [String] = []
        out.reserveCapacity(arr.count)
        for item in arr {
            guard let s = item as? String else { return nil }
            out.append(s)
        }
        return out
    }

    private static func parsePrincipals(_ json: Any, field: String, fail: (String) -> PolicyParseError) throws -> [PolicyPrincipal] {
        if let s = json as? String {
            guard s == "*" else { throw fail("\(field) must be \"*\" or an object such as {\"AWS\": ...}, not the string \"\(s)\"") }
            return [.anyone]
        }
        guard let obj = json as? [String: Any] else { throw fail("\(field) must be \"*\" or an object") }
        var out: [PolicyPrincipal] = []
        // Sorted so that parsing is deterministic (JSON objects are unordered).
        for type in obj.keys.sorted() {
            guard let values = stringList(obj[type]) else {
                throw fail("\(field).\(type) must be a string or an array of strings")
            }
            for v in values {
                switch type {
                case "AWS": out.append(.aws(v))
                case "Service": out.append(.service(v))
                case "Federated": out.append(.federated(v))
                case "CanonicalUser": out.append(.canonicalUser(v))
                default: out.append(.other(type: type, value: v))
                }
            }
        }
        return out
    }

    private static func parseConditions(_ json: Any, fail: (String) -> PolicyParseError) throws -> [ConditionClause] {
        guard let block = json as? [String: Any] else { throw fail("Condition must be an object") }
        var out: [ConditionClause] = []
        for op in block.keys.sorted() {
            guard let keys = block[op] as? [String: Any] else {
                throw fail("Condition operator \(op) must map to an object of condition keys")
            }
            for key in keys.keys.sorted() {
                guard let values = conditionValues(keys[key] as Any) else {
                    throw fail("Condition \(op) \(key): values must be strings, booleans or numbers, or an array of them")
                }
                out.append(ConditionClause(operatorName: op, key: key, values: values))
            }
        }
        return out
    }

    /// Condition values are strings, but policies also write `true` or `123` bare.
    private static func conditionValues(_ json: Any) -> [String]? {
        if let arr = json as? [Any] {
            var out: [String] = []
            for item in arr {
                guard let s = scalarText(item) else { return nil }
                out.append(s)
            }
            return out
        }
        return scalarText(json).map { [$0] }
    }

    private static func scalarText(_ json: Any) -> String? {
        if let s = json as? String { return s }
        // Foundation boxes JSON true/false as NSNumber too; objCType "c" tells them from 1/0.
        if let n = json as? NSNumber {
            if String(cString: n.objCType) == "c" { return n.boolValue ? "true" : "false" }
            return n.stringValue
        }
        return nil
    }
}
