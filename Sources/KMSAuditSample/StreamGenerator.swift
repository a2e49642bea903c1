import Crypto

/// What was written for one log file; kept (small) for the digest files and the summary.
struct LogFileInfo {
    var key: String
    /// Exact delivery instant (the name carries it to the minute).
    var delivered: Int64
    /// Hex SHA-256 of the uncompressed content (empty when digests are off).
    var sha256: String
    var oldest: Int64
    var newest: Int64
    var records: Int
    var compressed: Int
    var uncompressed: Int
}

/// How many records of each sort one stream writes.
struct StreamPlan {
    let stream: SampleStream
    /// Background records generated fresh.
    let fresh: Int
    /// Background records delivered a second time.
    let duplicates: Int
    let planted: [PlantedRecord]
    let pairs: CrossAccountPairs?
}

struct StreamResult {
    var files: [LogFileInfo] = []
    var records = 0
    var kmsRDSBackup = 0
}

/// A `{"Records":[...]}` document being filled.
private struct Batch {
    static let header = Array("{\"Records\":[".utf8)
    var bytes: [UInt8]
    var records = 0
    var oldest = Int64.max
    var newest = Int64.min

    init(capacity: Int) {
        bytes = []
        bytes.reserveCapacity(capacity)
        bytes.append(contentsOf: Batch.header)
    }

    mutating func append(_ record: [UInt8], time: Int64) {
        if records > 0 { bytes.append(0x2C) }
        bytes.append(contentsOf: record)
        records += 1
        if time < oldest { oldest = time }
        if time > newest { newest = time }
    }

    mutating func take(_ other: inout Batch) {
        if other.records == 0 { return }
        if records > 0 { bytes.append(0x2C) }
        bytes.append(contentsOf: other.bytes[Batch.header.count...])
        records += other.records
        oldest = min(oldest, other.oldest); newest = max(newest, other.newest)
        other.clear()
    }

    mutating func clear() {
        bytes.removeSubrange(Batch.header.count...)
        records = 0; oldest = .max; newest = .min
    }
}

/// Writes one account+region stream, one 5-minute batch at a time: memory stays flat whatever
/// the size. Records of event slot j are delivered in file j (at the slot's end plus 1-5
/// minutes, so always after the events); a few arrive one file late, re-deliveries two to four
/// files later. Deterministic: everything comes from the stream's own generator.
final class StreamGenerator {
    private let plan: StreamPlan
    private let clock: SampleClock
    private let outDir: String
    private let hashContent: Bool
    private var rng: SampleRNG
    private let background: BackgroundTraffic
    private let gzip: GzipWriter
    private let progress: (Int) -> Void
    /// No file is delivered before this 5-minute slot (`SampleOptions.staggeredStarts`).
    private let joinSlot: Int

    init(plan: StreamPlan, clock: SampleClock, seed: UInt64, outDir: String, hashContent: Bool,
         progress: @escaping (Int) -> Void, joinSlot: Int = 0) throws {
        self.plan = plan
        self.joinSlot = joinSlot
        self.clock = clock
        self.outDir = outDir
        self.hashContent = hashContent
        self.progress = progress
        rng = SampleRNG(seed: seed, stream: UInt64(plan.stream.index) + 1)
        background = BackgroundTraffic(stream: plan.stream, clock: clock)
        gzip = try GzipWriter(level: 6)
    }

    /// Cumulative diurnal weights of the event slots: busier in the region's office hours,
    /// quieter at night and at weekends.
    /// The slot where a stream joins a staggered trail: stream 0 at the start, the others 5 hours
    /// apart (wrapping within the first half of the trail), so that joins fall inside any window.
    static func joinSlot(_ s: SampleStream, _ clock: SampleClock) -> Int {
        let hours = max(1, clock.slots / 12 / 2)
        return (s.index * 5 % hours) * 12
    }

    static func cumulativeWeights(_ s: SampleStream, _ clock: SampleClock) -> [Int] {
        let offset: Int64 = s.region.hasPrefix("us-west") ? -8 : s.region.hasPrefix("us-") ? -5 : 0
        var cum = [0]
        cum.reserveCapacity(clock.slots + 1)
        for j in 0..<clock.slots {
            let t = clock.start + Int64(j) * 300 + offset * 3600
            let hour = Int((t / 3600) % 24 + 24) % 24
            let weekday = Int((t / 86_400 + 4) % 7)   // 0 = Sunday
            var w = (8..<19).contains(hour) ? 200 : ((6..<8).contains(hour) || (19..<22).contains(hour)) ? 120 : 60
            if weekday == 0 || weekday == 6 { w = w * 55 / 100 }
            cum.append(cum[j] + w)
        }
        return cum
    }

