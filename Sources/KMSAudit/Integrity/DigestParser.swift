import Foundation

/// One CloudTrail digest file: every field the `digests` and `digest_log_files` tables hold.
/// Times are canonical (`YYYY-MM-DDTHH:MM:SSZ`) except `endTimeText`, kept exactly as written
/// because it is part of the string CloudTrail signs.
package struct DigestRecord: Sendable, Equatable {
    package var account: String
    package var startTime: String
    package var endTime: String
    package var endTimeText: String
    package var s3Bucket: String?
    /// `digestS3Object` as written: the key inside the bucket, with any prefix.
    package var s3Object: String
    /// The digest's object key from `AWSLogs/` on (the form of `files.object_key`).
    package var objectKey: String
    /// From the file name `ACCOUNT_CloudTrail-Digest_REGION_TRAIL_HOMEREGION_STAMP[_backfill].json.gz`.
    package var region: String?
    package var trail: String?
    package var homeRegion: String?
    package var backfill: Bool
    package var publicKeyFingerprint: String?
    package var signatureAlgorithm: String?
    package var newestEventTime: String?
    package var oldestEventTime: String?
    package var previousS3Bucket: String?
    package var previousS3Object: String?
    package var previousHash: String?
    package var previousHashAlgorithm: String?
    package var previousSignature: String?
    package var logFiles: [DigestLogFile]

    /// The previous digest's object key from `AWSLogs/` on.
    package var previousObjectKey: String? { previousS3Object.map(DigestParser.objectKey(from:)) }
}

/// One entry of a digest's `logFiles`.
package struct DigestLogFile: Sendable, Equatable {
    package var s3Bucket: String?
    package var s3Object: String
    /// From `AWSLogs/` on, to match `files.object_key`.
    package var objectKey: String
    /// Hex SHA-256 of the uncompressed log file, lower-cased.
    package var hashValue: String
    package var hashAlgorithm: String?
    package var newestEventTime: String?
    package var oldestEventTime: String?
}

package struct DigestParseError: Error, CustomStringConvertible, Equatable {
    package var file: String
    package var reason: String
    package var description: String { "\(file): not a CloudTrail digest: \(reason)" }
}

