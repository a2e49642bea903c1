/// The Store's own schema: the ingest ledger (runs, files, events, duplicates, rejected records,
/// per-source counts) and the documents ingest keeps (key policies and inventory). Registered in
/// `SchemaMigrations.stages`; documented in docs/SCHEMA.md ("Ingest").
enum LedgerSchema {
    static let schema = StageSchema(stage: "Store", parts: [
        SchemaPart(1, "ingest", sql: v1Ingest),
        SchemaPart(2, "documents-digests", sql: v2Documents),
        SchemaPart(9, "covering-key-index", sql: v9CoveringKeyIndex),
        SchemaPart(11, "grant-documents", sql: v11GrantDocuments),
        SchemaPart(16, "event-id-table", foreignKeyChecks: .immediate, sql: v16EventIDTable),
        SchemaPart(19, "account-region-index", sql: v19AccountRegionIndex),
        SchemaPart(22, "event-ids-recent", foreignKeyChecks: .immediate, sql: v22RecentEventIDs),
        // New tables without foreign keys: nothing for GRDB's whole-database check to find.
        SchemaPart(25, "event-coverage", foreignKeyChecks: .immediate, sql: v25EventCoverage),
    ])

    /// Event IDs in two tables (`EventIDStore`): new IDs go into the small `event_ids_recent`,
    /// which is merged into the large `event_ids_merged` only when it has grown to a fraction
    /// of it. Every batch used to insert its IDs into one large table of random UUIDs, which
    /// rewrote nearly every leaf of it each time (DESIGN, "Recent event IDs"). The view keeps the
    /// name and columns users query. The rename is a schema change only: no row is copied.
    static let v22RecentEventIDs = """
    ALTER TABLE event_ids RENAME TO event_ids_merged;
    CREATE TABLE event_ids_recent (
        event_id  TEXT PRIMARY KEY,
        event_row INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE VIEW event_ids AS
        SELECT event_id, event_row FROM event_ids_merged
        UNION ALL
        SELECT event_id, event_row FROM event_ids_recent;
    """

    /// The report's ingest summary (events, first and last time per account and region) reads
    /// this index instead of the whole table: at 20M records 1.2 s for 365 MB against 7-19 s for
    /// 12 GB, in every nightly report (DESIGN, "The nightly at 20M over 90 days"). Its keys
    /// arrive nearly in order per account and region, so ingest appends to a few pages.
    static let v19AccountRegionIndex = """
    CREATE INDEX events_account_region ON events(account, aws_region, event_time);
    """

    /// Events per account and region, kept by ingest (`EventCoverage`), counted once here from
    /// `events_account_region` (about 1.3 s at 20M records). The trigger forgets the mark when an
    /// event it counted is deleted; the next ingest then counts everything again.
    static let v25EventCoverage = """
    CREATE TABLE event_coverage (
        account          TEXT,
        aws_region       TEXT,
        events           INTEGER NOT NULL,
        first_event_time TEXT,
        last_event_time  TEXT
    );
    CREATE TABLE event_coverage_progress (
        id              INTEGER PRIMARY KEY CHECK (id = 1),
        events_through  INTEGER NOT NULL
    );
    CREATE TRIGGER event_coverage_forget AFTER DELETE ON events
        WHEN old.id <= (SELECT events_through FROM event_coverage_progress)
    BEGIN
        DELETE FROM event_coverage_progress;
    END;
    INSERT INTO event_coverage
    SELECT account, aws_region, count(*), min(event_time), max(event_time) FROM events GROUP BY account, aws_region;
    INSERT INTO event_coverage_progress (id, events_through) SELECT 1, coalesce(max(id), 0) FROM events;
    """

