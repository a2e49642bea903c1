/// The Rules stage's schema: `kmsaudit check` runs, their findings and what they ran, and the
/// precomputations of the rule preparations (Rules/Preparations). Registered in
/// `SchemaMigrations.stages`; documented in docs/SCHEMA.md ("Findings", "Rule preparations").
enum FindingsSchema {
    static let schema = StageSchema(stage: "Rules", parts: [
        SchemaPart(4, "findings", sql: v4Findings),
        SchemaPart(6, "evaluations", sql: v6Evaluations),
        SchemaPart(13, "run-texts", sql: runTexts),
        SchemaPart(14, "policy-judgements", sql: v14PolicyJudgements),
        SchemaPart(17, "rds-principals", sql: v17RDSPrincipals),
        SchemaPart(23, "key-use-progress", sql: v23KeyUseProgress),
    ])

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

    /// Who used each database key through RDS by the window's end, counted in key-use
    /// evaluation's pass over the calls: the principals KMS-006 asks the policy about.
    static let v17RDSPrincipals = """
    CREATE TABLE key_rds_principals (
        key_arn    TEXT NOT NULL,
        principal  TEXT NOT NULL,
        calls      INTEGER NOT NULL,
        PRIMARY KEY (key_arn, principal)
    ) WITHOUT ROWID;
    """

    /// How far key-use evaluation has read the calls and what it judged them against
    /// (`KeyUseProgress`): one row, forgotten (so the next check judges every call again) when an
    /// event at or below the mark is deleted, as `state_progress` is.
    static let v23KeyUseProgress = """
    CREATE TABLE key_use_progress (
        id              INTEGER PRIMARY KEY CHECK (id = 1),
        events_through  INTEGER NOT NULL,
        judged_through  TEXT NOT NULL,
        window_end      TEXT NOT NULL,
        inputs_sha256   TEXT NOT NULL,
        database_keys   TEXT NOT NULL DEFAULT '[]',
        calls_read      INTEGER NOT NULL,
        kept            INTEGER NOT NULL,
        updated_at      TEXT NOT NULL
    );
    CREATE TRIGGER key_use_progress_forget AFTER DELETE ON events
        WHEN old.id <= (SELECT events_through FROM key_use_progress)
    BEGIN
        DELETE FROM key_use_progress;
    END;
    """
}