/// Parses CloudTrail digest files (the uncompressed JSON). Digests are small (one per trail,
/// region and hour), so Foundation's JSONSerialization is good enough.
package enum DigestParser {
    package static func parse(content: [UInt8], objectKey: String?) throws -> DigestRecord {
        let where_ = objectKey ?? "digest"
        func fail(_ reason: String) -> DigestParseError { DigestParseError(file: where_, reason: reason) }
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(content), options: [])
        } catch {
            throw fail("invalid JSON (\(error.localizedDescription))")
        }
        guard let object = json as? [String: Any] else { throw fail("the top level is not an object") }

        func string(_ key: String, in dict: [String: Any] = object) throws -> String? {
            switch dict[key] {
            case nil, is NSNull: return nil
            case let s as String: return s
            default: throw fail("\(key) is not a string")
            }
        }
        func required(_ key: String, in dict: [String: Any] = object) throws -> String {
            guard let s = try string(key, in: dict), !s.isEmpty else { throw fail("\(key) is missing") }
            return s
        }
        func time(_ key: String, in dict: [String: Any] = object) throws -> String? {
            guard let s = try string(key, in: dict) else { return nil }
            guard let date = TimeFormats.parseISO8601(s) else { throw fail("\(key) is not a time: \(s)") }
            return TimeFormats.canonical(date)
        }

        let account = try required("awsAccountId")
        let endText = try required("digestEndTime")
        guard let start = try time("digestStartTime") else { throw fail("digestStartTime is missing") }
        guard let end = try time("digestEndTime") else { throw fail("digestEndTime is missing") }
        // The object's own key is authoritative when the file does not say (it always does).
        let s3Object = try string("digestS3Object") ?? objectKey.map { $0 } ?? ""
        guard !s3Object.isEmpty else { throw fail("digestS3Object is missing") }

        var logFiles: [DigestLogFile] = []
        switch object["logFiles"] {
        case nil, is NSNull: break
        case let list as [Any]:
            for (i, item) in list.enumerated() {
                guard let entry = item as? [String: Any] else { throw fail("logFiles[\(i)] is not an object") }
                let key: String, hash: String
                do {
                    key = try required("s3Object", in: entry)
                    hash = try required("hashValue", in: entry)
                } catch let e as DigestParseError {
                    throw fail("logFiles[\(i)]: \(e.reason)")
                }
                logFiles.append(DigestLogFile(
                    s3Bucket: try string("s3Bucket", in: entry), s3Object: key,
                    objectKey: Self.objectKey(from: key), hashValue: hash.lowercased(),
                    hashAlgorithm: try string("hashAlgorithm", in: entry),
                    newestEventTime: try time("newestEventTime", in: entry),
                    oldestEventTime: try time("oldestEventTime", in: entry)))
            }
        default:
            throw fail("logFiles is not an array")
        }

        let name = DigestFileName(key: s3Object) ?? objectKey.flatMap(DigestFileName.init(key:))
        return DigestRecord(
            account: account, startTime: start, endTime: end, endTimeText: endText,
            s3Bucket: try string("digestS3Bucket"), s3Object: s3Object, objectKey: Self.objectKey(from: s3Object),
            region: name?.region, trail: name?.trail, homeRegion: name?.homeRegion, backfill: name?.backfill ?? false,
            publicKeyFingerprint: try string("digestPublicKeyFingerprint")?.lowercased(),
            signatureAlgorithm: try string("digestSignatureAlgorithm"),
            newestEventTime: try time("newestEventTime"), oldestEventTime: try time("oldestEventTime"),
            previousS3Bucket: try string("previousDigestS3Bucket"),
            previousS3Object: try string("previousDigestS3Object"),
            previousHash: try string("previousDigestHashValue")?.lowercased(),
            previousHashAlgorithm: try string("previousDigestHashAlgorithm"),
            previousSignature: try string("previousDigestSignature"),
            logFiles: logFiles)
    }

    /// An S3 key from `AWSLogs/` on: `prefix/AWSLogs/1234/...` → `AWSLogs/1234/...`; a key
    /// without `AWSLogs/` is returned as it is.
    package static func objectKey(from key: String) -> String {
        if key.hasPrefix("AWSLogs/") { return key }
        if let range = key.range(of: "/AWSLogs/") { return String(key[key.index(after: range.lowerBound)...]) }
        return key
    }
}

/// `ACCOUNT_CloudTrail-Digest_REGION_TRAIL_HOMEREGION_YYYYMMDDTHHMMSSZ[_backfill].json.gz`.
/// Trail names may contain `_`: the region is the third field, the home region and the stamp
/// are counted from the end.
struct DigestFileName: Equatable {
    var account: String
    var region: String
    var trail: String
    var homeRegion: String
    var stamp: String
    var backfill: Bool

    init?(key: String) {
        var name = key.split(separator: "/").last.map(String.init) ?? key
        for suffix in [".json.gz", ".json", ".gz"] where name.hasSuffix(suffix) {
            name.removeLast(suffix.count)
            break
        }
        var parts = name.split(separator: "_", omittingEmptySubsequences: false).map(String.init)
        backfill = parts.last == "backfill"
        if backfill { parts.removeLast() }
        guard parts.count >= 6, parts[1] == "CloudTrail-Digest" else { return nil }
        account = parts[0]
        region = parts[2]
        stamp = parts[parts.count - 1]
        homeRegion = parts[parts.count - 2]
        trail = parts[3..<(parts.count - 2)].joined(separator: "_")
        guard CloudTrailFileName.canonical(stamp) != nil else { return nil }
    }
}
