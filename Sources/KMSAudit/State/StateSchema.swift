/// Tables derived from the events, inventory and policy files: the history the rules need.
/// Rebuilt by `StateBuilder` at every `kmsaudit check`. Documented in docs/SCHEMA.md
/// ("Derived state").
///
/// Conventions as everywhere: times are `YYYY-MM-DDTHH:MM:SSZ` text; a NULL `valid_from` means
/// "since the beginning of time", a NULL `valid_to` means "still in effect".
enum StateSchema {
    static let schema = StageSchema(stage: "State", parts: [
        SchemaPart(3, "state", sql: v3),
        SchemaPart(8, "resolved-keys", sql: v8ResolvedKeys),
        SchemaPart(10, "seed-controls", sql: v10SeedControls),
        SchemaPart(11, "grant-documents", sql: v11Grants),
        SchemaPart(15, "resolved-key-column", foreignKeyChecks: .immediate, sql: v15ResolvedKeyColumn),
        SchemaPart(18, "key-use-index", sql: v18KeyUseIndex),
        SchemaPart(20, "state-progress", sql: v20StateProgress),
        SchemaPart(21, "state-inputs", sql: v21StateInputs),
    ])

    /// The events the state's passes fold (RDS and Backup events, KMS grant events), dense and in
    /// their order (`StateInputs`): the primary key is the order of the passes (time, then
    /// storage order), so a scan needs no sort.
    static let v21StateInputs = """
    CREATE TABLE state_inputs (
        event_time          TEXT NOT NULL,
        event_rowid         INTEGER NOT NULL,
        event_id            TEXT NOT NULL,
        event_name          TEXT NOT NULL,
        event_source        TEXT NOT NULL,
        aws_region          TEXT,
        account             TEXT,
        principal           TEXT,
        invoked_by          TEXT,
        source_ip           TEXT,
        key_arn             TEXT,
        via_rds             INTEGER NOT NULL,
        request_parameters  TEXT,
        response_elements   TEXT,
        additional_event_data TEXT,
        PRIMARY KEY (event_time, event_rowid)
    ) WITHOUT ROWID;
    """

    /// How far a derived table that is kept from one build to the next (instead of rebuilt) has
    /// read `events`: `event_keys` through `events_through` (the largest `events.id` then). A
    /// missing row means "rebuild from scratch". The trigger forgets the mark when an event at or below it is deleted (ingest taking back
    /// a changed file's events, or an analyst's DELETE): SQLite may give a deleted top row id to
    /// the next event, which the mark would then hide.
    static let v20StateProgress = """
    CREATE TABLE state_progress (
        step            TEXT PRIMARY KEY,
        events_through  INTEGER NOT NULL,
        updated_at      TEXT NOT NULL
    );
    CREATE TRIGGER state_progress_forget AFTER DELETE ON events
        WHEN old.id <= (SELECT max(events_through) FROM state_progress)
    BEGIN
        DELETE FROM state_progress;
    END;
    """

