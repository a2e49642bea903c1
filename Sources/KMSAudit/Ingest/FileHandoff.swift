import Foundation
import KMSAuditConcurrency

/// The bounded channel between the thread decoding one file and the writer. Bounded so that a
/// 2 GB file streams through in chunks instead of piling up in memory; cancellable so that a
/// writer that stops (database error) never leaves a decoder blocked.
final class FileHandoff: Sendable {
    enum Item {
        case events(EventChunk)
        case finished(Result<DecodedFile, Error>)
    }

    private struct State {
        var items: [Item] = []
        var cancelled = false
    }

    private let state = LockedState(State())
    private let capacity: Int

    init(capacity: Int = 4) { self.capacity = capacity }

    /// Blocks while full. Returns false when the writer cancelled: stop decoding.
    func put(_ chunk: EventChunk) -> Bool {
        state.withLock(waitingUntil: { $0.items.count < capacity || $0.cancelled }) { s, wake in
            if s.cancelled { return false }
            s.items.append(.events(chunk))
            wake = true
            return true
        }
    }

    func finish(_ result: Result<DecodedFile, Error>) {
        state.withLock { s, wake in
            s.items.append(.finished(result))
            wake = true
        }
    }

    /// Waits until the decoder finished the file or filled the handoff (a file too large to
    /// wait for, which streams), and says whether it finished without error: then everything
    /// it delivers is queued, and storing the file cannot stop halfway for bad input, so the
    /// writer needs no savepoint for it. Waiting costs the writer little: it would wait for the
    /// file's first chunk anyway, and a CloudTrail file is rarely more than one.
    func settle() -> Bool {
        state.withLock(waitingUntil: { s in
            if s.cancelled || s.items.count >= capacity { return true }
            if case .finished = s.items.last { return true }
            return false
        }) { s, _ in
            if case .finished(.success) = s.items.last { return true }
            return false
        }
    }

    /// Blocks until the decoder delivered something.
    func take() -> Item {
        state.withLock(waitingUntil: { !$0.items.isEmpty }) { s, wake in
            wake = true
            return s.items.removeFirst()
        }
    }

    func cancel() {
        state.withLock { s, wake in
            s.cancelled = true
            wake = true
        }
    }
}

/// What decoding one file found, besides the events it streamed.
struct DecodedFile {
    var read: FileReadResult
    var sourceCounts: [(source: String, records: Int, stored: Int)]
    var firstEventTime: String?
    var lastEventTime: String?
    /// Set when the file was a key policy or inventory document, not events.
    var document: DocumentInput?
    /// Set when the file was a CloudTrail digest: what the digest step (`IngestHooks`) stores.
    var storeDigest: IngestFileStep.Store?
    /// Records that are valid JSON but not valid CloudTrail records: kept verbatim, not stored.
    var rejected: [RejectedRecord] = []
}

/// A record that is well-formed JSON but not a valid CloudTrail record (no `eventID`, a field
/// of the wrong type). Kept verbatim in `rejected_records`: the rest of its file is stored.
struct RejectedRecord {
    var index: Int
    var offset: Int64
    var reason: String
    var raw: [UInt8]
}

/// Counts records per `eventSource` without allocating a String per record: sources are few,
/// so a linear scan over raw bytes beats hashing.
struct SourceTally {
    private(set) var sources: [[UInt8]] = []
    private(set) var records: [Int] = []
    private(set) var stored: [Int] = []
    private var wanted: [Bool] = []
    let storeAll: Bool

    init(storeAll: Bool) { self.storeAll = storeAll }

    /// The slot for this source, registering it on first sight.
    mutating func slot(for source: UnsafeRawBufferPointer?) -> Int {
        let bytes = source ?? UnsafeRawBufferPointer(start: nil, count: 0)
        for i in sources.indices where sources[i].count == bytes.count {
            if bytes.count == 0 || sources[i].withUnsafeBytes({ memcmp($0.baseAddress!, bytes.baseAddress!, bytes.count) == 0 }) {
                return i
            }
        }
        let name = Array(bytes)
        let text = String(decoding: name, as: UTF8.self)
        sources.append(name)
        records.append(0)
        stored.append(0)
        wanted.append(source != nil && (storeAll || ServiceNames.storedSources.contains(text)))
        return sources.count - 1
    }

    func isWanted(_ slot: Int) -> Bool { wanted[slot] }
    mutating func countRecord(_ slot: Int) { records[slot] += 1 }
    mutating func countStored(_ slot: Int) { stored[slot] += 1 }

    var summary: [(source: String, records: Int, stored: Int)] {
        sources.indices.map { i in
            (sources[i].isEmpty ? "(none)" : String(decoding: sources[i], as: UTF8.self), records[i], stored[i])
        }
    }
}
