import GRDB

/// The database schema, as versioned migrations. Never edit a shipped migration: add a new one.
/// Every table and view here is documented in docs/SCHEMA.md (users query them directly).
enum SchemaMigrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-ingest") { db in
            try db.execute(sql: v1Ingest)
        }
        return migrator
    }

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
        clashes         INTEGER NOT NULL DEFAULT 0
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

    CREATE TABLE source_counts (
        file_id      INTEGER NOT NULL REFERENCES files(id),
        event_source TEXT NOT NULL,
        records      INTEGER NOT NULL,
        stored       INTEGER NOT NULL,
        PRIMARY KEY (file_id, event_source)
    ) WITHOUT ROWID;
    """
}
