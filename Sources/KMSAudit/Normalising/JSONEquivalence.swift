/// Whether two JSON texts mean the same thing: same values, object members in any order,
/// whitespace and escapes ignored. Used only when an eventID is seen again, to tell a
/// re-delivery (the same record, perhaps re-serialised) from a clash (different content).
enum JSONEquivalence {
    static func equivalent(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        if a == b { return true }
        guard let x = try? JSONTape(parsing: a), let y = try? JSONTape(parsing: b) else { return false }
        return equal(x.root, y.root)
    }

    static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        guard a.kind == b.kind else { return false }
        switch a.kind {
        case .null: return true
        case .bool: return a.bool == b.bool
        case .number: return a.double == b.double
        case .string: return a.string == b.string
        case .array:
            let x = a.elements, y = b.elements
            return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) }
        case .object:
            let x = a.members, y = b.members
            guard x.count == y.count else { return false }
            return x.allSatisfy { member in b[member.key].map { equal(member.value, $0) } ?? false }
        }
    }
}
