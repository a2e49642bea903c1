import Foundation
import GRDB

/// `event_keys` is kept from one build to the next and brought up to date, not rebuilt: a call's
/// row depends only on the call and on the alias segments of the alias it names (the same name,
/// account and region), so a build recomputes the calls stored since the last one (`events.id`
/// above `state_progress.events_through`) and the calls that name an alias whose segments
/// changed. Rebuilding every call's resolution was 5.6 s of a 67 s nightly audit at 20M records
/// over 90 days (DESIGN, eighth session: "`event_keys` kept, not rebuilt").
///
/// Without a mark (a new database, or an event at or below it deleted: the `state_progress`
/// trigger), the build starts from scratch. `KeptStateTests` compares the kept table with
/// one rebuilt from scratch, night after night.
struct AliasSegments: Equatable {
    /// The alias as calls name it: `event_keys`' (alias_name, alias_account, alias_region),
    /// `alias_history`'s (alias_name, account, region).
    struct Alias: Hashable {
        var name: String
        var account: String?
        var region: String?
    }

    /// What resolution reads of a segment, in `alias_history` row order (ties on `valid_from`
    /// are decided by it).
    struct Segment: Equatable {
        var keyARN: String
        var validFrom: String?
        var validTo: String?
    }

    var byAlias: [Alias: [Segment]] = [:]

    /// The segments `alias_history` holds now (the ones with a key: the only ones resolution reads).
    static func read(_ db: Database) throws -> AliasSegments {
        var segments = AliasSegments()
        let rows = try Row.fetchCursor(db, sql: """
            SELECT alias_name, account, region, key_arn, valid_from, valid_to FROM alias_history
             WHERE key_arn IS NOT NULL ORDER BY id
            """)
        while let row = try rows.next() {
            segments.byAlias[Alias(name: row[0], account: row[1], region: row[2]), default: []]
                .append(Segment(keyARN: row[3], validFrom: row[4], validTo: row[5]))
        }
        return segments
    }

    /// Aliases whose segments differ between `self` and `other` (added, removed or changed).
    func changed(against other: AliasSegments) -> [Alias] {
        Set(byAlias.keys).union(other.byAlias.keys).filter { byAlias[$0] != other.byAlias[$0] }
            .sorted { ($0.name, $0.account ?? "", $0.region ?? "") < ($1.name, $1.account ?? "", $1.region ?? "") }
    }
}

/// Which calls a build may have resolved differently from what `events` holds, so which ones
/// the write-back (`StateBuilder.writeBackKeyResolutions`) has to compare: every call after a
/// build from scratch; after a kept build, only the calls stored since the mark and those of
/// changed aliases (`temp.state_rekey`). Comparing every resolved call read each one's `events`
/// row: 2.9 s of a night's `ingest` at 20M records, for the ~1% of rows that could differ.
enum KeyResolutionScope: Equatable {
    case everything
    /// Calls above this `events.id`, and the ids in `temp.state_rekey`.
    case since(Int64)
}

/// `state_progress` (migration v20): how far a kept table has read `events`.
enum StateProgress {
    static let eventKeys = "event-keys"

    static func eventsThrough(_ db: Database, step: String) throws -> Int64? {
        try Int64.fetchOne(db, sql: "SELECT events_through FROM state_progress WHERE step = ?", arguments: [step])
    }

    static func record(_ db: Database, step: String, eventsThrough: Int64) throws {
        try db.execute(sql: """
            INSERT INTO state_progress (step, events_through, updated_at) VALUES (?, ?, ?)
            ON CONFLICT(step) DO UPDATE SET events_through = excluded.events_through, updated_at = excluded.updated_at
            """, arguments: [step, eventsThrough, TimeFormats.canonical(Date())])
    }
}