    /// Ingest: runs, the files ledger, events, duplicates and per-source record counts.
    static let v1Ingest = """
    CREATE TABLE ingest_runs (
        id              INTEGER PRIMARY KEY,
        started_at      TEXT NOT NULL,
        finished_at     TEXT,
        tool_version    TEXT NOT NULL,
        arguments       TEXT NOT NULL,
        status          TEXT NOT NULL DEFAULT 'running'
                        CHECK (status IN ('running', 'ok', 'partial', 'interrupted')),
        files_seen      INTEGER NOT NULL DEFAULT 0,
        files_read      INTEGER NOT NULL DEFAULT 0,
        files_unchanged INTEGER NOT NULL DEFAULT 0,
        files_failed    INTEGER NOT NULL DEFAULT 0,
        files_skipped   INTEGER NOT NULL DEFAULT 0,
        records_read    INTEGER NOT NULL DEFAULT 0,
        events_stored   INTEGER NOT NULL DEFAULT 0,
        duplicates      INTEGER NOT NULL DEFAULT 0,
        clashes         INTEGER NOT NULL DEFAULT 0,
        records_rejected INTEGER NOT NULL DEFAULT 0
    );

    CREATE TABLE files (
        id               INTEGER PRIMARY KEY,
        path             TEXT NOT NULL UNIQUE,
        object_key       TEXT,
        kind             TEXT NOT NULL CHECK (kind IN ('log', 'digest', 'policy', 'inventory', 'other')),
        format           TEXT,
        account          TEXT,
        region           TEXT,
        delivered_at     TEXT,
        size             INTEGER NOT NULL,
        mtime_ns         INTEGER NOT NULL,
        sha256           TEXT,
        content_sha256   TEXT,
        content_bytes    INTEGER,
        gzip             INTEGER,
        status           TEXT NOT NULL CHECK (status IN ('ok', 'failed', 'skipped')),
        error_kind       TEXT,
        error            TEXT,
        records_read     INTEGER NOT NULL DEFAULT 0,
        events_stored    INTEGER NOT NULL DEFAULT 0,
        duplicates       INTEGER NOT NULL DEFAULT 0,
        clashes          INTEGER NOT NULL DEFAULT 0,
        other_records    INTEGER NOT NULL DEFAULT 0,
        records_rejected INTEGER NOT NULL DEFAULT 0,
        first_event_time TEXT,
        last_event_time  TEXT,
        ingest_run_id    INTEGER REFERENCES ingest_runs(id),
        ingested_at      TEXT NOT NULL
    );
    CREATE INDEX files_object_key ON files(object_key);

    CREATE TABLE events (
        id                INTEGER PRIMARY KEY,
        event_id          TEXT NOT NULL UNIQUE,
        event_time        TEXT NOT NULL,
        event_source      TEXT NOT NULL,
        event_name        TEXT NOT NULL,
        event_type        TEXT,
        aws_region        TEXT,
        account           TEXT,
        principal         TEXT NOT NULL,
        principal_type    TEXT,
        principal_account TEXT,
        session_name      TEXT,
        invoked_by        TEXT,
        source_ip         TEXT,
        user_agent        TEXT,
        key_ref           TEXT,
        key_arn           TEXT,
        via_rds           INTEGER NOT NULL,
        succeeded         INTEGER NOT NULL,
        error_code        TEXT,
        error_message     TEXT,
        shared_event_id   TEXT,
        file_id           INTEGER NOT NULL REFERENCES files(id),
        record_index      INTEGER NOT NULL,
        raw               TEXT NOT NULL,
        request_parameters    TEXT GENERATED ALWAYS AS (json_extract(raw, '$.requestParameters')) VIRTUAL,
        response_elements     TEXT GENERATED ALWAYS AS (json_extract(raw, '$.responseElements')) VIRTUAL,
        additional_event_data TEXT GENERATED ALWAYS AS (json_extract(raw, '$.additionalEventData')) VIRTUAL
    );
    CREATE INDEX events_key_time  ON events(key_arn, event_time);
    CREATE INDEX events_name_time ON events(event_name, event_time);
    CREATE INDEX events_file      ON events(file_id);

    CREATE TABLE event_duplicates (
        event_id     TEXT NOT NULL,
        file_id      INTEGER NOT NULL REFERENCES files(id),
        record_index INTEGER NOT NULL,
        kind         TEXT NOT NULL CHECK (kind IN ('duplicate', 'clash')),
        raw          TEXT
    );
    CREATE INDEX event_duplicates_event ON event_duplicates(event_id);
    CREATE INDEX event_duplicates_file  ON event_duplicates(file_id);

    CREATE TABLE rejected_records (
        file_id      INTEGER NOT NULL REFERENCES files(id),
        record_index INTEGER NOT NULL,
        byte_offset  INTEGER NOT NULL,
        reason       TEXT NOT NULL,
        raw          TEXT NOT NULL,
        PRIMARY KEY (file_id, record_index)
    ) WITHOUT ROWID;

    CREATE TABLE source_counts (
        file_id      INTEGER NOT NULL REFERENCES files(id),
        event_source TEXT NOT NULL,
        records      INTEGER NOT NULL,
        stored       INTEGER NOT NULL,
        PRIMARY KEY (file_id, event_source)
    ) WITHOUT ROWID;
    """

    /// Inputs that are not events: key policies and inventory (`documents`). (The digest tables of
    /// the same migration are Integrity's, `IntegritySchema.v2Digests`.)
    static let v2Documents = """
    CREATE TABLE documents (
        file_id  INTEGER PRIMARY KEY REFERENCES files(id),
        kind     TEXT NOT NULL CHECK (kind IN ('key-policy', 'db-clusters', 'db-instances',
                     'db-cluster-snapshots', 'db-snapshots', 'aliases', 'key-metadata')),
        key_arn  TEXT,
        account  TEXT,
        region   TEXT,
        content  TEXT NOT NULL
    );
    """

