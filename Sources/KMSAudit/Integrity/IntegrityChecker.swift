import Foundation
import GRDB

/// One outcome of `kmsaudit verify` worth a line: a problem, or an object that could not be
/// verified and why.
package struct IntegrityProblem: Sendable, Equatable {
    /// `tampered`, `missing`, `unlisted`, `chain-broken`, `bad-signature`, `coverage-gap`,
    /// `stopped-delivering`, or `not-verifiable`.
    package var kind: String
    package var status: String
    /// `log`, `digest`, `region` or `trail`.
    package var subject: String
    package var objectKey: String?
    package var account: String?
    package var region: String?
    package var trail: String?
    package var hour: String?
    /// The `detail` JSON object of the `integrity_results` row.
    package var detail: String
    /// One line for people.
    package var reason: String
}

/// What `IntegrityChecker.run` found; the same is in `integrity_runs` / `integrity_results`.
package struct IntegritySummary: Sendable {
    package struct Counts: Sendable, Equatable {
        package var verified = 0
        package var notVerifiable = 0
        package var failed = 0
        package var total: Int { verified + notVerifiable + failed }
    }

    package var runID: Int64 = 0
    /// Per log file (local, or listed in a digest and missing).
    package var logFiles = Counts()
    /// Per digest (local, or expected by the chain and missing).
    package var digests = Counts()
    package var publicKeysGiven = false
    package var signaturesGiven = false
    /// Tampered, missing, unlisted, chain-broken, bad-signature, coverage-gap, stopped-delivering.
    package var problems: [IntegrityProblem] = []
    /// Files and digests that could not be verified, with the reason.
    package var notVerifiable: [IntegrityProblem] = []

    package var verified: Int { logFiles.verified + digests.verified }
    package var notVerifiableCount: Int { logFiles.notVerifiable + digests.notVerifiable }
    package var failed: Int { logFiles.failed + digests.failed }
    package var isClean: Bool { problems.isEmpty }
}

