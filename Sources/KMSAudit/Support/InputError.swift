/// Why one input file could not be ingested. Every case names the file and, where it applies,
/// the record index and the byte offset, so the user's one-line error says exactly where.
///
/// Offsets are into the *uncompressed* content unless the case says otherwise (gzip errors
/// point into the compressed file, since that is where the damage is).
package enum InputError: Error, Equatable, CustomStringConvertible, Sendable {
    /// The file could not be opened or read (permissions, vanished, I/O error).
    case unreadable(file: String, reason: String)
    /// The gzip stream is damaged or ends early; `compressedOffset` is how far it got.
    case gzip(file: String, compressedOffset: Int64, reason: String)
    /// Inflating the file would exceed the per-file limit (a gzip bomb, or a limit set too low).
    case inflatedTooLarge(file: String, limit: Int64)
    /// The content is not well-formed JSON at `offset`.
    case json(file: String, offset: Int64, reason: String)
    /// The content is not valid UTF-8 at `offset`.
    case utf8(file: String, offset: Int64)
    /// Nesting deeper than the limit at `offset`.
    case tooDeep(file: String, offset: Int64, limit: Int)
    /// One record is larger than the per-record limit.
    case recordTooLarge(file: String, record: Int, offset: Int64, limit: Int)
    /// Well-formed JSON, but not a shape kmsaudit reads (e.g. `Records` is not an array).
    case shape(file: String, reason: String)
    /// A record that is valid JSON but not a valid CloudTrail record (missing `eventID`,
    /// a field of the wrong type, ...).
    case record(file: String, record: Int, offset: Int64, reason: String)
    /// The file holds nothing at all.
    case empty(file: String)
    /// A key policy or inventory document (recognised by its top-level member) whose content is
    /// not what that kind of document holds: `what` names the AWS CLI output it claims to be.
    case document(file: String, what: String, reason: String)

    package var file: String {
        switch self {
        case .unreadable(let f, _), .gzip(let f, _, _), .inflatedTooLarge(let f, _), .json(let f, _, _),
             .utf8(let f, _), .tooDeep(let f, _, _), .recordTooLarge(let f, _, _, _), .shape(let f, _),
             .record(let f, _, _, _), .empty(let f), .document(let f, _, _):
            return f
        }
    }

    /// One line for the user: file, where, what.
    package var description: String {
        switch self {
        case .unreadable(let f, let r): return "\(f): cannot read: \(r)"
        case .gzip(let f, let o, let r): return "\(f): corrupt gzip at compressed byte \(o): \(r)"
        case .inflatedTooLarge(let f, let l): return "\(f): inflates to more than \(l) bytes (limit; see --max-inflated-size)"
        case .json(let f, let o, let r): return "\(f): not valid JSON at byte \(o): \(r)"
        case .utf8(let f, let o): return "\(f): invalid UTF-8 at byte \(o)"
        case .tooDeep(let f, let o, let l): return "\(f): JSON nested deeper than \(l) levels at byte \(o)"
        case .recordTooLarge(let f, let i, let o, let l): return "\(f): record \(i) at byte \(o) is larger than \(l) bytes (limit; see --max-record-size)"
        case .shape(let f, let r): return "\(f): not a CloudTrail file: \(r)"
        case .record(let f, let i, let o, let r): return "\(f): record \(i) at byte \(o): \(r)"
        case .empty(let f): return "\(f): empty file"
        case .document(let f, let w, let r): return "\(f): not valid \(w) output: \(r)"
        }
    }

    /// A short machine-readable kind, stored in the files ledger next to the message.
    package var kind: String {
        switch self {
        case .unreadable: return "unreadable"
        case .gzip: return "gzip"
        case .inflatedTooLarge: return "inflated-too-large"
        case .json: return "json"
        case .utf8: return "utf8"
        case .tooDeep: return "too-deep"
        case .recordTooLarge: return "record-too-large"
        case .shape: return "shape"
        case .record: return "record"
        case .empty: return "empty"
        case .document: return "document"
        }
    }
}
