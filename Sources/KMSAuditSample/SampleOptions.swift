import Foundation

/// What `kmsaudit sample` should generate. The defaults give a small, fixed tree: the same
/// options always produce byte-identical log files (digest signatures excepted: their RSA key is
/// generated per run).
package struct SampleOptions: Sendable {
    /// Folder that receives `AWSLogs/`, `policies/`, `inventory/` and `expected-findings.json`.
    package var outDir: String
    /// Exact number of records written into the log files (see `SampleSummary.records`).
    package var events: Int
    /// Seed of every random choice (event ids, times inside a batch, background mix).
    package var seed: UInt64
    /// Length of the trail in days; planted cases sit at fixed fractions of it.
    package var days: Int
    /// First instant of the trail. Fixed by default so that output is reproducible.
    package var start: Date
    /// Worker threads; each account+region stream is generated on one thread, deterministically.
    package var threads: Int
    /// Write CloudTrail digest files, `public-keys.json` and `digest-signatures.json`.
    package var digests: Bool
    /// Accounts and regions join the organisation trail at different times, as they do in a
    /// real organisation: stream N delivers nothing before its join hour (its earlier events
    /// arrive in its first file) and its digest chain starts there, with no previous digest.
    package var staggeredStarts: Bool = false

    /// 2026-11-01T00:00:00Z.
    package static let defaultStart = Date(timeIntervalSince1970: 1_793_491_200)

    package init(outDir: String, events: Int = 10_000, seed: UInt64 = 1, days: Int = 7,
                start: Date = SampleOptions.defaultStart, threads: Int = 2, digests: Bool = true) {
        self.outDir = outDir
        self.events = events
        self.seed = seed
        self.days = days
        self.start = start
        self.threads = threads
        self.digests = digests
    }
}

/// What a run wrote.
///
/// Record counting: `records == options.events`, exactly. It counts every element of every
/// `Records` array in every log file: background events, planted events, both halves of each
/// cross-account pair (two records, two eventIDs, one sharedEventID), every re-delivered copy
/// (`duplicates`: same eventID, identical bytes) and the second copy of each clash (`clashes`:
/// same eventID, different content). Distinct eventIDs = `records - duplicates - clashes`.
package struct SampleSummary: Sendable, Equatable {
    /// Log files (`.json.gz` under `CloudTrail/`), digest files not included.
    package var files: Int
    package var records: Int
    package var distinctEventIDs: Int
    /// Extra copies of already delivered records (identical bytes, later file).
    package var duplicates: Int
    /// Extra records that reuse an eventID with different content (docs/rules/DECISIONS.md #14).
    package var clashes: Int
    /// Cross-account calls delivered to both accounts (each is two records).
    package var crossAccountPairs: Int
    /// Records of the planted cases, their re-deliveries and clash copies included.
    package var plantedRecords: Int
    /// Entries in `expected-findings.json`.
    package var plantedFindings: Int
    /// Records whose eventSource is kms, rds or backup.amazonaws.com.
    package var kmsRDSBackupRecords: Int
    package var bytesCompressed: Int64
    package var bytesUncompressed: Int64
    package var digestFiles: Int
}

package enum SampleError: Error, CustomStringConvertible, Equatable {
    case tooFewEvents(minimum: Int)
    case badOption(String)
    case io(path: String, reason: String)
    case zlib(code: Int32)
    case crypto(String)

    package var description: String {
        switch self {
        case .tooFewEvents(let m): return "--events must be at least \(m) (the planted cases alone need that many records)"
        case .badOption(let s): return s
        case .io(let p, let r): return "\(p): \(r)"
        case .zlib(let c): return "zlib error \(c)"
        case .crypto(let s): return "crypto: \(s)"
        }
    }
}
