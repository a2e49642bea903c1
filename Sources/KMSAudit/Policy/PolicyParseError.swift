/// Why a key policy could not be read. The auditor treats such a policy as unknown
/// (it never guesses what a broken policy meant), so the reason must say where it broke.
package enum PolicyParseError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The text is not JSON at all (or not UTF-8).
    case notJSON(String)
    /// Larger than any policy KMS accepts (32 KiB) by a wide margin; refused unread.
    case tooLarge(bytes: Int, limit: Int)
    /// Valid JSON, but not a policy document: not an object, `Statement` missing or of the
    /// wrong type, a `get-key-policy` wrapper whose `Policy` is not a string...
    case shape(String)
    /// One statement (0-based `index`) breaks the policy grammar.
    case statement(index: Int, sid: String?, reason: String)

    /// The reason in words, without the "invalid key policy" prefix.
    package var reason: String {
        switch self {
        case .notJSON(let r): return "not valid JSON: \(r)"
        case .tooLarge(let b, let l): return "policy text is \(b) bytes, more than the \(l)-byte limit"
        case .shape(let r): return r
        case .statement(let i, let sid, let r):
            let name = sid.map { " (Sid \"\($0)\")" } ?? ""
            return "statement \(i)\(name): \(r)"
        }
    }

    package var description: String { "invalid key policy: \(reason)" }
}