    func run() throws -> StreamResult {
        let s = plan.stream
        let cum = StreamGenerator.cumulativeWeights(s, clock)
        let totalWeight = cum[clock.slots]
        let fresh = plan.fresh
        var result = StreamResult()
        var current = Batch(capacity: 1 << 20), late = Batch(capacity: 1 << 16)
        var pending: [(target: Int, time: Int64, bytes: [UInt8], krb: Bool)] = []
        var scratch = JSONWriter(capacity: 16_384)
        var written = 0
        var nextDup = 0
        func dupIndex(_ k: Int) -> Int { Int((Double(k) + 0.5) * Double(fresh) / Double(plan.duplicates)) }
        var nextDupAt = plan.duplicates > 0 ? dupIndex(0) : Int.max
        var plantedAt = 0
        var pairAt = 0
        var delivery = 0
        var madeDir = ""

        while true {
            let inTrail = delivery < clock.slots
            if !inTrail && late.records == 0 && pending.isEmpty { break }
            current.take(&late)
            if inTrail {
                let j = delivery
                let slotStart = clock.start + Int64(j) * 300
                let count = (fresh * cum[j + 1]) / totalWeight - (fresh * cum[j]) / totalWeight
                for _ in 0..<count {
                    let t = slotStart + Int64(rng.below(300))
                    scratch.reset()
                    let krb = background.write(&scratch, &rng, at: t)
                    if krb { result.kmsRDSBackup += 1 }
                    let isLate = rng.below(50) == 0
                    if isLate { late.append(scratch.bytes, time: t) } else { current.append(scratch.bytes, time: t) }
                    if written == nextDupAt {
                        pending.append((j + 2 + rng.below(3), t, scratch.bytes, krb))
                        nextDup += 1
                        nextDupAt = nextDup < plan.duplicates ? dupIndex(nextDup) : Int.max
                    }
                    written += 1
                }
                let slotEnd = slotStart + 300
                while plantedAt < plan.planted.count && plan.planted[plantedAt].time < slotEnd {
                    let p = plan.planted[plantedAt]
                    if p.late { late.append(p.bytes, time: p.time) } else { current.append(p.bytes, time: p.time) }
                    let deliveredIn = j + (p.late ? 1 : 0)
                    for c in p.copies { pending.append((deliveredIn + c.after, p.time, c.bytes, p.kmsRDSBackup)) }
                    if p.kmsRDSBackup { result.kmsRDSBackup += 1 }
                    plantedAt += 1
                }
                if let pairs = plan.pairs {
                    while pairAt < pairs.count && pairs.slot(pairAt) == j {
                        scratch.reset()
                        pairs.write(pairAt, for: s, &scratch)
                        current.append(scratch.bytes, time: slotStart)
                        result.kmsRDSBackup += 1
                        pairAt += 1
                    }
                }
            }
            if !pending.isEmpty {
                var keep: [(target: Int, time: Int64, bytes: [UInt8], krb: Bool)] = []
                for p in pending {
                    if p.target <= delivery {
                        current.append(p.bytes, time: p.time)
                        if p.krb { result.kmsRDSBackup += 1 }
                    } else { keep.append(p) }
                }
                pending = keep
            }
            // Deliver file `delivery` (skipped when empty).
            let deliveredAt = clock.start + Int64(delivery + 1) * 300 + 60 + Int64(rng.below(240))
            if current.records > 0 && delivery >= joinSlot {
                current.bytes.append(contentsOf: [0x5D, 0x7D])
                let info = try deliver(current, at: deliveredAt, madeDir: &madeDir)
                result.files.append(info)
                result.records += current.records
                progress(current.records)
                current.clear()
            }
            delivery += 1
        }
        precondition(written == fresh, "stream \(s.index): wrote \(written) of \(fresh) background records")
        precondition(plantedAt == plan.planted.count, "stream \(s.index): planted records left over")
        return result
    }

    private func deliver(_ batch: Batch, at t: Int64, madeDir: inout String) throws -> LogFileInfo {
        let s = plan.stream
        let dir = "AWSLogs/\(SampleWorld.orgID)/\(s.account.id)/CloudTrail/\(s.region)/\(SampleTime.datePath(t))"
        if dir != madeDir {
            try SampleFiles.makeDirectories("\(outDir)/\(dir)")
            madeDir = dir
        }
        let unique = FakeID.chars(16, FakeID.alnum, &rng)
        let key = "\(dir)/\(s.account.id)_CloudTrail_\(s.region)_\(SampleTime.fileStamp(t))_\(unique).json.gz"
        let compressed = try gzip.write(batch.bytes, to: "\(outDir)/\(key)")
        var hash = ""
        if hashContent { hash = SHA256.hash(data: batch.bytes).hex }
        return LogFileInfo(key: key, delivered: t, sha256: hash, oldest: batch.oldest, newest: batch.newest,
                           records: batch.records, compressed: compressed, uncompressed: batch.bytes.count)
    }
}

extension Sequence where Element == UInt8 {
    /// Lowercase hex.
    var hex: String {
        var out: [UInt8] = []
        for b in self { out.append(FakeID.hexDigits[Int(b >> 4)]); out.append(FakeID.hexDigits[Int(b & 0xF)]) }
        return String(decoding: out, as: UTF8.self)
    }
}
