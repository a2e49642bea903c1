import GRDB

/// `state_inputs`: the RDS and AWS Backup events the state's passes fold, and KMS's grant events,
/// copied out of `events` with their request and response already extracted, in time order
/// (migration v21).
///
/// In `events` these few hundred thousand records lie one per page among millions of KMS calls:
/// each pass over them read scattered pages of the whole table (16 GB at 20M records over 90
/// days) and parsed every record twice for its request and response in SQLite, 8 s for the
/// first pass of a nightly `check` there. Here they are dense and ordered as the passes read them,
/// and kept like `event_keys`: each build copies the events stored since its mark
/// (`state_progress`, whose trigger makes the next build copy everything again after a deletion).
enum StateInputs {
    static let step = "state-inputs"

    /// The events copied: every name a pass reads (`StateBuild.resourceEventNames`,
    /// `snapshotEventNames`, AWS Backup's jobs and KMS's grant events), succeeded, of their service.
    static let rdsNames = StateBuild.resourceEventNames + StateBuild.snapshotEventNames
    static let backupNames = ["StartBackupJob", "StartCopyJob"]
    static let grantNames = ["CreateGrant", "RetireGrant", "RevokeGrant"]

    static let selection = """
        succeeded = 1 AND (
            (event_source = 'rds.amazonaws.com' AND event_name IN (\(rdsNames.map { "'\($0)'" }.joined(separator: ","))))
         OR (event_source = 'backup.amazonaws.com' AND event_name IN (\(backupNames.map { "'\($0)'" }.joined(separator: ","))))
         OR (event_source = 'kms.amazonaws.com' AND event_name IN (\(grantNames.map { "'\($0)'" }.joined(separator: ",")))))
        """

    /// The members are kept as JSON text (a string member quoted), NULL when absent or null: a
    /// query reading them with `json_extract` then sees what it saw in `raw` (a string that
    /// holds JSON text stays a string) and never fails on a malformed member.
    static let copiedColumns = """
        event_time, id, event_id, event_name, event_source, aws_region, account, principal, invoked_by, source_ip,
        key_arn, via_rds,
        nullif(json_quote(json_extract(raw, '$.requestParameters')), 'null'),
        nullif(json_quote(json_extract(raw, '$.responseElements')), 'null'),
        nullif(json_quote(json_extract(raw, '$.additionalEventData')), 'null')
        """

    /// Brings the table up to date: the events stored since the mark, or all of them without one
    /// (then returns false).
    @discardableResult
    static func refresh(_ db: Database) throws -> Bool {
        let top = try Int64.fetchOne(db, sql: "SELECT max(id) FROM events") ?? 0
        if let through = try StateProgress.eventsThrough(db, step: step) {
            // A range of new row ids: NOT INDEXED keeps SQLite from walking events_name_time
            // through every old event of these names.
            try db.execute(sql: """
                INSERT INTO state_inputs SELECT \(copiedColumns) FROM events NOT INDEXED
                 WHERE id > ? AND \(selection)
                """, arguments: [through])
            try StateProgress.record(db, step: step, eventsThrough: top)
            return true
        } else {
            try db.execute(sql: "DELETE FROM state_inputs")
            try db.execute(sql: "INSERT INTO state_inputs SELECT \(copiedColumns) FROM events WHERE \(selection)")
            try StateProgress.record(db, step: step, eventsThrough: top)
            return false
        }
    }
}
