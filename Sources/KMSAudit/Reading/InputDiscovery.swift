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
        names.sort { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
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
    static func classify(_ path: String) -> InputKind {
        let name = lastComponent(path).map(String.init) ?? path
        if name.hasPrefix(".") { return .other }
        if ASCIIText.contains(path, "/CloudTrail-Digest/") || ASCIIText.contains(name, "_CloudTrail-Digest_") { return .digest }
        let lower = name.lowercased()
        for suffix in [".json.gz", ".json", ".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz", ".log", ".gz"]
        where lower.hasSuffix(suffix) {
            return .log
        }
        return .other
    }

    /// `path.split(separator: "/").last`, without splitting the whole path into an array
    /// (this runs twice for each of a trail's 100k files before decoding can start).
    static func lastComponent(_ path: String) -> Substring? {
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
        let name = InputDiscovery.lastComponent(path).map(String.init) ?? path
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
}
