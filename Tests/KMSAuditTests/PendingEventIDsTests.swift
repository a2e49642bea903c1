import Foundation
import GRDB
import Testing
@testable import KMSAudit

/// The batch's event IDs: found again within the batch, forgotten with a rolled-back file, and
/// handed to SQLite in the order of `event_ids`' b-tree (checked against SQLite's own order).
@Suite struct PendingEventIDsTests {
    /// IDs that stress the order: prefixes of each other, bytes above 0x7F (UTF-8), empty.
    static let ids: [String] = {
        var ids = ["", "a", "ab", "abc", "b", "B", "é", "e\u{301}", "z", "~", "\u{10FFFF}"]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<3000 { ids.append(UUID().uuidString.lowercased()) }
        for n in 0..<500 { ids.append(String(repeating: "x", count: n % 40) + "\(UInt64.random(in: 0...UInt64.max, using: &generator))") }
        return Array(Set(ids))
    }()

    func withBytes<T>(_ id: String, _ body: (UnsafeRawBufferPointer) -> T) -> T {
        var id = id
        return id.withUTF8 { body(UnsafeRawBufferPointer($0)) }
    }

    @Test func sortedAsSQLiteOrdersText() throws {
        var pending = PendingEventIDs()
        for (row, id) in Self.ids.enumerated() { withBytes(id) { pending.add($0, row: Int64(row)) } }
        var ours: [String] = []
        pending.forEachSorted { id, _ in ours.append(String(decoding: id, as: UTF8.self)) }

        let dir = try TestSupport.temporaryDirectory()
        let queue = try DatabaseQueue(path: dir.appendingPathComponent("order.sqlite").path)
        let sqlite = try queue.write { db -> [String] in
            try db.execute(sql: "CREATE TABLE t (id TEXT PRIMARY KEY) WITHOUT ROWID")
            for id in Self.ids { try db.execute(sql: "INSERT INTO t VALUES (?)", arguments: [id]) }
            return try String.fetchAll(db, sql: "SELECT id FROM t ORDER BY id")
        }
        #expect(ours == sqlite)
    }

    @Test func findsWhatWasAddedAndForgetsWhatWasRolledBack() {
        var pending = PendingEventIDs()
        let half = Self.ids.count / 2
        for (row, id) in Self.ids[..<half].enumerated() { withBytes(id) { pending.add($0, row: Int64(row)) } }
        let mark = pending.mark
        for (row, id) in Self.ids[half...].enumerated() { withBytes(id) { pending.add($0, row: Int64(half + row)) } }
        for (row, id) in Self.ids.enumerated() { #expect(withBytes(id) { pending.row(for: $0) } == Int64(row)) }
        #expect(withBytes("not there") { pending.row(for: $0) } == nil)

        pending.truncate(to: mark)
        #expect(pending.count == half)
        for (row, id) in Self.ids.enumerated() {
            #expect(withBytes(id) { pending.row(for: $0) } == (row < half ? Int64(row) : nil))
        }
        pending.removeAll()
        #expect(pending.count == 0)
        #expect(withBytes(Self.ids[0]) { pending.row(for: $0) } == nil)
    }
}
