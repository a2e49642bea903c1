import GRDB

/// Events per account and region, with the first and last event time (`event_coverage`, migration
/// v25): what the report's ingest summary shows. Counting them from `events_account_region` at
/// every report read 6.9 million index entries at 20M records, 1.3 s of each nightly audit, to add
/// one day; ingest now adds each run's new events to the kept counts instead.
///
/// `event_coverage_progress.events_through` is the largest `events.id` counted. Deleting an event
/// at or below it (ingest taking back a changed file's events, or an analyst's DELETE) forgets the
/// mark (a trigger), and the next ingest counts every event again. A reader uses the table only
/// while the mark is the largest `events.id` (`currentRows`), so a database another binary wrote
/// events into still reports what `events` holds.
enum EventCoverage {
    /// The report's columns, in its order; the same as `ReportModel.accountRegionSQL`'s.
    static let rowsSQL = """
        SELECT account, aws_region, events AS n, first_event_time AS first, last_event_time AS last
        FROM event_coverage ORDER BY account, aws_region
        """

    /// Brings the counts up to `max(events.id)`: the events stored since the mark (a range of row
    /// ids) added to the kept counts, or every event counted again (no mark, or many new events).
    static func refresh(_ db: Database) throws {
        let top = try Int64.fetchOne(db, sql: "SELECT max(id) FROM events") ?? 0
        let through = try Int64.fetchOne(db, sql: "SELECT events_through FROM event_coverage_progress")
        if through == top { return }
        var groups: [Group: Counts] = [:]
        // The new events' rows, when they are few: a row is ~40 times an entry of
        // events_account_region, through which counting everything again reads only the index
        // (a first load, or a day of a small trail).
        if let through, through < top, (top - through) * 32 < top {
            for row in try Row.fetchAll(db, sql: "SELECT account, aws_region, events, first_event_time, last_event_time FROM event_coverage") {
                groups[Group(row)] = Counts(row)
            }
            try add(db, sql: """
                SELECT account, aws_region, count(*), min(event_time), max(event_time)
                  FROM events NOT INDEXED WHERE id > ? GROUP BY account, aws_region
                """, arguments: [through], to: &groups)
        } else {
            try add(db, sql: """
                SELECT account, aws_region, count(*), min(event_time), max(event_time)
                  FROM events GROUP BY account, aws_region
                """, arguments: [], to: &groups)
        }
        try db.execute(sql: "DELETE FROM event_coverage")
        let insert = try db.cachedStatement(sql: "INSERT INTO event_coverage VALUES (?, ?, ?, ?, ?)")
        for (group, counts) in groups {
            try insert.execute(arguments: [group.account, group.region, counts.events, counts.first, counts.last])
        }
        try db.execute(sql: "INSERT OR REPLACE INTO event_coverage_progress (id, events_through) VALUES (1, ?)",
                       arguments: [top])
    }

    /// The kept rows when they count every stored event, else nil (count from `events`).
    static func currentRows(_ db: Database) throws -> [Row]? {
        let top = try Int64.fetchOne(db, sql: "SELECT max(id) FROM events") ?? 0
        guard try Int64.fetchOne(db, sql: "SELECT events_through FROM event_coverage_progress") == top else { return nil }
        return try Row.fetchAll(db, sql: rowsSQL)
    }

    /// An account and region as stored (either may be NULL: one group each, as GROUP BY makes them).
    private struct Group: Hashable {
        var account: String?
        var region: String?
        init(_ row: Row) { account = row[0]; region = row[1] }
    }

    private struct Counts {
        var events: Int64 = 0
        var first: String?
        var last: String?
        init() {}
        init(_ row: Row) { events = row[2]; first = row[3]; last = row[4] }

        mutating func merge(_ other: Counts) {
            events += other.events
            first = [first, other.first].compactMap { $0 }.min()
            last = [last, other.last].compactMap { $0 }.max()
        }
    }

    private static func add(_ db: Database, sql: String, arguments: StatementArguments, to groups: inout [Group: Counts]) throws {
        for row in try Row.fetchAll(db, sql: sql, arguments: arguments) {
            let counts = Counts(row)
            groups[Group(row), default: Counts()].merge(counts)
        }
    }
}
