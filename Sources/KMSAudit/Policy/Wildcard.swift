/// IAM-style wildcard matching, shared by actions, resources and `String(Not)Like`.
///
/// `*` matches any run of characters (also none), `?` exactly one character; every other
/// character matches itself. There is no escape syntax in IAM, so there is none here.
enum Wildcard {
    /// Whether `text` matches `pattern`. Linear-space, O(n·m) worst case, no recursion, so a
    /// hostile pattern such as `*a*a*a*…` cannot blow the stack.
    static func matches(_ pattern: String, _ text: String, caseInsensitive: Bool = false) -> Bool {
        let p = Array((caseInsensitive ? pattern.lowercased() : pattern).unicodeScalars)
        let t = Array((caseInsensitive ? text.lowercased() : text).unicodeScalars)
        var pi = 0, ti = 0
        var starAt = -1, resumeAt = 0
        while ti < t.count {
            if pi < p.count && (p[pi] == "?" || (p[pi] != "*" && p[pi] == t[ti])) {
                pi += 1; ti += 1
            } else if pi < p.count && p[pi] == "*" {
                starAt = pi; resumeAt = ti; pi += 1
            } else if starAt >= 0 {
                // Let the last `*` swallow one more character and retry.
                pi = starAt + 1; resumeAt += 1; ti = resumeAt
            } else {
                return false
            }
        }
        while pi < p.count && p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}