    /// `events_key_time` also carries `event_source` and `via_rds`, so that "was this key ever
    /// used via RDS" and "KMS events without a key ARN" are answered from the index instead of
    /// reading 1.3 KB rows (0.6 s of `check` on a 2M-record trail; ingest cost not measurable).
    /// Queries by key and time use it as before.
    static let v9CoveringKeyIndex = """
    DROP INDEX events_key_time;
    CREATE INDEX events_key_time ON events(key_arn, event_time, event_source, via_rds);
    """

    /// `list-grants` output as a document kind (`grants`). `documents` is rebuilt to widen its CHECK
    /// (SQLite cannot alter one). (The `grants` table of the same migration is State's.)
    static let v11GrantDocuments = """
    CREATE TABLE documents_v11 (
        file_id  INTEGER PRIMARY KEY REFERENCES files(id),
        kind     TEXT NOT NULL CHECK (kind IN ('key-policy', 'db-clusters', 'db-instances',
                     'db-cluster-snapshots', 'db-snapshots', 'aliases', 'key-metadata', 'grants')),
        key_arn  TEXT,
        account  TEXT,
        region   TEXT,
        content  TEXT NOT NULL
    );
    INSERT INTO documents_v11 (file_id, kind, key_arn, account, region, content)
    SELECT file_id, kind, key_arn, account, region, content FROM documents;
    DROP TABLE documents;
    ALTER TABLE documents_v11 RENAME TO documents;
    """

    /// Event IDs move out of `events`' unique index into `event_ids`, which ingest fills once per
    /// batch in sorted order (DESIGN: "Event IDs in sorted batches"). SQLite cannot drop a
    /// UNIQUE constraint, so `events` is rebuilt with the same columns, rows, ids and indexes.
    /// `legacy_alter_table` keeps the rename from re-checking the views over `events` while the
    /// old table is gone. Immediate foreign-key checks: a deferred check would re-read every
    /// table of a large database after the copy.
    static let v16EventIDTable = """
    CREATE TABLE event_ids (
        event_id  TEXT PRIMARY KEY,
        event_row INTEGER NOT NULL
    ) WITHOUT ROWID;
    INSERT INTO event_ids (event_id, event_row) SELECT event_id, id FROM events ORDER BY event_id;

    PRAGMA legacy_alter_table = ON;
    CREATE TABLE events_v16 (
        id                INTEGER PRIMARY KEY,
        event_id          TEXT NOT NULL,
        event_time        TEXT NOT NULL,
        event_source      TEXT NOT NULL,
        event_name        TEXT NOT NULL,
        event_type        TEXT,
        aws_region        TEXT,
        account           TEXT,
        principal         TEXT NOT NULL,
        principal_type    TEXT,
        principal_account TEXT,
        session_name      TEXT,
        invoked_by        TEXT,
        source_ip         TEXT,
        user_agent        TEXT,
        key_ref           TEXT,
        key_arn           TEXT,
        via_rds           INTEGER NOT NULL,
        succeeded         INTEGER NOT NULL,
        error_code        TEXT,
        error_message     TEXT,
        shared_event_id   TEXT,
        file_id           INTEGER NOT NULL REFERENCES files(id),
        record_index      INTEGER NOT NULL,
        raw               TEXT NOT NULL,
        request_parameters    TEXT GENERATED ALWAYS AS (json_extract(raw, '$.requestParameters')) VIRTUAL,
        response_elements     TEXT GENERATED ALWAYS AS (json_extract(raw, '$.responseElements')) VIRTUAL,
        additional_event_data TEXT GENERATED ALWAYS AS (json_extract(raw, '$.additionalEventData')) VIRTUAL,
        key_resolution    TEXT,
        resolved_key_arn  TEXT
    );
    INSERT INTO events_v16 (id, event_id, event_time, event_source, event_name, event_type, aws_region, account,
        principal, principal_type, principal_account, session_name, invoked_by, source_ip, user_agent, key_ref,
        key_arn, via_rds, succeeded, error_code, error_message, shared_event_id, file_id, record_index, raw,
        key_resolution, resolved_key_arn)
    SELECT id, event_id, event_time, event_source, event_name, event_type, aws_region, account,
        principal, principal_type, principal_account, session_name, invoked_by, source_ip, user_agent, key_ref,
        key_arn, via_rds, succeeded, error_code, error_message, shared_event_id, file_id, record_index, raw,
        key_resolution, resolved_key_arn
    FROM events ORDER BY id;
    DROP TABLE events;
    ALTER TABLE events_v16 RENAME TO events;
    PRAGMA legacy_alter_table = OFF;
    CREATE INDEX events_name_time ON events(event_name, event_time);
    CREATE INDEX events_file      ON events(file_id);
    CREATE INDEX events_key_resolution ON events(key_resolution) WHERE key_resolution IS NOT NULL;
    CREATE INDEX events_key_time ON events(CAST(coalesce(key_arn, resolved_key_arn) AS TEXT), event_time, event_source, via_rds);
    """
}
