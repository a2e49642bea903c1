import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What kind of input a file is, decided by its path and name before anything is read.
package enum InputKind: String, Sendable {
    /// CloudTrail events: a batch, NDJSON, lookup-events output, a single record.
    case log
    /// A CloudTrail digest file (`CloudTrail-Digest/`): recorded, never read as events.
    case digest
    /// Anything else: counted and recorded as skipped.
    case other
}

/// One input file found on disk.
package struct DiscoveredFile: Sendable, Equatable {
    package var path: String
    package var size: Int64
    package var mtimeNs: Int64
    package var kind: InputKind
    /// The S3 object key, from `AWSLogs/` on, when the path has CloudTrail's layout.
    package var objectKey: String?
    package var account: String?
    package var region: String?
    /// Delivery time from CloudTrail's file name, canonical form.
    package var deliveredAt: String?
}

/// Finds input files: given files as they are, directories walked recursively in byte order of
/// names (stable across runs and machines), symlinked directories not followed (no loops).
package enum InputDiscovery {
    package static func discover(_ paths: [String]) throws -> [DiscoveredFile] {
        var found: [DiscoveredFile] = []
        for given in paths {
            let path = absolute(given)
            var st = stat()
            guard stat(path, &st) == 0 else {
                throw InputError.unreadable(file: given, reason: String(cString: strerror(errno)))
            }
            if (st.st_mode & S_IFMT) == S_IFDIR {
                try walk(path, into: &found)
            } else {
                found.append(describe(path, st))
            }
        }
        return found
    }

    private static func walk(_ dir: String, into found: inout [DiscoveredFile]) throws {
        guard let handle = opendir(dir) else {
            throw InputError.unreadable(file: dir, reason: String(cString: strerror(errno)))
        }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        closedir(handle)
        names.sort { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        for name in names {
            let path = dir.hasSuffix("/") ? dir + name : dir + "/" + name
            var st = stat()
            guard lstat(path, &st) == 0 else { continue }
            switch st.st_mode & S_IFMT {
            case S_IFDIR:
                try walk(path, into: &found)
            case S_IFREG:
                found.append(describe(path, st))
            case S_IFLNK:
                var target = stat()
                if stat(path, &target) == 0, (target.st_mode & S_IFMT) == S_IFREG { found.append(describe(path, target)) }
            default:
                continue
            }
        }
    }

    static func describe(_ path: String, _ st: stat) -> DiscoveredFile {
        let mtime = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
        var file = DiscoveredFile(path: path, size: Int64(st.st_size), mtimeNs: mtime, kind: classify(path),
                                  objectKey: nil, account: nil, region: nil, deliveredAt: nil)
        if let range = ASCIIText.range(of: "/AWSLogs/", in: path) {
            file.objectKey = String(path[path.index(after: range.lowerBound)...])
        }
        if let name = CloudTrailFileName(path: path) {
            file.account = name.account
            file.region = name.region
            file.deliveredAt = name.deliveredAt
        }
        return file
    }

    /// By path and name: digests by CloudTrail's folder or name; JSON-ish names as logs.
    package static func classify(_ path: String) -> InputKind {
        guard let bytes = ASCIIPath(path) else { return classifyByCharacter(path) }
        let name = bytes.lastComponent ?? bytes.all
        if name.first == UInt8(ascii: ".") { return .other }
        if ASCIIText.contains(path, "/CloudTrail-Digest/") || ASCIIText.contains(String(bytes.text(name)), "_CloudTrail-Digest_") {
            return .digest
        }
        for suffix in logSuffixes where ASCIIPath.hasSuffix(name, suffix, ignoringCase: true) { return .log }
        return .other
    }

    static let logSuffixes = [".json.gz", ".json", ".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz", ".log", ".gz"]

    /// `classify` by Characters, for a path that is not all ASCII (and the reference its
    /// byte-wise path is tested against).
    package static func classifyByCharacter(_ path: String) -> InputKind {
        let name = lastComponentByCharacter(path).map(String.init) ?? path
        if name.hasPrefix(".") { return .other }
        if ASCIIText.contains(path, "/CloudTrail-Digest/") || ASCIIText.contains(name, "_CloudTrail-Digest_") { return .digest }
        let lower = name.lowercased()
        for suffix in logSuffixes where lower.hasSuffix(suffix) {
            return .log
        }
        return .other
    }

    /// `path.split(separator: "/").last`, without splitting the whole path into an array.
    /// Discovery runs it for every file of a trail before decoding can start: by Characters it
    /// was, with the file-name parse, a quarter of the CPU of a nightly ingest that found
    /// 168,580 files (1,892 of them new), so an all-ASCII path is read as bytes.
    package static func lastComponent(_ path: String) -> Substring? {
        guard let bytes = ASCIIPath(path) else { return lastComponentByCharacter(path) }
        return bytes.lastComponent.map { path[$0.startIndex..<$0.endIndex] }
    }

    package static func lastComponentByCharacter(_ path: String) -> Substring? {
        // Trailing slashes make empty components, which `split` omits.
        var end = path.endIndex
        while end > path.startIndex && path[path.index(before: end)] == "/" { end = path.index(before: end) }
        guard end > path.startIndex else { return nil }
        let head = path[..<end]
        let start = head.lastIndex(of: "/").map { head.index(after: $0) } ?? head.startIndex
        return head[start...]
    }

    static func absolute(_ path: String) -> String {
        let url = URL(fileURLWithPath: path)
        return url.standardizedFileURL.path
    }
}

/// CloudTrail's log and digest file names:
/// `ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHmmZ_UNIQUE.json.gz` and
/// `ACCOUNT_CloudTrail-Digest_REGION_TRAIL_HOMEREGION_YYYYMMDDTHHmmssZ.json.gz`.
package struct CloudTrailFileName: Equatable, Sendable {
    package var account: String
    package var region: String
    package var deliveredAt: String

    package init?(path: String) {
        guard let bytes = ASCIIPath(path) else {
            guard let parsed = Self(byCharacter: path) else { return nil }
            self = parsed
            return
        }
        let name = bytes.lastComponent ?? bytes.all
        let parts = name.split(separator: UInt8(ascii: "_"), omittingEmptySubsequences: false)
        guard parts.count >= 5, parts[0].count == 12, parts[0].allSatisfy(ASCIIPath.isDigit) else { return nil }
        let stamp: Substring.UTF8View.SubSequence
        if parts[1].elementsEqual("CloudTrail".utf8) {
            stamp = parts[3]
        } else if parts[1].elementsEqual("CloudTrail-Digest".utf8), parts.count >= 6 {
            stamp = parts[5].prefix(while: { $0 != UInt8(ascii: ".") })
        } else {
            return nil
        }
        guard let at = Self.canonical(bytes: stamp) else { return nil }
        account = String(bytes.text(parts[0]))
        region = String(bytes.text(parts[2]))
        deliveredAt = at
    }

    /// By Characters, for a path that is not all ASCII (and the reference the byte-wise parse
    /// is tested against).
    package init?(byCharacter path: String) {
        let name = InputDiscovery.lastComponentByCharacter(path).map(String.init) ?? path
        let parts = name.split(separator: "_", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 5, parts[0].count == 12, parts[0].allSatisfy(\.isNumber) else { return nil }
        let stamp: String
        if parts[1] == "CloudTrail" {
            stamp = parts[3]
        } else if parts[1] == "CloudTrail-Digest", parts.count >= 6 {
            stamp = String(parts[5].prefix(while: { $0 != "." }))
        } else {
            return nil
        }
        guard let at = Self.canonical(stamp) else { return nil }
        account = parts[0]
        region = parts[2]
        deliveredAt = at
    }

    /// `20241021T1425Z` or `20241021T142529Z` → `2024-10-21T14:25:00Z` / `...:29Z`.
    static func canonical(_ s: String) -> String? {
        let c = Array(s)
        guard c.count == 14 || c.count == 16, c[8] == "T", c.last == "Z" else { return nil }
        let digits = c.filter(\.isNumber)
        guard digits.count == c.count - 2 else { return nil }
        let d = String(digits)
        func sub(_ a: Int, _ n: Int) -> String { String(d.dropFirst(a).prefix(n)) }
        let seconds = c.count == 16 ? sub(12, 2) : "00"
        return "\(sub(0, 4))-\(sub(4, 2))-\(sub(6, 2))T\(sub(8, 2)):\(sub(10, 2)):\(seconds)Z"
    }

    /// `canonical` over ASCII bytes.
    static func canonical<S: Collection>(bytes s: S) -> String? where S.Element == UInt8 {
        let c = Array(s)
        guard c.count == 14 || c.count == 16, c[8] == UInt8(ascii: "T"), c.last == UInt8(ascii: "Z") else { return nil }
        let digits = c.filter(ASCIIPath.isDigit)
        guard digits.count == c.count - 2 else { return nil }
        func sub(_ a: Int, _ n: Int) -> String { String(decoding: digits[a..<(a + n)], as: UTF8.self) }
        let seconds = c.count == 16 ? sub(12, 2) : "00"
        return "\(sub(0, 4))-\(sub(4, 2))-\(sub(6, 2))T\(sub(8, 2)):\(sub(10, 2)):\(seconds)Z"
    }
}

/// A path that is all ASCII, read as bytes: every byte is then a Character, so byte-wise
/// splitting and comparing give what Character-wise did, without the grapheme work.
struct ASCIIPath {
    let all: Substring.UTF8View

    init?(_ path: String) {
        let bytes = Substring(path).utf8
        guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
        all = bytes
    }

    /// The last component, trailing slashes ignored; nil for an empty path or only slashes.
    var lastComponent: Substring.UTF8View.SubSequence? {
        let slash = UInt8(ascii: "/")
        var end = all.endIndex
        while end > all.startIndex && all[all.index(before: end)] == slash { end = all.index(before: end) }
        guard end > all.startIndex else { return nil }
        var start = end
        while start > all.startIndex && all[all.index(before: start)] != slash { start = all.index(before: start) }
        return all[start..<end]
    }

    /// The text of a slice of `all`.
    func text(_ slice: Substring.UTF8View.SubSequence) -> Substring {
        Substring(slice)
    }

    static func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    static func hasSuffix(_ s: Substring.UTF8View.SubSequence, _ suffix: String, ignoringCase: Bool) -> Bool {
        let tail = suffix.utf8
        guard s.count >= tail.count else { return false }
        return zip(s.suffix(tail.count), tail).allSatisfy { a, b in
            (ignoringCase && a >= UInt8(ascii: "A") && a <= UInt8(ascii: "Z") ? a | 0x20 : a) == b
        }
    }
}
