import Crypto
import Foundation
import GRDB

/// How far `key_use_evaluations` and `key_rds_principals` have read the calls, and what they were
/// derived from besides the calls (migration v23, `key_use_progress`).
///
/// A call's verdict depends on the call, its key (for a call that names an alias: `event_keys`),
/// the key policy versions and grants in effect at its time, the keys whose policy tests the
/// encryption context and the config's allow-list; its via-RDS count on the window's end; whether
/// it is read at all, on the database keys. A night adds calls after the ones judged, so nothing a
/// call judged before depends on has changed when these inputs, cut at the latest time judged
/// (policy versions and grants that start by then, grants' ends past it read as "still active"),
/// hash the same as last time, no database key is gone, and both window ends lie at or after every
/// call judged. Then only the calls stored since, and every call of a key that became a database
/// key since, are read; otherwise everything is judged again (DESIGN, twelfth session).
/// `KeptStateTests` compares the kept tables with a rebuild, night after night.
struct KeyUseProgress {
    /// The largest `events.id` when the tables were last brought up to date.
    var eventsThrough: Int64
    /// The latest `event_time` among the database keys' calls read so far ("" when none).
    var judgedThrough: String
    var windowEnd: String
    /// `KeyUseInputs.digest` as of `eventsThrough` and `judgedThrough`.
    var inputsSHA256: String
    /// The database keys whose calls were judged. A key that becomes one later (a database
    /// created with it) has its earlier calls judged then; one that stops being one rebuilds.
    var databaseKeys: [String]

    /// Bumped when the judgement itself changes, so that a new binary judges every call again.
    static let logicVersion = 1

    static func read(_ db: Database) throws -> KeyUseProgress? {
        guard let row = try Row.fetchOne(db, sql: """
            SELECT events_through, judged_through, window_end, inputs_sha256, database_keys FROM key_use_progress WHERE id = 1
            """) else { return nil }
        let keys = (try? JSONSerialization.jsonObject(with: Data((row[4] as String).utf8))) as? [String]
        return KeyUseProgress(eventsThrough: row[0], judgedThrough: row[1], windowEnd: row[2], inputsSHA256: row[3],
                              databaseKeys: keys ?? [])
    }

    static func databaseKeys(_ db: Database) throws -> [String] {
        try String.fetchAll(db, sql: "SELECT key_arn FROM keys WHERE is_database_key = 1 ORDER BY 1")
    }

    func record(_ db: Database, callsRead: Int, kept: Bool) throws {
        try db.execute(sql: """
            INSERT INTO key_use_progress (id, events_through, judged_through, window_end, inputs_sha256, database_keys,
                calls_read, kept, updated_at)
            VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(id) DO UPDATE SET events_through = excluded.events_through, judged_through = excluded.judged_through,
                window_end = excluded.window_end, inputs_sha256 = excluded.inputs_sha256,
                database_keys = excluded.database_keys, calls_read = excluded.calls_read,
                kept = excluded.kept, updated_at = excluded.updated_at
            """, arguments: [eventsThrough, judgedThrough, windowEnd, inputsSHA256, CheckRunner.jsonArray(databaseKeys),
                             callsRead, kept, TimeFormats.canonical(Date())])
    }

    /// The database keys whose calls are still to be judged in full, when the rows judged up to
    /// this mark still stand for a check whose window ends at `windowEnd` and whose database keys
    /// are `currentKeys`: both window ends at or after every call judged (the via-RDS counts), no
    /// database key gone, and the inputs, cut where they were, unchanged. nil: judge every call.
    func keysToJudgeInFull(_ db: Database, windowEnd newEnd: String, currentKeys: [String],
                           allowList: [String: [String]]) throws -> [String]? {
        guard judgedThrough <= windowEnd, judgedThrough <= newEnd else { return nil }
        let before = Set(databaseKeys)
        guard before.isSubset(of: currentKeys) else { return nil }
        guard try KeyUseInputs.digest(db, eventsThrough: eventsThrough, judgedThrough: judgedThrough,
                                      allowList: allowList) == inputsSHA256 else { return nil }
        return currentKeys.filter { !before.contains($0) }
    }
}

/// The SHA-256 of what key-use verdicts of calls up to a time read besides the calls themselves.
enum KeyUseInputs {
    static func digest(_ db: Database, eventsThrough: Int64, judgedThrough: String,
                       allowList: [String: [String]]) throws -> String {
        var hasher = Hasher256()
        hasher.add("kmsaudit \(KMSAuditVersion.current) key-use \(KeyUseProgress.logicVersion)")
        // Policy versions that start by then, in `PolicyHistory`'s order (the last one started is in effect).
        try hasher.addRows(db, tag: "policies", sql: """
            SELECT key_arn, valid_from, source, policy FROM key_policies
             WHERE coalesce(valid_from, '') <= ?1 ORDER BY key_arn, valid_from, id
            """, arguments: [judgedThrough])
        // Grants that start by then; an end after it covers every call up to it, as no end does.
        try hasher.addRows(db, tag: "grants", sql: """
            SELECT key_arn, grantee_principal, retiring_principal, operations, created_at,
                   CASE WHEN ended_at > ?1 THEN NULL ELSE ended_at END
              FROM grants WHERE coalesce(created_at, '') <= ?1 ORDER BY 1, 2, 3, 4, 5, 6
            """, arguments: [judgedThrough])
        // Any version's mention decides whether a call's encryption context is read at all.
        try hasher.addRows(db, tag: "context-keys", sql: """
            SELECT DISTINCT key_arn FROM key_policies WHERE policy LIKE '%EncryptionContext%' ORDER BY 1
            """)
        // The keys of the calls already judged that name no key ARN (an alias moved under them changes these).
        try hasher.addRows(db, tag: "call-keys", sql: """
            SELECT event_rowid, key_arn FROM event_keys WHERE event_rowid <= ?1 ORDER BY event_rowid
            """, arguments: [eventsThrough])
        hasher.add("allow-list")
        for key in allowList.keys.sorted() {
            hasher.add(key)
            for principal in allowList[key]!.sorted() { hasher.add(principal) }
            hasher.separate()
        }
        return hasher.hex()
    }

    /// Values fed with their length, so that no two different row lists hash alike.
    struct Hasher256 {
        private var sha = SHA256()

        mutating func add(_ text: String?) {
            guard let text else {
                sha.update(data: [0])
                return
            }
            var count = UInt64(text.utf8.count).littleEndian
            sha.update(data: [1])
            withUnsafeBytes(of: &count) { sha.update(bufferPointer: $0) }
            sha.update(data: Array(text.utf8))
        }

        mutating func separate() { sha.update(data: [2]) }

        mutating func addRows(_ db: Database, tag: String, sql: String, arguments: StatementArguments = []) throws {
            add(tag)
            let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
            while let row = try rows.next() {
                for index in 0..<row.count {
                    let value: DatabaseValue = row[index]
                    switch value.storage {
                    case .null: add(nil)
                    case .int64(let n): add("i\(n)")
                    case .double(let d): add("d\(d)")
                    case .string(let s): add("s" + s)
                    case .blob(let b): add("b" + Hashing.hex(b))
                    }
                }
                separate()
            }
        }

        func hex() -> String { Hashing.hex(sha.finalize()) }
    }
}