    static let v3 = """
    CREATE TABLE state_builds (
        id       INTEGER PRIMARY KEY,
        built_at TEXT NOT NULL,
        seconds  REAL,
        summary  TEXT
    );

    CREATE TABLE alias_history (
        id             INTEGER PRIMARY KEY,
        alias_name     TEXT NOT NULL,
        account        TEXT,
        region         TEXT,
        key_arn        TEXT,
        valid_from     TEXT,
        valid_to       TEXT,
        source         TEXT NOT NULL CHECK (source IN ('CreateAlias', 'UpdateAlias', 'list-aliases', 'rds-response')),
        event_id       TEXT,
        file_id        INTEGER,
        ended_by       TEXT,
        ended_event_id TEXT
    );
    CREATE INDEX alias_history_alias ON alias_history(alias_name, account, region, valid_from);
    CREATE INDEX alias_history_key ON alias_history(key_arn);

    CREATE TABLE event_keys (
        event_rowid   INTEGER PRIMARY KEY,
        event_id      TEXT NOT NULL,
        key_ref       TEXT,
        alias_name    TEXT,
        alias_account TEXT,
        alias_region  TEXT,
        key_arn       TEXT,
        resolution    TEXT CHECK (resolution IN ('alias', 'unresolved'))
    );
    CREATE INDEX event_keys_key ON event_keys(key_arn);

    CREATE VIEW kms_events AS
        SELECT e.id, e.event_id, e.event_time, e.event_source, e.event_name, e.event_type, e.aws_region,
               e.account, e.principal, e.principal_type, e.principal_account, e.session_name, e.invoked_by,
               e.source_ip, e.user_agent, e.key_ref, e.key_arn AS key_arn, e.key_arn AS record_key_arn,
               'record' AS resolution, e.via_rds, e.succeeded, e.error_code, e.error_message,
               e.shared_event_id, e.file_id, e.record_index, e.raw, e.request_parameters,
               e.response_elements, e.additional_event_data
          FROM events e
         WHERE e.key_arn IS NOT NULL AND e.event_source = 'kms.amazonaws.com'
        UNION ALL
        SELECT e.id, e.event_id, e.event_time, e.event_source, e.event_name, e.event_type, e.aws_region,
               e.account, e.principal, e.principal_type, e.principal_account, e.session_name, e.invoked_by,
               e.source_ip, e.user_agent, e.key_ref, k.key_arn AS key_arn, NULL AS record_key_arn,
               k.resolution AS resolution, e.via_rds, e.succeeded, e.error_code, e.error_message,
               e.shared_event_id, e.file_id, e.record_index, e.raw, e.request_parameters,
               e.response_elements, e.additional_event_data
          FROM event_keys k JOIN events e ON e.id = k.event_rowid;

    CREATE TABLE keys (
        key_arn              TEXT PRIMARY KEY,
        key_id               TEXT NOT NULL,
        account              TEXT,
        region               TEXT,
        created_at           TEXT,
        created_event_id     TEXT,
        created_by           TEXT,
        key_manager          TEXT,
        custom_key_store_id  TEXT,
        deleted_at           TEXT,
        is_database_key      INTEGER NOT NULL DEFAULT 0,
        database_key_reasons TEXT NOT NULL DEFAULT '[]',
        policy_known         INTEGER NOT NULL DEFAULT 0
    ) WITHOUT ROWID;

    CREATE TABLE key_policies (
        id                    INTEGER PRIMARY KEY,
        key_arn               TEXT NOT NULL,
        valid_from            TEXT,
        valid_to              TEXT,
        source                TEXT NOT NULL CHECK (source IN ('CreateKey', 'PutKeyPolicy', 'file', 'default')),
        event_id              TEXT,
        file_id               INTEGER,
        principal             TEXT,
        policy                TEXT,
        names_rds_via_service INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX key_policies_key ON key_policies(key_arn, valid_from);

    CREATE TABLE grants (
        id                 INTEGER PRIMARY KEY,
        grant_id           TEXT NOT NULL,
        key_arn            TEXT,
        grantee_principal  TEXT,
        retiring_principal TEXT,
        operations         TEXT NOT NULL DEFAULT '[]',
        constraints        TEXT,
        name               TEXT,
        grantee_is_rds     INTEGER NOT NULL DEFAULT 0,
        created_at         TEXT NOT NULL,
        created_event_id   TEXT NOT NULL,
        created_by         TEXT,
        created_via_rds    INTEGER NOT NULL DEFAULT 0,
        ended_at           TEXT,
        ended_by           TEXT CHECK (ended_by IN ('RevokeGrant', 'RetireGrant')),
        ended_event_id     TEXT,
        ended_principal    TEXT
    );
    CREATE INDEX grants_key ON grants(key_arn, created_at);
    CREATE INDEX grants_grant_id ON grants(grant_id);

    CREATE TABLE key_state_changes (
        id                  INTEGER PRIMARY KEY,
        key_arn             TEXT,
        event_time          TEXT NOT NULL,
        event_name          TEXT NOT NULL,
        event_id            TEXT NOT NULL,
        principal           TEXT,
        new_state           TEXT,
        deletion_date       TEXT,
        pending_window_days INTEGER,
        custom_key_store_id TEXT
    );
    CREATE INDEX key_state_changes_key ON key_state_changes(key_arn, event_time);

    CREATE TABLE db_resources (
        id                        INTEGER PRIMARY KEY,
        arn                       TEXT NOT NULL,
        identifier                TEXT NOT NULL,
        kind                      TEXT NOT NULL CHECK (kind IN ('cluster', 'instance')),
        engine                    TEXT,
        account                   TEXT,
        region                    TEXT,
        cluster_identifier        TEXT,
        cluster_arn               TEXT,
        resource_id               TEXT,
        storage_encrypted         INTEGER,
        kms_key_ref               TEXT,
        kms_key_arn               TEXT,
        backup_retention_period   INTEGER,
        created_at                TEXT,
        created_event_id          TEXT,
        last_event_at             TEXT,
        deleted_at                TEXT,
        deleted_event_id          TEXT,
        skip_final_snapshot       INTEGER,
        final_snapshot_identifier TEXT,
        source                    TEXT NOT NULL CHECK (source IN ('events', 'inventory', 'events+inventory'))
    );
    CREATE INDEX db_resources_arn ON db_resources(arn);
    CREATE INDEX db_resources_key ON db_resources(kms_key_arn);
    CREATE INDEX db_resources_resource_id ON db_resources(resource_id);

    CREATE TABLE db_resource_changes (
        id                      INTEGER PRIMARY KEY,
        db_resource_id          INTEGER NOT NULL REFERENCES db_resources(id),
        arn                     TEXT NOT NULL,
        event_time              TEXT,
        event_name              TEXT NOT NULL,
        event_id                TEXT,
        file_id                 INTEGER,
        principal               TEXT,
        backup_retention_period INTEGER,
        storage_encrypted       INTEGER,
        kms_key_ref             TEXT,
        kms_key_arn             TEXT,
        status                  TEXT
    );
    CREATE INDEX db_resource_changes_resource ON db_resource_changes(db_resource_id, event_time);

    CREATE TABLE snapshots (
        id                  INTEGER PRIMARY KEY,
        identifier          TEXT NOT NULL,
        arn                 TEXT,
        kind                TEXT NOT NULL CHECK (kind IN ('cluster', 'instance')),
        account             TEXT,
        region              TEXT,
        resource_identifier TEXT,
        resource_arn        TEXT,
        db_resource_id      INTEGER,
        snapshot_type       TEXT,
        encrypted           INTEGER,
        key_ref             TEXT,
        key_arn             TEXT,
        source_snapshot     TEXT,
        created_at          TEXT,
        created_event_id    TEXT,
        source              TEXT NOT NULL,
        aws_backup          INTEGER NOT NULL DEFAULT 0,
        deleted_at          TEXT,
        deleted_event_id    TEXT
    );
    CREATE INDEX snapshots_resource ON snapshots(resource_arn, created_at);
    CREATE INDEX snapshots_db_resource ON snapshots(db_resource_id, created_at);
    CREATE INDEX snapshots_key ON snapshots(key_arn);
    """