/// Offline CloudTrail log file integrity validation over what ingest stored: the `files`
/// ledger (with each log file's uncompressed SHA-256) and the parsed `digests`.
///
/// Matching is by S3 object key from `AWSLogs/` on. See docs/SCHEMA.md "## Integrity" for the
/// meaning of every outcome.
package enum IntegrityChecker {
    /// A log file's name carries the minute it was written; S3 delivery (which decides the
    /// digest that lists it) can be a little later.
    static let deliverySlack = 15 * 60
    /// A region or trail whose last file is older than this before the window end stopped delivering.
    static let stoppedAfter = 2 * 3600

    package static func run(_ db: Database, publicKeys: PublicKeySet?, signatures: [String: String]?,
                           window: (start: String?, end: String?)) throws -> IntegritySummary {
        var checker = Checker(publicKeys: publicKeys, window: window)
        for (key, value) in signatures ?? [:] {
            checker.sideSignatures[DigestParser.objectKey(from: Self.stripBucket(key))] =
                trimmed(value)
        }
        try checker.load(db)
        // Digests first: a digest that fails its own check cannot vouch for the log files it lists.
        checker.linkDigests()
        checker.verifySignatures()
        checker.judgeDigestTrust()
        checker.checkLogs()
        checker.checkDigests()
        checker.checkCoverage()
        return try checker.write(db, signaturesGiven: signatures != nil)
    }

    /// A signature without the white space around it. Most have none: Foundation's trim, called
    /// for each of them, was 0.2 s of a check at 20M records.
    static func trimmed(_ s: String) -> String {
        guard let first = s.unicodeScalars.first, let last = s.unicodeScalars.last,
              first.properties.isWhitespace || last.properties.isWhitespace else { return s }
        return s.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `s3://bucket/AWSLogs/...` or `bucket/AWSLogs/...` → the key.
    static func stripBucket(_ key: String) -> String {
        var k = key
        if k.hasPrefix("s3://") { k.removeFirst(5) }
        return k
    }

    /// The string CloudTrail signs for a digest (AWS CLI's validation uses the same; a first
    /// digest, without a previous signature, signs the word `null`).
    package static func stringToSign(endTime: String, bucket: String, s3Object: String, contentSHA256: String,
                                    previousSignature: String?) -> String {
        "\(endTime)\n\(bucket)/\(s3Object)\n\(contentSHA256.lowercased())\n\(previousSignature ?? "null")"
    }
}

// MARK: - The checks

private struct LogFileRow {
    var id: Int64
    var path: String
    var key: String?
    var account: String?
    var region: String?
    var deliveredAt: Int?
    var status: String
    var contentSHA256: String?
    var error: String?
}

private struct DigestRow {
    var id: Int64
    var fileID: Int64
    var fileKey: String?
    var key: String
    var bucket: String?
    var s3Object: String?
    var account: String?
    var region: String?
    var trail: String?
    var homeRegion: String?
    var start: Int
    var end: Int
    var endTimeText: String
    var contentSHA256: String
    var previousKey: String?
    var previousHash: String?
    var previousSignature: String?
    var fingerprint: String?
    var backfill: Bool
}

private struct ChainKey: Hashable { var account: String?; var region: String?; var trail: String? }
private struct AccountRegion: Hashable { var account: String; var region: String }

private struct ResultRow {
    var subject: String
    var aspect: String
    var kind: String
    var status: String
    var objectKey: String?
    var fileID: Int64?
    var digestID: Int64?
    var account: String?
    var region: String?
    var trail: String?
    var hour: String?
    var detail: [String: Any]
    var reason: String
    /// Rows of the coverage check are computed inside the window already.
    var windowed = true
}

private struct Checker {
    let publicKeys: PublicKeySet?
    let windowStart: Int?
    let windowEnd: Int?
    let windowText: (start: String?, end: String?)
    var sideSignatures: [String: String] = [:]

    var logs: [LogFileRow] = []
    var logKeys: Set<String> = []
    var digests: [DigestRow] = []
    var digestsByKey: [String: DigestRow] = [:]
    var digestsByID: [Int64: DigestRow] = [:]
    var unparsedDigestFiles: [(id: Int64, key: String?, status: String, error: String?, account: String?, region: String?, deliveredAt: Int?)] = []
    var listings: [String: [(digestID: Int64, hash: String)]] = [:]
    var listingOrder: [String] = []
    var rows: [ResultRow] = []
    /// Per digest id: the later digest that names it, the hash it gives and whether it matched.
    var successor: [Int64: (by: DigestRow, matches: Bool)] = [:]
    var chains: [ChainKey: [DigestRow]] = [:]
    /// Per digest id: its signature's verdict and where the signature came from (nil: none found).
    var signatureVerdicts: [Int64: (verdict: PublicKeySet.Verdict, source: String)] = [:]
    /// Digests that fail their own check (content changed under the next digest, or a signature
    /// that does not verify), with why: the hashes they list prove nothing about log files.
    var untrusted: [Int64: String] = [:]
    /// Per account and region: sorted digest windows, for "does a digest cover this time".
    var windows: [AccountRegion: [(start: Int, end: Int)]] = [:]
    var longestWindow: [AccountRegion: Int] = [:]

    init(publicKeys: PublicKeySet?, window: (start: String?, end: String?)) {
        self.publicKeys = publicKeys
        windowText = window
        windowStart = window.start.flatMap(UTCClock.epoch)
        windowEnd = window.end.flatMap(UTCClock.epoch)
    }

    // MARK: Loading

    mutating func load(_ db: Database) throws {
        let logCursor = try Row.fetchCursor(db, sql: """
            SELECT id, path, object_key, account, region, delivered_at, status, content_sha256, error
            FROM files WHERE kind = 'log' ORDER BY object_key, id
            """)
        while let r = try logCursor.next() {
            let key: String? = r["object_key"]
            logs.append(LogFileRow(id: r["id"], path: r["path"], key: key, account: r["account"], region: r["region"],
                                   deliveredAt: (r["delivered_at"] as String?).flatMap(UTCClock.epoch),
                                   status: r["status"], contentSHA256: (r["content_sha256"] as String?)?.lowercased(),
                                   error: r["error"]))
            if let key { logKeys.insert(key) }
        }

        let digestCursor = try Row.fetchCursor(db, sql: """
            SELECT d.*, f.object_key AS file_key FROM digests d JOIN files f ON f.id = d.file_id
            ORDER BY d.end_time, d.id
            """)
        while let r = try digestCursor.next() {
            let s3Object: String? = r["digest_s3_object"]
            let fileKey: String? = r["file_key"]
            guard let key = (r["object_key"] as String?) ?? s3Object.map(DigestParser.objectKey(from:)) ?? fileKey,
                  let startText = r["start_time"] as String?, let start = UTCClock.epoch(startText),
                  let endText = r["end_time"] as String?, let end = UTCClock.epoch(endText) else { continue }
            let previous: String? = r["previous_s3_object"]
            let d = DigestRow(
                id: r["id"], fileID: r["file_id"], fileKey: fileKey, key: key, bucket: r["digest_s3_bucket"],
                s3Object: s3Object, account: r["account"], region: r["region"], trail: r["trail"],
                homeRegion: r["home_region"], start: start, end: end,
                endTimeText: (r["end_time_text"] as String?) ?? endText,
                contentSHA256: (r["content_sha256"] as String).lowercased(),
                previousKey: previous.map(DigestParser.objectKey(from:)),
                previousHash: (r["previous_hash"] as String?)?.lowercased(),
                previousSignature: r["previous_signature"], fingerprint: r["public_key_fingerprint"],
                backfill: (r["backfill"] as Int64? ?? 0) != 0)
            digests.append(d)
            if digestsByKey[key] == nil { digestsByKey[key] = d }
            digestsByID[d.id] = d
            if let account = d.account, let region = d.region {
                windows[AccountRegion(account: account, region: region), default: []].append((d.start, d.end))
            }
            if !d.backfill {
                chains[ChainKey(account: d.account, region: d.region, trail: d.trail), default: []].append(d)
            }
        }
        for k in windows.keys {
            windows[k]!.sort { $0.start < $1.start }
            longestWindow[k] = windows[k]!.map { $0.end - $0.start }.max()
        }

        let unparsed = try Row.fetchCursor(db, sql: """
            SELECT f.id, f.object_key, f.status, f.error, f.account, f.region, f.delivered_at FROM files f
            WHERE f.kind = 'digest' AND NOT EXISTS (SELECT 1 FROM digests d WHERE d.file_id = f.id)
            ORDER BY f.object_key
            """)
        while let r = try unparsed.next() {
            unparsedDigestFiles.append((r["id"], r["object_key"], r["status"], r["error"], r["account"], r["region"],
                                        (r["delivered_at"] as String?).flatMap(UTCClock.epoch)))
        }

        let listingCursor = try Row.fetchCursor(db, sql: """
            SELECT digest_id, coalesce(object_key, s3_object) AS key, hash_value FROM digest_log_files ORDER BY rowid
            """)
        while let r = try listingCursor.next() {
            let key = DigestParser.objectKey(from: r["key"])
            if listings[key] == nil { listingOrder.append(key) }
            listings[key, default: []].append((r["digest_id"], (r["hash_value"] as String).lowercased()))
        }
    }

    // MARK: Log files

    mutating func checkLogs() {
        for log in logs {
            let hour = log.deliveredAt.map(UTCClock.hourText)
            var row = ResultRow(subject: "log", aspect: "hash", kind: "verified", status: "verified", objectKey: log.key,
                                fileID: log.id, account: log.account, region: log.region, hour: hour, detail: [:],
                                reason: "")
            guard let key = log.key, key.contains("/CloudTrail/") else {
                row.kind = "not-verifiable"; row.status = "not-verifiable"
                row.reason = "not in CloudTrail's S3 layout (AWSLogs/ACCOUNT/CloudTrail/REGION/...): no digest can list it"
                rows.append(row)
                continue
            }
            let allListed = listings[key] ?? []
            let listed = allListed.filter { untrusted[$0.digestID] == nil }
            let digestKeys = listed.compactMap { digestsByID[$0.digestID]?.key }
            if listed.isEmpty, let only = allListed.first, let why = untrusted[only.digestID] {
                // Only a digest that fails its own check lists it: not evidence either way.
                let digestKey = digestsByID[only.digestID]?.key ?? "?"
                row.kind = "not-verifiable"; row.status = "not-verifiable"; row.digestID = only.digestID
                row.detail = ["digest": digestKey, "digest_problem": why]
                row.reason = "listed only in digest \(digestKey), which fails its own check (\(why)): its hashes cannot be trusted"
                rows.append(row)
                continue
            }
            guard log.status == "ok", let actual = log.contentSHA256 else {
                if listed.isEmpty {
                    row.kind = "not-verifiable"; row.status = "not-verifiable"
                    row.reason = "not read (\(log.status)): no content hash"
                } else if let actual = Self.contentSHA256(path: log.path), !listed.contains(where: { $0.hash == actual }) {
                    // Ingest refused it (bad JSON, say), but it still inflates: its hash tells.
                    row.kind = "tampered"; row.status = "failed"; row.digestID = listed[0].digestID
                    row.detail = ["expected_sha256": listed[0].hash, "actual_sha256": actual, "digest": digestKeys.first ?? "",
                                  "ingest_error": log.error ?? log.status]
                    row.reason = "content differs from what the digest recorded, and ingest failed on it: \(log.error ?? log.status)"
                } else {
                    row.aspect = "listing"; row.kind = "missing"; row.status = "failed"
                    row.detail = ["reason": "not-ingested", "error": log.error ?? log.status, "digest": digestKeys.first ?? ""]
                    row.reason = "listed in a digest, present, but not ingested: \(log.error ?? log.status)"
                }
                rows.append(row)
                continue
            }
            if !listed.isEmpty {
                if let match = listed.first(where: { $0.hash == actual }) {
                    row.detail = ["digest": digestsByID[match.digestID]?.key ?? "", "sha256": actual]
                    row.digestID = match.digestID
                } else {
                    row.kind = "tampered"; row.status = "failed"; row.digestID = listed[0].digestID
                    row.detail = ["expected_sha256": listed[0].hash, "actual_sha256": actual, "digest": digestKeys.first ?? ""]
                    row.reason = "content differs from what the digest recorded (uncompressed SHA-256 \(actual.prefix(12))…, digest says \(listed[0].hash.prefix(12))…)"
                }
            } else if let account = log.account, let region = log.region, let t = log.deliveredAt,
                      covered(AccountRegion(account: account, region: region), t) {
                row.aspect = "listing"; row.kind = "unlisted"; row.status = "failed"
                row.detail = ["delivered_at": UTCClock.text(t), "reason": "digests cover its delivery time but none lists it"]
                row.reason = "no digest lists it although digests cover its account, region and hour (added after delivery?)"
            } else {
                row.kind = "not-verifiable"; row.status = "not-verifiable"
                row.reason = "no digest covers its delivery time (validation off, or its digest not yet delivered)"
            }
            rows.append(row)
        }

        // Listed in a digest, absent locally.
        for key in listingOrder where !logKeys.contains(key) {
            let name = CloudTrailFileName(path: key)
            guard let first = listings[key]!.first(where: { untrusted[$0.digestID] == nil }) else {
                // Only an untrusted digest lists it: the listing may be the edit.
                let only = listings[key]![0]
                let digest = digestsByID[only.digestID]
                let why = untrusted[only.digestID] ?? ""
                let at = name.flatMap { UTCClock.epoch($0.deliveredAt) } ?? digest?.start
                rows.append(ResultRow(
                    subject: "log", aspect: "listing", kind: "not-verifiable", status: "not-verifiable", objectKey: key,
                    digestID: only.digestID, account: name?.account ?? digest?.account,
                    region: name?.region ?? digest?.region, hour: at.map(UTCClock.hourText),
                    detail: ["digest": digest?.key ?? "", "digest_problem": why],
                    reason: "absent locally and listed only in digest \(digest?.key ?? "?"), which fails its own check (\(why))"))
                continue
            }
            let digest = digestsByID[first.digestID]
            let at = name.flatMap { UTCClock.epoch($0.deliveredAt) } ?? digest?.start
            rows.append(ResultRow(
                subject: "log", aspect: "listing", kind: "missing", status: "failed", objectKey: key,
                digestID: first.digestID, account: name?.account ?? digest?.account, region: name?.region ?? digest?.region,
                hour: at.map(UTCClock.hourText),
                detail: ["reason": "absent", "digest": digest?.key ?? "", "expected_sha256": first.hash],
                reason: "listed in digest \(digest?.key ?? "?") but absent locally"))
        }
    }

    /// The uncompressed SHA-256 of a file ingest did not hash (it failed), streaming; nil when
    /// it cannot be inflated.
    static func contentSHA256(path: String) -> String? {
        guard let source = try? GzipByteSource(path: path, maxContentBytes: Int64.max) else { return nil }
        do { while try source.next() != nil {} } catch { return nil }
        return source.contentSHA256()
    }

    /// A digest window holds `t` and another (or the same) holds `t + slack`: whichever digest
    /// the file's actual delivery fell into is here, so it should have been listed.
    func covered(_ ar: AccountRegion, _ t: Int) -> Bool {
        guard let list = windows[ar], let longest = longestWindow[ar] else { return false }
        // Sorted by start: binary search the last window starting at or before p, then look
        // back no further than the longest window.
        func holds(_ p: Int) -> Bool {
            var lo = 0, hi = list.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if list[mid].start <= p { lo = mid + 1 } else { hi = mid }
            }
            var i = lo - 1
            while i >= 0, list[i].start >= p - longest {
                if p < list[i].end { return true }
                i -= 1
            }
            return false
        }
        return holds(t) && holds(t + IntegrityChecker.deliverySlack)
    }

    // MARK: Digests

    /// Links: each digest vouches for its predecessor's content hash and carries its signature.
    mutating func linkDigests() {
        for (chainKey, chain) in chains {
            for (i, d) in chain.enumerated() {
                guard let pk = d.previousKey else { continue }
                if let p = digestsByKey[pk] {
                    let matches = d.previousHash == p.contentSHA256
                    if let earlier = successor[p.id], !earlier.matches { continue }
                    successor[p.id] = (d, matches)
                } else {
                    reportMissingPredecessors(of: d, at: i, in: chain, chainKey: chainKey, previousKey: pk)
                }
            }
        }
    }

    /// Each digest's signature (from the next digest, else the signatures file) against the
    /// public keys, when they were given.
    mutating func verifySignatures() {
        guard let publicKeys else { return }
        for d in digests {
            let fromChain = successor[d.id].flatMap { s in s.by.previousSignature.map { ($0, "next digest \(s.by.key)") } }
            let fromSide = sideSignatures[d.key].map { ($0, "signatures file") }
            guard let (signature, source) = fromChain ?? fromSide else { continue }
            let message = IntegrityChecker.stringToSign(
                endTime: d.endTimeText, bucket: d.bucket ?? "", s3Object: d.s3Object ?? d.key,
                contentSHA256: d.contentSHA256, previousSignature: d.previousSignature)
            signatureVerdicts[d.id] = (publicKeys.verify(signatureHex: signature, message: Array(message.utf8),
                                                         fingerprint: d.fingerprint), source)
        }
    }

    /// A digest whose content the next digest contradicts, or whose signature fails, is untrusted.
    mutating func judgeDigestTrust() {
        for d in digests {
            if let s = successor[d.id], !s.matches {
                untrusted[d.id] = "its SHA-256 differs from the one the next digest \(s.by.key) recorded"
            } else if case .invalid(let why)? = signatureVerdicts[d.id]?.verdict {
                untrusted[d.id] = "its signature does not verify: \(why)"
            }
        }
    }

    /// How many log files digest `id` lists.
    func listedCount(_ id: Int64) -> Int {
        listings.values.reduce(0) { n, list in n + list.filter { $0.digestID == id }.count }
    }

    mutating func checkDigests() {
        for d in digests {
            let base = ResultRow(subject: "digest", aspect: "chain", kind: "verified", status: "verified",
                                 objectKey: d.key, fileID: d.fileID, digestID: d.id, account: d.account,
                                 region: d.region, trail: d.trail, hour: UTCClock.hourText(d.start), detail: [:], reason: "")
            if let fileKey = d.fileKey, fileKey != d.key {
                var moved = base
                moved.kind = "chain-broken"; moved.status = "failed"
                moved.detail = ["reason": "moved", "found_at": fileKey]
                moved.reason = "the digest names \(d.key) as its location but was found at \(fileKey)"
                rows.append(moved)
            }

            // Chain: does a later digest vouch for this content?
            var chain = base
            if d.backfill {
                chain.kind = "not-verifiable"; chain.status = "not-verifiable"
                chain.reason = "backfill digest: outside the hourly chain"
            } else if let s = successor[d.id] {
                if s.matches {
                    chain.detail = ["next": s.by.key]
                } else {
                    chain.kind = "chain-broken"; chain.status = "failed"
                    chain.detail = ["reason": "content-changed", "next": s.by.key,
                                    "expected_sha256": s.by.previousHash ?? "", "actual_sha256": d.contentSHA256]
                    chain.detail["listed_log_files"] = listedCount(d.id)
                    chain.reason = "its content changed: the next digest \(s.by.key) recorded a different SHA-256 (the \(listedCount(d.id)) log files it lists are not verifiable through it)"
                }
            } else {
                chain.kind = "not-verifiable"; chain.status = "not-verifiable"
                let isNewest = chains[ChainKey(account: d.account, region: d.region, trail: d.trail)]?.last?.id == d.id
                chain.reason = isNewest ? "newest digest of its trail and region: no later digest vouches for it"
                                        : "no later digest names it (the next one is missing, or the chain restarted)"
            }
            rows.append(chain)

            // Signature.
            var sig = base
            sig.aspect = "signature"
            if publicKeys != nil {
                if let (verdict, source) = signatureVerdicts[d.id] {
                    switch verdict {
                    case .valid:
                        sig.detail = ["signature_from": source, "fingerprint": d.fingerprint ?? ""]
                    case .invalid(let why):
                        sig.kind = "bad-signature"; sig.status = "failed"
                        sig.detail = ["signature_from": source, "fingerprint": d.fingerprint ?? "", "reason": why]
                        sig.detail["listed_log_files"] = listedCount(d.id)
                        sig.reason = "SHA256withRSA signature (from \(source)) does not verify: \(why) (the \(listedCount(d.id)) log files it lists are not verifiable through it)"
                    case .unknownKey(let why):
                        sig.kind = "not-verifiable"; sig.status = "not-verifiable"
                        sig.detail = ["signature_from": source, "fingerprint": d.fingerprint ?? ""]
                        sig.reason = "\(why) in --public-keys (keys are per region: add that region's keys)"
                    }
                } else {
                    sig.kind = "not-verifiable"; sig.status = "not-verifiable"
                    sig.reason = "its signature is S3 object metadata (x-amz-meta-signature) and no later digest carries it: give it with --signatures"
                }
            } else {
                sig.kind = "not-verifiable"; sig.status = "not-verifiable"
                sig.reason = "signatures not checked: no --public-keys"
            }
            rows.append(sig)
        }

        for f in unparsedDigestFiles {
            rows.append(ResultRow(
                subject: "digest", aspect: "chain", kind: "chain-broken", status: "failed", objectKey: f.key, fileID: f.id,
                account: f.account, region: f.region, hour: f.deliveredAt.map { UTCClock.hourText($0 - 3600) },
                detail: ["reason": "unreadable", "error": f.error ?? f.status],
                reason: f.status == "ok" ? "digest file not parsed (re-run ingest)" : "digest file unreadable: \(f.error ?? f.status)"))
        }
    }

    /// `d` names a previous digest that is not here. The local digest before `d` in its chain
    /// tells how many hours are missing: every one of them is reported (two consecutive deleted
    /// digests are two findings). The last one's key is exact; earlier ones are predicted from it.
    mutating func reportMissingPredecessors(of d: DigestRow, at i: Int, in chain: [DigestRow], chainKey: ChainKey,
                                            previousKey pk: String) {
        var count = 1
        if i > 0 {
            let before = chain[i - 1]
            if before.end <= d.start {
                count = max(1, Int((Double(d.start - before.end) / 3600).rounded()))
            }
        } else {
            // The oldest local digest: its predecessor matters only inside the audit window.
            guard let windowStart, d.start > windowStart + 300 else { return }
        }
        for k in 0..<count {
            let end = d.start - k * 3600
            let key = k == 0 ? pk : Self.predictedKey(pk, newEnd: end) ?? pk + " (hour ending \(UTCClock.text(end)))"
            var detail: [String: Any] = ["reason": "missing", "expected_end": UTCClock.text(end)]
            if k == 0 { detail["named_by"] = d.key } else { detail["predicted"] = true; detail["named_by"] = d.key }
            detail["missing_in_gap"] = count
            rows.append(ResultRow(
                subject: "digest", aspect: "chain", kind: "chain-broken", status: "failed", objectKey: key,
                account: chainKey.account, region: chainKey.region, trail: chainKey.trail,
                hour: UTCClock.hourText(end - 3600), detail: detail,
                reason: count > 1 ? "digest missing from the hourly chain (\(count) consecutive digests missing before \(d.key))"
                                  : "digest missing from the hourly chain (named by \(d.key))"))
        }
    }

    /// The key a digest with end time `newEnd` would have, from a neighbour's key of the same chain.
    static func predictedKey(_ key: String, newEnd: Int) -> String? {
        guard let name = DigestFileName(key: key) else { return nil }
        var parts = key.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count >= 4 else { return nil }
        let text = UTCClock.text(newEnd)
        let n = parts.count
        parts[n - 4] = String(text.prefix(4))
        parts[n - 3] = String(text.dropFirst(5).prefix(2))
        parts[n - 2] = String(text.dropFirst(8).prefix(2))
        parts[n - 1] = parts[n - 1].replacingOccurrences(of: name.stamp, with: UTCClock.stamp(newEnd))
        return parts.joined(separator: "/")
    }

    // MARK: Coverage

    mutating func checkCoverage() {
        var hours: [AccountRegion: Set<Int>] = [:]
        var last: [AccountRegion: (t: Int, key: String)] = [:]
        var first: [AccountRegion: Int] = [:]
        var prefix: [AccountRegion: String] = [:]
        var globalLast = Int.min
        func note(_ ar: AccountRegion, _ t: Int, _ key: String?) {
            hours[ar, default: []].insert(UTCClock.hourFloor(t))
            if t > (last[ar]?.t ?? Int.min) { last[ar] = (t, key ?? "") }
            first[ar] = min(first[ar] ?? t, t)
            globalLast = max(globalLast, t)
        }
        for log in logs {
            guard let key = log.key, key.contains("/CloudTrail/"), let account = log.account, let region = log.region,
                  let t = log.deliveredAt else { continue }
            let ar = AccountRegion(account: account, region: region)
            note(ar, t, key)
            if prefix[ar] == nil, let r = key.range(of: "/CloudTrail/\(region)/") { prefix[ar] = String(key[..<r.upperBound]) }
        }
        for d in digests {
            guard let account = d.account, let region = d.region else { continue }
            let ar = AccountRegion(account: account, region: region)
            var h = UTCClock.hourFloor(d.start)
            while h < d.end { hours[ar, default: []].insert(h); h += 3600 }
            if d.end > (last[ar]?.t ?? Int.min) { last[ar] = (d.end, d.key) }
            first[ar] = min(first[ar] ?? d.start, d.start)
            globalLast = max(globalLast, d.end)
        }
        guard globalLast != Int.min else { return }
        let reference = windowEnd ?? globalLast

        // Where a digest chain starts (its earliest digest names no previous one), the trail began
        // delivering for that account and region then (an organisation trail's accounts and
        // regions join at different times): coverage is judged from there, not from the window's
        // start. An earliest digest that names a previous one is a missing first part (LOG-004).
        var earliestDigest: [AccountRegion: DigestRow] = [:]
        for d in digests where !d.backfill {
            guard let account = d.account, let region = d.region else { continue }
            let ar = AccountRegion(account: account, region: region)
            if d.start < earliestDigest[ar]?.start ?? Int.max { earliestDigest[ar] = d }
        }

        for ar in hours.keys.sorted(by: { ($0.account, $0.region) < ($1.account, $1.region) }) {
            let covered = hours[ar]!
            let lastT = last[ar]!.t
            var from = UTCClock.hourFloor(windowStart ?? first[ar]!)
            if let d = earliestDigest[ar], d.previousSignature == nil, d.previousKey == nil,
               UTCClock.hourFloor(first[ar]!) > from {
                from = UTCClock.hourFloor(first[ar]!)
                let began = UTCClock.text(first[ar]!)
                rows.append(ResultRow(
                    subject: "region", aspect: "coverage", kind: "verified", status: "verified",
                    objectKey: d.key, digestID: d.id, account: ar.account, region: ar.region, trail: d.trail,
                    hour: UTCClock.hourText(first[ar]!),
                    detail: ["reason": "chain-start", "began": began, "first_digest": d.key,
                             "window_start": windowStart.map(UTCClock.text) ?? ""],
                    reason: "trail began delivering for this account and region at \(began)",
                    windowed: false))
            }
            let to = min(windowEnd ?? (lastT + 1), UTCClock.hourFloor(lastT) + 3600)
            let folder = prefix[ar] ?? "AWSLogs/\(ar.account)/CloudTrail/\(ar.region)/"
            var h = from
            var runStart: Int?
            func closeRun(_ end: Int) {
                guard let s = runStart else { return }
                let n = (end - s) / 3600
                let text = UTCClock.text(s)
                let day = "\(text.prefix(4))/\(text.dropFirst(5).prefix(2))/\(text.dropFirst(8).prefix(2))/"
                let hourStamp = String(UTCClock.stamp(s).prefix(11))
                rows.append(ResultRow(
                    subject: "region", aspect: "coverage", kind: "coverage-gap", status: "not-verifiable",
                    objectKey: folder + day + "\(ar.account)_CloudTrail_\(ar.region)_\(hourStamp)",
                    account: ar.account, region: ar.region, hour: text,
                    detail: ["from": text, "to": UTCClock.text(end), "hours": n],
                    reason: "\(n) hour\(n == 1 ? "" : "s") from \(text) with neither a log file nor a digest",
                    windowed: false))
                runStart = nil
            }
            while h < to {
                if covered.contains(h) { closeRun(h) } else if runStart == nil { runStart = h }
                h += 3600
            }
            closeRun(max(h, from))

            if reference - lastT > IntegrityChecker.stoppedAfter {
                rows.append(ResultRow(
                    subject: "region", aspect: "coverage", kind: "stopped-delivering", status: "not-verifiable",
                    objectKey: last[ar]!.key, account: ar.account, region: ar.region, hour: UTCClock.hourText(lastT),
                    detail: ["last_delivery": UTCClock.text(lastT), "window_end": UTCClock.text(reference),
                             "hours_silent": (reference - lastT) / 3600],
                    reason: "nothing delivered for \(ar.account) \(ar.region) after \(UTCClock.text(lastT)) (window ends \(UTCClock.text(reference)))",
                    windowed: false))
            }
        }

        // A trail's digest chain that ends long before the window end while its region goes on.
        for (key, chain) in chains {
            guard let newest = chain.last, reference - newest.end > IntegrityChecker.stoppedAfter else { continue }
            if let account = key.account, let region = key.region,
               let regionLast = last[AccountRegion(account: account, region: region)]?.t,
               reference - regionLast > IntegrityChecker.stoppedAfter {
                continue // the whole region stopped: reported above
            }
            let next = Self.predictedKey(newest.key, newEnd: newest.end + 3600)
            rows.append(ResultRow(
                subject: "trail", aspect: "coverage", kind: "stopped-delivering", status: "not-verifiable",
                objectKey: newest.key, digestID: newest.id, account: key.account, region: key.region, trail: key.trail,
                hour: UTCClock.hourText(newest.start),
                detail: ["last_digest_end": UTCClock.text(newest.end), "window_end": UTCClock.text(reference),
                         "hours_silent": (reference - newest.end) / 3600, "next_expected": next ?? ""],
                reason: "the digest chain of trail \(key.trail ?? "?") ends at \(UTCClock.text(newest.end)) (validation off, trail stopped, or newest digests deleted; next expected \(next ?? "?"))",
                windowed: false))
        }
    }

    // MARK: Writing

    func inWindow(_ row: ResultRow) -> Bool {
        guard row.windowed, let hour = row.hour, let t = UTCClock.epoch(hour) else { return true }
        if let windowStart, t + 3600 <= windowStart { return false }
        if let windowEnd, t >= windowEnd { return false }
        return true
    }

    func write(_ db: Database, signaturesGiven: Bool) throws -> IntegritySummary {
        let kept = rows.filter(inWindow)
        var summary = IntegritySummary()
        summary.publicKeysGiven = publicKeys != nil
        summary.signaturesGiven = signaturesGiven

        // Per object: logs have one outcome; a digest is verified when its signature verified,
        // or, without public keys, when the next digest vouches for its content.
        var logStatus: [String: String] = [:]
        var digestAspects: [String: [String: String]] = [:]
        func worse(_ a: String?, _ b: String) -> String {
            let rank = ["verified": 0, "not-verifiable": 1, "failed": 2]
            guard let a else { return b }
            return rank[a]! >= rank[b]! ? a : b
        }
        for (i, r) in kept.enumerated() {
            let id = r.objectKey ?? "#\(i)"
            switch r.subject {
            case "log": logStatus[id] = worse(logStatus[id], r.status)
            case "digest":
                var aspects = digestAspects[id] ?? [:]
                aspects[r.aspect] = worse(aspects[r.aspect], r.status)
                digestAspects[id] = aspects
            default: break
            }
        }
        for status in logStatus.values { summary.logFiles.add(status) }
        for aspects in digestAspects.values {
            let status: String
            if aspects.values.contains("failed") {
                status = "failed"
            } else if aspects["signature"] == "verified" || (publicKeys == nil && aspects["chain"] == "verified") {
                status = "verified"
            } else {
                status = "not-verifiable"
            }
            summary.digests.add(status)
        }

        let problemKinds: Set<String> = ["tampered", "missing", "unlisted", "chain-broken", "bad-signature",
                                         "coverage-gap", "stopped-delivering"]
        // Serialised only for the rows reported (most rows are verified files).
        func problem(_ r: ResultRow) -> IntegrityProblem {
            IntegrityProblem(kind: r.kind, status: r.status, subject: r.subject, objectKey: r.objectKey,
                             account: r.account, region: r.region, trail: r.trail, hour: r.hour,
                             detail: Self.json(r.detail), reason: r.reason)
        }
        for r in kept {
            if problemKinds.contains(r.kind) {
                summary.problems.append(problem(r))
            } else if r.kind == "not-verifiable", !(r.aspect == "signature" && publicKeys == nil) {
                summary.notVerifiable.append(problem(r))
            }
        }

        try db.inSavepoint {
            try db.execute(sql: "DELETE FROM integrity_results")
            try db.execute(sql: """
                INSERT INTO integrity_runs (started_at, window_start, window_end, public_keys, signatures_given)
                VALUES (?, ?, ?, ?, ?)
                """, arguments: [TimeFormats.canonical(Date()), windowText.start, windowText.end,
                                 publicKeys != nil, signaturesGiven])
            summary.runID = db.lastInsertedRowID
            // A row per log file: through the C API (GRDB's argument boxing was half the time).
            let statement = try SQLiteStatement(db, """
                INSERT INTO integrity_results (run_id, subject, aspect, kind, status, object_key, file_id, digest_id,
                    account, region, trail, hour, detail) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)
                """)
            for r in kept {
                var detail = r.detail
                if !r.reason.isEmpty { detail["message"] = r.reason }
                try statement.bind([summary.runID, r.subject, r.aspect, r.kind, r.status, r.objectKey,
                                r.fileID, r.digestID, r.account, r.region, r.trail, r.hour, Self.json(detail)])
                try statement.run()
            }
            try db.execute(sql: """
                UPDATE integrity_runs SET finished_at = ?, log_files = ?, digests = ?, verified = ?,
                    not_verifiable = ?, failed = ?, problems = ? WHERE id = ?
                """, arguments: [TimeFormats.canonical(Date()), summary.logFiles.total, summary.digests.total,
                                 summary.verified, summary.notVerifiableCount, summary.failed,
                                 summary.problems.count, summary.runID])
            return .commit
        }
        return summary
    }

    static func json(_ object: [String: Any]) -> String {
        if let plain = IntegrityJSON.plainJSON(object) { return plain }
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else {
            return "{}"
        }
        return String(decoding: data, as: UTF8.self)
    }
}

enum IntegrityJSON {
    /// The common case written directly: string values with nothing to escape, keys sorted as
    /// JSONSerialization's `.sortedKeys` sorts them. A row per log file went through
    /// JSONSerialization before (0.15 s of `check` for 12,000 files); anything else still does.
    static func plainJSON(_ object: [String: Any]) -> String? {
        var parts: [String] = []
        for key in object.keys.sorted() {
            guard let value = object[key] as? String, isPlain(key), isPlain(value) else { return nil }
            parts.append("\"\(key)\":\"\(value)\"")
        }
        return "{" + parts.joined(separator: ",") + "}"
    }

    private static func isPlain(_ s: String) -> Bool {
        s.utf8.allSatisfy { $0 >= 0x20 && $0 != 0x22 && $0 != 0x5C && $0 < 0x80 }
    }
}

extension IntegritySummary.Counts {
    mutating func add(_ status: String) {
        switch status {
        case "verified": verified += 1
        case "failed": failed += 1
        default: notVerifiable += 1
        }
    }
}
