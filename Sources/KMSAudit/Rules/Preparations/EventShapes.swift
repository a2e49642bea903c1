import Foundation

/// What every KMS call of one shape (`EventShapes`) shares in `KeyUseEvaluation`: the event
/// as judged, the key's policy versions and grant periods, the allow-listing, and the verdicts
/// judged so far.
final class EventShape {
    let keyARN: String
    let event: KeyUseEvent
    let versions: [PolicyHistory.Version]
    let grants: GrantHistory.Naming
    let allowListed: Bool
    /// Calls of this shape that count as a use of the key through RDS by its principal
    /// (`KeyUseEvaluation.eventsSQL`'s last column), for `key_rds_principals`.
    var viaRDSCalls = 0
    /// By policy version index × granted; nil until first needed.
    private var verdicts: [KeyUseEvaluation.Verdict?]

    init(keyARN: String, event: KeyUseEvent, versions: [PolicyHistory.Version], grants: GrantHistory.Naming,
         allowListed: Bool) {
        self.keyARN = keyARN
        self.event = event
        self.versions = versions
        self.grants = grants
        self.allowListed = allowListed
        verdicts = Array(repeating: nil, count: versions.count * 2)
    }

    /// The verdict for this shape under `versions[version]`, judged by `judge` the first time.
    func verdict(_ version: Int, granted: Bool, _ judge: () -> KeyUseEvaluation.Verdict) -> KeyUseEvaluation.Verdict {
        let slot = version * 2 + (granted ? 1 : 0)
        if let known = verdicts[slot] { return known }
        let verdict = judge()
        verdicts[slot] = verdict
        return verdict
    }
}

/// The shapes of the rows of `KeyUseEvaluation.eventsSQL`: rows with the same bytes in every
/// column but the time and ids (key, caller, operation, outcome, region, encryption context) are
/// one shape and judge the same at the same time. A row's shape is found from its column bytes
/// in place (`SQLiteRow.textBytes`), without creating a String; the `EventShape` is made once per shape.
struct EventShapes: ~Copyable {
    /// The columns of `KeyUseEvaluation.eventsSQL`.
    enum Column: Int32 {
        case keyARN, eventTime, principal, principalType, principalAccount, invokedBy, eventName, succeeded, viaRDS,
             region, encryptionContext, eventID, sharedEventID, isJudged, isRDSPrincipalUse

        /// The columns that make the shape.
        static let shape: [Column] = [.keyARN, .principal, .principalType, .principalAccount, .invokedBy, .eventName,
                                      .succeeded, .viaRDS, .region, .encryptionContext]
    }

    private let make: (SQLiteRow) -> EventShape
    private var shapes: [EventShape] = []
    private var ids = ByteInterner()
    /// The current row's shape key, rebuilt per row.
    private var key = ByteBuffer()

    init(make: @escaping (SQLiteRow) -> EventShape) {
        self.make = make
    }

    /// Every shape seen so far, in order of first sight.
    var all: [EventShape] { shapes }

    /// The shape of the current row.
    mutating func shape(of row: SQLiteRow) -> EventShape {
        key.removeAll()
        for column in Column.shape {
            // Length (or NULL) before the bytes, so no two rows' keys run together.
            guard let text = row.textBytes(column.rawValue) else { key.append(UInt32.max); continue }
            key.append(UInt32(text.count))
            if let base = text.baseAddress { key.append(base, text.count) }
        }
        let id = ids.id(of: key.bytes)
        if id == shapes.count { shapes.append(make(row)) }
        return shapes[id]
    }

    /// A text column of the current row as GRDB reads it (`String(cString:)`); nil for NULL.
    @inline(__always)
    static func text(_ row: SQLiteRow, _ column: Column) -> String? {
        row.text(column.rawValue)
    }
}

/// A growable byte buffer appended to without Array's generic `append(contentsOf:)`.
struct ByteBuffer: ~Copyable {
    private var storage = UnsafeMutableRawPointer.allocate(byteCount: 1024, alignment: 8)
    private var capacity = 1024
    private var count = 0

    deinit { storage.deallocate() }

    /// Valid until the next change.
    var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: storage, count: count) }

    mutating func removeAll() { count = 0 }

    mutating func append(_ source: UnsafeRawPointer, _ n: Int) {
        if count + n > capacity {
            capacity = max(capacity * 2, count + n)
            let grown = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
            grown.copyMemory(from: storage, byteCount: count)
            storage.deallocate()
            storage = grown
        }
        (storage + count).copyMemory(from: source, byteCount: n)
        count += n
    }

    mutating func append(_ value: UInt32) {
        withUnsafeBytes(of: value.littleEndian) { append($0.baseAddress!, 4) }
    }
}

/// Dense ids (0, 1, 2, ... in order of first sight) for byte strings, found without allocating:
/// open addressing over an arena of the distinct strings. A `[[UInt8]: EventShape]` keyed by a
/// reused buffer was tried in its place: key-use evaluation 0.41 -> 0.60 s on the 2M database
/// (SipHash over ~150-byte keys, 266,000 times).
struct ByteInterner {
    private var arena: [UInt8] = []
    private var entries: [(start: Int, count: Int, hash: Int)] = []
    /// An entry index, or -1; the count is a power of two, kept at least twice the entries'.
    private var slots = [Int](repeating: -1, count: 64)

    mutating func id(of bytes: UnsafeRawBufferPointer) -> Int {
        let hash = Self.hash(bytes)
        let mask = slots.count - 1
        var slot = hash & mask
        while slots[slot] >= 0 {
            let id = slots[slot]
            if equal(entries[id], hash, bytes) { return id }
            slot = (slot + 1) & mask
        }
        let id = entries.count
        entries.append((arena.count, bytes.count, hash))
        arena.append(contentsOf: bytes)
        slots[slot] = id
        if entries.count * 2 > slots.count { grow() }
        return id
    }

    private func equal(_ entry: (start: Int, count: Int, hash: Int), _ hash: Int, _ bytes: UnsafeRawBufferPointer) -> Bool {
        guard entry.hash == hash, entry.count == bytes.count else { return false }
        guard entry.count > 0 else { return true }
        return arena.withUnsafeBytes { memcmp($0.baseAddress! + entry.start, bytes.baseAddress!, entry.count) == 0 }
    }

    private mutating func grow() {
        slots = [Int](repeating: -1, count: slots.count * 2)
        let mask = slots.count - 1
        for (id, entry) in entries.enumerated() {
            var slot = entry.hash & mask
            while slots[slot] >= 0 { slot = (slot + 1) & mask }
            slots[slot] = id
        }
    }

    /// A word-at-a-time multiplicative hash with a final mix (murmur3's fmix64); not for
    /// untrusted adversarial input patterns, which would only cost time here, never correctness.
    static func hash(_ bytes: UnsafeRawBufferPointer) -> Int {
        var h = 0x9E37_79B9_7F4A_7C15 as UInt64 ^ UInt64(bytes.count)
        var i = 0
        while i + 8 <= bytes.count {
            h = (h ^ bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0x100_0000_01B3
            h = (h << 27) | (h >> 37)
            i += 8
        }
        while i < bytes.count {
            h = (h ^ UInt64(bytes[i])) &* 0x100_0000_01B3
            i += 1
        }
        h ^= h >> 33; h &*= 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33; h &*= 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 33
        return Int(truncatingIfNeeded: h)
    }
}
