import Foundation
import GRDB
import GRDBSQLite

/// Inserts events through SQLite's C API on GRDB's connection: statements prepared once and
/// bound per row (about twice GRDB's statement API, which is used everywhere else).
final class EventWriter {
    enum Outcome { case stored, duplicate, clash }

    private let connection: OpaquePointer
    private let insertEvent: OpaquePointer
    private let selectRaw: OpaquePointer
    private let insertDuplicate: OpaquePointer

    private static let columns = [
        "event_id", "event_time", "event_source", "event_name", "event_type", "aws_region", "account",
        "principal", "principal_type", "principal_account", "session_name", "invoked_by", "source_ip",
        "user_agent", "key_ref", "key_arn", "via_rds", "succeeded", "error_code", "error_message",
        "shared_event_id", "file_id", "record_index", "raw",
    ]

    init(_ db: Database) throws {
        guard let connection = db.sqliteConnection else { throw DatabaseFailure.sql(reason: "connection closed") }
        self.connection = connection
        let placeholders = Array(repeating: "?", count: Self.columns.count).joined(separator: ",")
        insertEvent = try Self.prepare(connection, """
            INSERT INTO events (\(Self.columns.joined(separator: ","))) VALUES (\(placeholders))
            ON CONFLICT(event_id) DO NOTHING
            """)
        selectRaw = try Self.prepare(connection, "SELECT raw FROM events WHERE event_id = ?")
        insertDuplicate = try Self.prepare(connection,
            "INSERT INTO event_duplicates (event_id, file_id, record_index, kind, raw) VALUES (?,?,?,?,?)")
    }

    deinit {
        sqlite3_finalize(insertEvent)
        sqlite3_finalize(selectRaw)
        sqlite3_finalize(insertDuplicate)
    }

    /// Stores the event, or records it as a duplicate delivery (same eventID, same content) or a
    /// clash (same eventID, different content: RULES.md decision 14 keeps the first copy).
    func insert(_ e: NormalisedEvent, fileID: Int64) throws -> Outcome {
        let s = insertEvent
        sqlite3_reset(s)
        bind(s, 1, e.eventID); bind(s, 2, e.eventTime); bind(s, 3, e.eventSource); bind(s, 4, e.eventName)
        bind(s, 5, e.eventType); bind(s, 6, e.awsRegion); bind(s, 7, e.account); bind(s, 8, e.principal)
        bind(s, 9, e.principalType); bind(s, 10, e.principalAccount); bind(s, 11, e.sessionName)
        bind(s, 12, e.invokedBy); bind(s, 13, e.sourceIP); bind(s, 14, e.userAgent); bind(s, 15, e.keyRef)
        bind(s, 16, e.keyARN); sqlite3_bind_int(s, 17, e.viaRDS ? 1 : 0); sqlite3_bind_int(s, 18, e.succeeded ? 1 : 0)
        bind(s, 19, e.errorCode); bind(s, 20, e.errorMessage); bind(s, 21, e.sharedEventID)
        sqlite3_bind_int64(s, 22, fileID); sqlite3_bind_int64(s, 23, Int64(e.recordIndex))
        bindBytes(s, 24, e.raw)
        try step(s)
        if sqlite3_changes(connection) == 1 { return .stored }

        // Rare: the eventID is already stored. Compare content to tell a re-delivery from a clash.
        sqlite3_reset(selectRaw)
        bind(selectRaw, 1, e.eventID)
        var same = false
        if sqlite3_step(selectRaw) == SQLITE_ROW, let p = sqlite3_column_blob(selectRaw, 0) {
            let n = Int(sqlite3_column_bytes(selectRaw, 0))
            same = n == e.raw.count && e.raw.withUnsafeBytes { memcmp($0.baseAddress!, p, n) == 0 }
            if !same {
                let stored = Array(UnsafeRawBufferPointer(start: p, count: n))
                same = JSONEquivalence.equivalent(stored, e.raw)
            }
        }
        sqlite3_reset(selectRaw)
        let outcome: Outcome = same ? .duplicate : .clash
        let d = insertDuplicate
        sqlite3_reset(d)
        bind(d, 1, e.eventID); sqlite3_bind_int64(d, 2, fileID); sqlite3_bind_int64(d, 3, Int64(e.recordIndex))
        bind(d, 4, same ? "duplicate" : "clash")
        if same { sqlite3_bind_null(d, 5) } else { bindBytes(d, 5, e.raw) }
        try step(d)
        return outcome
    }

    // MARK: - C API helpers

    private static let transient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)

    private func bind(_ s: OpaquePointer, _ i: Int32, _ value: String?) {
        guard var value else { sqlite3_bind_null(s, i); return }
        value.withUTF8 { bindText(s, i, UnsafeRawBufferPointer($0)) }
    }

    private func bindBytes(_ s: OpaquePointer, _ i: Int32, _ bytes: [UInt8]) {
        bytes.withUnsafeBytes { bindText(s, i, $0) }
    }

    private func bindText(_ s: OpaquePointer, _ i: Int32, _ buf: UnsafeRawBufferPointer) {
        if let base = buf.baseAddress, buf.count > 0 {
            sqlite3_bind_text(s, i, base.assumingMemoryBound(to: CChar.self), Int32(buf.count), Self.transient)
        } else {
            sqlite3_bind_text(s, i, "", 0, Self.transient)
        }
    }

    private func step(_ s: OpaquePointer) throws {
        let rc = sqlite3_step(s)
        guard rc == SQLITE_DONE || rc == SQLITE_ROW else {
            throw DatabaseFailure.sql(reason: String(cString: sqlite3_errmsg(connection)))
        }
    }

    private static func prepare(_ c: OpaquePointer, _ sql: String) throws -> OpaquePointer {
        var stmt: OpaquePointer?
        guard sqlite3_prepare_v3(c, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil) == SQLITE_OK, let stmt else {
            throw DatabaseFailure.sql(reason: String(cString: sqlite3_errmsg(c)))
        }
        return stmt
    }
}