    /// What KMS-005, KMS-007 and KMS-008 need: which record settled each resource's encryption,
    /// whether the request asked for the AWS managed key, where restores and replicas came from,
    /// describe-key's key state, and AWS Backup copy jobs.
    static let v10SeedControls = """
    ALTER TABLE db_resources ADD COLUMN encryption_settled_by TEXT;
    ALTER TABLE db_resources ADD COLUMN encryption_basis TEXT;
    ALTER TABLE db_resources ADD COLUMN encryption_event_id TEXT;
    ALTER TABLE db_resources ADD COLUMN encryption_settled_at TEXT;
    ALTER TABLE db_resources ADD COLUMN aws_managed_key_requested INTEGER;
    ALTER TABLE db_resources ADD COLUMN restored_from_snapshot TEXT;
    ALTER TABLE db_resources ADD COLUMN source_resource_arn TEXT;
    ALTER TABLE db_resources ADD COLUMN replica_source_arn TEXT;
    CREATE INDEX db_resources_restored_from ON db_resources(restored_from_snapshot);
    CREATE INDEX db_resources_replica_source ON db_resources(replica_source_arn);
    ALTER TABLE db_resource_changes ADD COLUMN encryption_settled_by TEXT;
    ALTER TABLE keys ADD COLUMN key_state TEXT;
    CREATE INDEX snapshots_arn ON snapshots(arn);

    CREATE TABLE backup_copy_jobs (
        id                        INTEGER PRIMARY KEY,
        event_id                  TEXT NOT NULL,
        event_time                TEXT NOT NULL,
        copy_job_id               TEXT,
        account                   TEXT,
        region                    TEXT,
        source_recovery_point_arn TEXT,
        destination_vault_arn     TEXT,
        destination_account       TEXT,
        destination_region        TEXT,
        snapshot_id               INTEGER,
        db_resource_id            INTEGER,
        resource_arn              TEXT
    );
    CREATE INDEX backup_copy_jobs_resource ON backup_copy_jobs(resource_arn, event_time);
    CREATE INDEX backup_copy_jobs_db_resource ON backup_copy_jobs(db_resource_id, event_time);
    """

