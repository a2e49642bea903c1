import GRDB

/// The database schema, as versioned migrations. Never edit a shipped migration: add a new one.
/// Every table and view here is documented in docs/SCHEMA.md (users query them directly).
enum SchemaMigrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-ingest") { db in
            try db.execute(sql: v1Ingest)
        }
        migrator.registerMigration("v2-documents-digests") { db in
            try db.execute(sql: v2DocumentsAndDigests)
        }
        migrator.registerMigration("v3-state") { db in
            try db.execute(sql: StateSchema.v3)
        }
        migrator.registerMigration("v4-findings") { db in
            try db.execute(sql: v4Findings)
        }
        migrator.registerMigration("v5-integrity") { db in
            try db.execute(sql: IntegritySchema.v5)
        }
        migrator.registerMigration("v6-evaluations") { db in
            try db.execute(sql: v6Evaluations)
        }
        migrator.registerMigration("v7-views") { db in
            try db.execute(sql: v7Views)
        }
        migrator.registerMigration("v8-resolved-keys") { db in
            try db.execute(sql: v8ResolvedKeys)
        }
        migrator.registerMigration("v9-covering-key-index") { db in
            try db.execute(sql: v9CoveringKeyIndex)
        }
        migrator.registerMigration("v10-seed-controls") { db in
            try db.execute(sql: StateSchema.v10SeedControls)
        }
        migrator.registerMigration("v11-grant-documents") { db in
            try db.execute(sql: v11GrantDocuments)
        }
        migrator.registerMigration("v12-databases-view") { db in
            try db.execute(sql: DatabaseOverviewSchema.v12)
        }
        migrator.registerMigration("v13-run-texts") { db in
            try db.execute(sql: runTexts)
        }
        migrator.registerMigration("v14-policy-judgements") { db in
            try db.execute(sql: v14PolicyJudgements)
        }
        return migrator
    }

    /// `list-grants` output as a document kind (`grants`), and `grants` rows from it: such a
    /// grant holds from the beginning of time (no creation event: `created_at` NULL) until an
    /// event about it. `documents` is rebuilt to widen its CHECK (SQLite cannot alter one);
    /// `grants` is derived state, refilled by every `check`, so it is simply recreated.
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

    /// KMS-006: the policy in effect at the window's end of each database key, judged against
    /// the recommended pattern (`KeyPolicyPattern`), one row per (key, principal, category).
    static let v14PolicyJudgements = """
    CREATE TABLE key_policy_judgements (
        key_arn          TEXT NOT NULL,
        principal        TEXT NOT NULL,
        category         TEXT NOT NULL CHECK (category IN ('rds-cannot-use', 'usable-outside-rds',
                             'no-deny-outside-rds', 'grant-not-restricted', 'not-evaluable')),
        actions          TEXT NOT NULL DEFAULT '[]',
        statements       TEXT NOT NULL DEFAULT '[]',
        detail           TEXT NOT NULL DEFAULT '{}',
        policy_id        INTEGER,
        policy_source    TEXT NOT NULL,
        policy_from      TEXT,
        policy_event_id  TEXT,
        policy_file      TEXT,
        judged_at        TEXT NOT NULL,
        PRIMARY KEY (key_arn, principal, category)
    ) WITHOUT ROWID;
    """

    /// `events_key_time` also carries `event_source` and `via_rds`, so that "was this key ever
    /// used via RDS" and "KMS events without a key ARN" are answered from the index instead of
    /// reading 1.3 KB rows (0.6 s of `check` on a 2M-record trail; ingest cost not measurable).
    /// Queries by key and time use it as before.
    static let v9CoveringKeyIndex = """
    DROP INDEX events_key_time;
    CREATE INDEX events_key_time ON events(key_arn, event_time, event_source, via_rds);
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

    /// Inputs that are not events: key policies and inventory (`documents`), and CloudTrail
    /// digest files with the log files they list.
    static let v2DocumentsAndDigests = """
    CREATE TABLE documents (
        file_id  INTEGER PRIMARY KEY REFERENCES files(id),
        kind     TEXT NOT NULL CHECK (kind IN ('key-policy', 'db-clusters', 'db-instances',
                     'db-cluster-snapshots', 'db-snapshots', 'aliases', 'key-metadata')),
        key_arn  TEXT,
        account  TEXT,
        region   TEXT,
        content  TEXT NOT NULL
    );

    CREATE TABLE digests (
        id                      INTEGER PRIMARY KEY,
        file_id                 INTEGER NOT NULL UNIQUE REFERENCES files(id),
        object_key              TEXT,
        digest_s3_bucket        TEXT,
        digest_s3_object        TEXT,
        account                 TEXT,
        region                  TEXT,
        trail                   TEXT,
        start_time              TEXT,
        end_time                TEXT,
        content_sha256          TEXT NOT NULL,
        previous_s3_bucket      TEXT,
        previous_s3_object      TEXT,
        previous_hash           TEXT,
        previous_hash_algorithm TEXT,
        previous_signature      TEXT,
        signature_algorithm     TEXT,
        public_key_fingerprint  TEXT,
        newest_event_time       TEXT,
        oldest_event_time       TEXT
    );
    CREATE INDEX digests_chain ON digests(account, region, trail, end_time);

    CREATE TABLE digest_log_files (
        digest_id         INTEGER NOT NULL REFERENCES digests(id) ON DELETE CASCADE,
        s3_bucket         TEXT,
        s3_object         TEXT NOT NULL,
        hash_value        TEXT NOT NULL,
        hash_algorithm    TEXT,
        newest_event_time TEXT,
        oldest_event_time TEXT
    );
    CREATE INDEX digest_log_files_object ON digest_log_files(s3_object);
    CREATE INDEX digest_log_files_digest ON digest_log_files(digest_id);
    """

    /// What a check run ran, word for word, for the evidence pack: the config file's text and
    /// each rule file's text (stored once per distinct text, referenced per run).
    static let runTexts = """
    ALTER TABLE runs ADD COLUMN config_text TEXT;
    CREATE TABLE rule_texts (
        sha256 TEXT PRIMARY KEY,
        text   TEXT NOT NULL
    );
    CREATE TABLE run_rules (
        run_id  INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        rule_id TEXT NOT NULL,
        origin  TEXT NOT NULL,
        sha256  TEXT NOT NULL REFERENCES rule_texts(sha256),
        PRIMARY KEY (run_id, rule_id)
    );
    """

    /// `kmsaudit check` runs and their findings.
    static let v4Findings = """
    CREATE TABLE runs (
        id             INTEGER PRIMARY KEY,
        started_at     TEXT NOT NULL,
        finished_at    TEXT,
        tool_version   TEXT NOT NULL,
        window_start   TEXT,
        window_end     TEXT,
        config_path    TEXT,
        config_sha256  TEXT,
        rules          TEXT NOT NULL DEFAULT '[]',
        fail_on        TEXT,
        status         TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'ok', 'failed')),
        findings_count INTEGER NOT NULL DEFAULT 0
    );

    CREATE TABLE findings (
        id                  INTEGER PRIMARY KEY,
        run_id              INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
        rule_id             TEXT NOT NULL,
        severity            TEXT NOT NULL CHECK (severity IN ('critical', 'high', 'medium', 'low', 'info')),
        category            TEXT,
        title               TEXT NOT NULL,
        key_arn             TEXT,
        principal           TEXT,
        resource            TEXT,
        first_seen          TEXT,
        last_seen           TEXT,
        event_count         INTEGER NOT NULL DEFAULT 0,
        fingerprint         TEXT NOT NULL,
        is_new              INTEGER NOT NULL DEFAULT 1,
        explanation         TEXT NOT NULL,
        remediation         TEXT NOT NULL,
        controls            TEXT NOT NULL DEFAULT '[]',
        evidence            TEXT NOT NULL DEFAULT '{}',
        suppressed          INTEGER NOT NULL DEFAULT 0,
        suppression_reason  TEXT,
        suppression_expires TEXT,
        suppression_expired INTEGER NOT NULL DEFAULT 0,
        UNIQUE (run_id, fingerprint)
    );
    CREATE INDEX findings_run ON findings(run_id, severity);
    CREATE INDEX findings_fingerprint ON findings(fingerprint);

    CREATE TABLE finding_events (
        finding_id INTEGER NOT NULL REFERENCES findings(id) ON DELETE CASCADE,
        event_id   TEXT NOT NULL,
        PRIMARY KEY (finding_id, event_id)
    ) WITHOUT ROWID;
    """

    /// Policy evaluations that SQL cannot do, precomputed for KMS-002 and KMS-004.
    static let v6Evaluations = """
    CREATE TABLE key_use_evaluations (
        event_id          TEXT PRIMARY KEY,
        key_arn           TEXT NOT NULL,
        principal         TEXT NOT NULL,
        principal_account TEXT,
        event_name        TEXT NOT NULL,
        event_time        TEXT NOT NULL,
        succeeded         INTEGER NOT NULL,
        via_rds           INTEGER NOT NULL,
        shared_event_id   TEXT,
        category          TEXT NOT NULL CHECK (category IN ('cross-account', 'policy-drift', 'root-user',
                              'root-delegation', 'not-named', 'not-evaluable', 'intended')),
        policy_source     TEXT,
        policy_from       TEXT,
        decided_by        TEXT,
        note              TEXT
    ) WITHOUT ROWID;
    CREATE INDEX key_use_evaluations_finding ON key_use_evaluations(key_arn, principal, category);

    CREATE TABLE revocations (
        event_id            TEXT PRIMARY KEY,
        key_arn             TEXT NOT NULL,
        event_name          TEXT NOT NULL,
        event_time          TEXT NOT NULL,
        principal           TEXT NOT NULL,
        detail              TEXT NOT NULL DEFAULT '{}',
        undone_at           TEXT,
        undone_by_event_id  TEXT,
        undone_by           TEXT
    ) WITHOUT ROWID;
    CREATE INDEX revocations_key ON revocations(key_arn, event_time);

    CREATE TABLE revocation_exposures (
        revocation_event_id     TEXT NOT NULL REFERENCES revocations(event_id) ON DELETE CASCADE,
        resource_arn            TEXT NOT NULL,
        db_resource_id          INTEGER,
        engine                  TEXT,
        kind                    TEXT,
        backups                 TEXT NOT NULL DEFAULT '[]',
        has_other_key_backup    INTEGER NOT NULL,
        PRIMARY KEY (revocation_event_id, resource_arn)
    ) WITHOUT ROWID;
    CREATE INDEX revocation_exposures_resource ON revocation_exposures(resource_arn);
    """

    /// Views for the questions people ask most (docs/SCHEMA.md "Views").
    static let v7Views = """
    CREATE VIEW current_db_resources AS
    SELECT r.arn, r.identifier, r.kind, r.engine, r.account, r.region, r.cluster_identifier,
           r.storage_encrypted, r.kms_key_arn, r.backup_retention_period, r.created_at, r.last_event_at,
           k.is_database_key,
           (SELECT c.new_state FROM key_state_changes c WHERE c.key_arn = r.kms_key_arn
             ORDER BY c.event_time DESC LIMIT 1) AS key_state,
           (SELECT count(*) FROM snapshots s WHERE (s.db_resource_id = r.id OR s.resource_arn = r.arn)
             AND s.deleted_at IS NULL) AS snapshots,
           (SELECT count(*) FROM snapshots s WHERE (s.db_resource_id = r.id OR s.resource_arn = r.arn)
             AND s.deleted_at IS NULL AND s.key_arn IS NOT NULL AND s.key_arn <> r.kms_key_arn) AS snapshots_under_other_key
    FROM db_resources r LEFT JOIN keys k ON k.key_arn = r.kms_key_arn
    WHERE r.deleted_at IS NULL;

    CREATE VIEW kms_use_by_key_principal AS
    SELECT key_arn, principal, count(*) AS calls, sum(via_rds) AS via_rds_calls,
           sum(1 - via_rds) AS direct_calls, sum(1 - succeeded) AS failed_calls,
           min(event_time) AS first_seen, max(event_time) AS last_seen,
           group_concat(DISTINCT event_name) AS event_names
    FROM kms_events WHERE key_arn IS NOT NULL
    GROUP BY key_arn, principal;

    CREATE VIEW latest_findings AS
    SELECT f.* FROM findings f WHERE f.run_id = (SELECT max(id) FROM runs WHERE status = 'ok');

    CREATE VIEW key_state_history AS
    SELECT c.key_arn, c.event_time, c.event_name, c.new_state, c.principal, c.deletion_date, c.event_id,
           k.is_database_key,
           (SELECT group_concat(DISTINCT a.alias_name) FROM alias_history a WHERE a.key_arn = c.key_arn) AS aliases
    FROM key_state_changes c LEFT JOIN keys k ON k.key_arn = c.key_arn;
    """

    /// Alias-resolved keys live in `events.key_arn` itself (marked by `key_resolution`), so that
    /// `kms_events` is a plain filter of `events` that uses the key index. As a UNION ALL view
    /// joined to `keys` it was materialised whole, raw text included: 1.5 GB and 4 s on 2M events.
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
}
