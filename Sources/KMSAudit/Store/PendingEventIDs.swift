import Foundation

/// The event IDs stored since the last flush into `event_ids`, with the row of each: a byte
/// arena and an open-addressing hash table over it, so that a re-delivery within the batch is
/// found without touching the database and the flush can hand the IDs to SQLite in sorted order.
///
/// Why not a `Dictionary<[UInt8], Int64>`: each key would be its own heap array (~100 bytes an
/// entry); here an entry is its bytes plus 24 bytes and 8 of table, and the whole set is three
/// allocations.
struct PendingEventIDs {
    private struct Entry {
        var offset: Int
        var length: Int32
        var hash: UInt32
        var row: Int64
    }

    private var arena: [UInt8] = []
    private var entries: [Entry] = []
    /// Indexes into `entries`, -1 for an empty slot; the count is a power of two, at most half full.
    private var slots = [Int32](repeating: -1, count: 1024)

    var count: Int { entries.count }
    /// Bytes held: what bounds the set when event IDs are long (they are attacker-controlled).
    var byteCount: Int { arena.count + entries.count * MemoryLayout<Entry>.stride + slots.count * 4 }

    /// The row stored for `id` since the last flush, if any.
    func row(for id: UnsafeRawBufferPointer) -> Int64? { row(for: id, hash: Self.hash(id)) }

    /// The same, with `hash(id)` already computed (the writer hashes each new ID once, for
    /// this lookup and the `add` after it).
    func row(for id: UnsafeRawBufferPointer, hash: UInt32) -> Int64? {
        let mask = slots.count - 1
        var slot = Int(hash) & mask
        while true {
            let index = slots[slot]
            if index < 0 { return nil }
            let entry = entries[Int(index)]
            if entry.hash == hash && equals(entry, id) { return entry.row }
            slot = (slot + 1) & mask
        }
    }

    /// Records `id` (not present: look it up first) as stored in `row`.
    mutating func add(_ id: UnsafeRawBufferPointer, row: Int64) { add(id, hash: Self.hash(id), row: row) }

    mutating func add(_ id: UnsafeRawBufferPointer, hash: UInt32, row: Int64) {
        guard let length = Int32(exactly: id.count) else { preconditionFailure("event ID of \(id.count) bytes") }
        let entry = Entry(offset: arena.count, length: length, hash: hash, row: row)
        arena.append(contentsOf: id)
        entries.append(entry)
        if entries.count * 2 > slots.count {
            rebuildSlots(count: slots.count * 2)
        } else {
            insertSlot(Int32(entries.count - 1))
        }
    }

    /// Where the set stands: `truncate(to:)` drops what was added after it (a file rolled back).
    var mark: Int { entries.count }

    mutating func truncate(to mark: Int) {
        guard mark < entries.count else { return }
        arena.removeSubrange(entries[mark].offset...)
        entries.removeSubrange(mark...)
        rebuildSlots(count: slots.count)
    }

    mutating func removeAll() {
        arena.removeAll(keepingCapacity: true)
        entries.removeAll(keepingCapacity: true)
        rebuildSlots(count: 1024)
    }

    /// Every (ID, row) in SQLite's `BINARY` order of the IDs (bytes compared as unsigned, then
    /// the shorter first), which is the order of `event_ids`' b-tree.
    func forEachSorted(_ body: (UnsafeRawBufferPointer, Int64) throws -> Void) rethrows {
        try arena.withUnsafeBytes { bytes in
            let order = entries.indices.sorted { a, b in
                Self.binaryLess(Self.slice(bytes, entries[a]), Self.slice(bytes, entries[b]))
            }
            for i in order {
                try body(Self.slice(bytes, entries[i]), entries[i].row)
            }
        }
    }

    // MARK: - Internals

    private func equals(_ entry: Entry, _ id: UnsafeRawBufferPointer) -> Bool {
        guard Int(entry.length) == id.count else { return false }
        return arena.withUnsafeBytes { bytes in
            id.count == 0 || memcmp(bytes.baseAddress! + entry.offset, id.baseAddress!, id.count) == 0
        }
    }

    private static func slice(_ bytes: UnsafeRawBufferPointer, _ entry: Entry) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: bytes[entry.offset..<(entry.offset + Int(entry.length))])
    }

    static func binaryLess(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        let n = min(a.count, b.count)
        if n > 0 {
            let c = memcmp(a.baseAddress!, b.baseAddress!, n)
            if c != 0 { return c < 0 }
        }
        return a.count < b.count
    }

    private mutating func rebuildSlots(count: Int) {
        slots = [Int32](repeating: -1, count: count)
        for i in entries.indices { insertSlot(Int32(i)) }
    }

    private mutating func insertSlot(_ index: Int32) {
        let mask = slots.count - 1
        var slot = Int(entries[Int(index)].hash) & mask
        while slots[slot] >= 0 { slot = (slot + 1) & mask }
        slots[slot] = index
    }

    /// Swift's seeded SipHash: event IDs are attacker-controlled, and IDs crafted to collide
    /// under a fixed hash would turn each lookup into a scan of the batch.
    static func hash(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var hasher = Hasher()
        hasher.combine(bytes: bytes)
        return UInt32(truncatingIfNeeded: hasher.finalize())
    }
}