    /// Alias-resolved keys on the events themselves (marked by `key_resolution`; in `key_arn` until
    /// v15 moved them to `resolved_key_arn`), so that `kms_events` is a plain filter of `events`
    /// that uses the key index. As a UNION ALL view joined to `keys` it was materialised whole,
    /// raw text included: 1.5 GB and 4 s on 2M events.
    static let v8ResolvedKeys = """
    ALTER TABLE events ADD COLUMN key_resolution TEXT;
    CREATE INDEX events_key_resolution ON events(key_resolution) WHERE key_resolution IS NOT NULL;
    DROP VIEW kms_events;
    CREATE VIEW kms_events AS
        SELECT e.id, e.event_id, e.event_time, e.event_source, e.event_name, e.event_type, e.aws_region,
               e.account, e.principal, e.principal_type, e.principal_account, e.session_name, e.invoked_by,
               e.source_ip, e.user_agent, e.key_ref, e.key_arn,
               CASE WHEN e.key_resolution IS NULL THEN e.key_arn END AS record_key_arn,
               CASE WHEN e.key_resolution IS NOT NULL THEN e.key_resolution
                    WHEN e.key_arn IS NOT NULL THEN 'record' END AS resolution,
               e.via_rds, e.succeeded, e.error_code, e.error_message, e.shared_event_id, e.file_id,
               e.record_index, e.raw, e.request_parameters, e.response_elements, e.additional_event_data
          FROM events e
         WHERE e.event_source = 'kms.amazonaws.com';
    """

    /// `grants` rows from `list-grants` documents: such a grant holds from the beginning of time (no
    /// creation event: `created_at` NULL) until an event about it. `grants` is derived state, refilled
    /// by every `check`, so it is simply recreated. (The `documents` change of the same migration is
    /// the Store's, `LedgerSchema.v11GrantDocuments`.)
    static let v11Grants = """
    DROP TABLE grants;
    CREATE TABLE grants (
        id                 INTEGER PRIMARY KEY,
        grant_id           TEXT NOT NULL,
        key_arn            TEXT,
        grantee_principal  TEXT,
        retiring_principal TEXT,
        operations         TEXT NOT NULL DEFAULT '[]',
        constraints        TEXT,
        name               TEXT,
        grantee_is_rds     INTEGER NOT NULL DEFAULT 0,
        created_at         TEXT,
        created_event_id   TEXT,
        created_by         TEXT,
        created_via_rds    INTEGER NOT NULL DEFAULT 0,
        ended_at           TEXT,
        ended_by           TEXT CHECK (ended_by IN ('RevokeGrant', 'RetireGrant')),
        ended_event_id     TEXT,
        ended_principal    TEXT,
        source             TEXT NOT NULL DEFAULT 'event' CHECK (source IN ('event', 'inventory')),
        file_id            INTEGER
    );
    CREATE INDEX grants_key ON grants(key_arn, created_at);
    CREATE INDEX grants_grant_id ON grants(grant_id);
    """

    /// The key a record named and the key resolved from an alias in separate columns: `key_arn`
    /// is what ingest stored from the record and is never rewritten; `resolved_key_arn` is the
    /// alias's key as of the call's time (only for calls whose record names no key ARN; with
    /// `key_resolution` 'alias'), written by the state stage. Until now the resolution overwrote
    /// `key_arn`: moved over, and the record's key (none, for such a call) restored.
    ///
    /// `events_key_time` now indexes the key `kms_events` reports, `coalesce(key_arn,
    /// resolved_key_arn)`, so that key-use queries stay index-served. At ingest the expression is
    /// `key_arn` (no resolution yet): the same entries as before, no second index to maintain.
    /// The CAST gives the expression TEXT affinity: without it SQLite uses the index only against
    /// a literal, not in a join or `IN` with a text column (`keys.key_arn`), and scanned events.
    /// Queries must write the expression exactly so (`kms_events.key_arn` does).
    static let v15ResolvedKeyColumn = """
    ALTER TABLE events ADD COLUMN resolved_key_arn TEXT;
    DROP INDEX events_key_time;
    UPDATE events SET resolved_key_arn = key_arn, key_arn = NULL WHERE key_resolution = 'alias';
    CREATE INDEX events_key_time ON events(CAST(coalesce(key_arn, resolved_key_arn) AS TEXT), event_time, event_source, via_rds);
    DROP VIEW kms_events;
    CREATE VIEW kms_events AS
        SELECT e.id, e.event_id, e.event_time, e.event_source, e.event_name, e.event_type, e.aws_region,
               e.account, e.principal, e.principal_type, e.principal_account, e.session_name, e.invoked_by,
               e.source_ip, e.user_agent, e.key_ref, CAST(coalesce(e.key_arn, e.resolved_key_arn) AS TEXT) AS key_arn,
               e.key_arn AS record_key_arn,
               CASE WHEN e.key_resolution IS NOT NULL THEN e.key_resolution
                    WHEN e.key_arn IS NOT NULL THEN 'record' END AS resolution,
               e.via_rds, e.succeeded, e.error_code, e.error_message, e.shared_event_id, e.file_id,
               e.record_index, e.raw, e.request_parameters, e.response_elements, e.additional_event_data
          FROM events e
         WHERE e.event_source = 'kms.amazonaws.com';
    """

    /// `events_key_time` holds every column KMS-002's key-use evaluation reads, and only KMS calls
    /// (the only events with a key): the evaluation reads the database keys' calls from the index
    /// alone, in key order, instead of scanning the whole table (its pages are mostly other
    /// columns and other events: 12 GB at 20M records against 1.6 GB for this index). Queries
    /// that use it must say `event_source = 'kms.amazonaws.com'` (`kms_events` does) so that
    /// SQLite knows the partial index applies. The leading columns are v15's, so every plan
    /// that used the index still does.
    static let v18KeyUseIndex = """
    DROP INDEX events_key_time;
    CREATE INDEX events_key_time ON events(CAST(coalesce(key_arn, resolved_key_arn) AS TEXT), event_time, event_source,
        via_rds, principal, principal_type, principal_account, invoked_by, event_name, succeeded, aws_region, event_id,
        shared_event_id) WHERE event_source = 'kms.amazonaws.com';
    """

    /// Every derived table, in an order that deletes dependents first.
    /// `event_keys` is not among them: it is kept and brought up to date (`EventKeysUpdate`).
    static let derivedTables = [
        "alias_history", "key_policies", "grants", "key_state_changes",
        "backup_copy_jobs", "db_resource_changes", "snapshots", "db_resources", "keys",
    ]
}
