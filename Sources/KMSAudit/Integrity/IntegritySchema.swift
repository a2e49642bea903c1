/// Tables written by the integrity checks (`kmsaudit verify`, and `check`/`audit`), read by the
/// LOG-00x rules and the report's evidence-integrity summary. Documented in docs/SCHEMA.md
/// ("## Integrity").
///
/// v5 also completes the v2 digest tables with what offline validation needs: the digest's end
/// time exactly as written (it is part of the signed string), its home region and backfill flag
/// from the file name, and for every listed log file its object key from `AWSLogs/` on (the
/// form `files.object_key` has, so a bucket prefix does not defeat the match).
enum IntegritySchema {
    static let schema = StageSchema(stage: "Integrity", parts: [
        SchemaPart(2, "documents-digests", sql: v2Digests),
        SchemaPart(5, "integrity", sql: v5),
    ])

    /// CloudTrail digest files with the log files they list. (The `documents` table of the same
    /// migration is the Store's, `LedgerSchema.v2Documents`.)
    static let v2Digests = """
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

    static let v5 = """
    ALTER TABLE digests ADD COLUMN end_time_text TEXT;
    ALTER TABLE digests ADD COLUMN home_region TEXT;
    ALTER TABLE digests ADD COLUMN backfill INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE digests ADD COLUMN log_file_count INTEGER NOT NULL DEFAULT 0;
    CREATE INDEX digests_object_key ON digests(object_key);
    CREATE INDEX digests_previous ON digests(previous_s3_object);

    ALTER TABLE digest_log_files ADD COLUMN object_key TEXT;
    CREATE INDEX digest_log_files_key ON digest_log_files(object_key);

    CREATE TABLE integrity_runs (
        id                  INTEGER PRIMARY KEY,
        started_at          TEXT NOT NULL,
        finished_at         TEXT,
        window_start        TEXT,
        window_end          TEXT,
        public_keys         INTEGER NOT NULL DEFAULT 0,
        signatures_given    INTEGER NOT NULL DEFAULT 0,
        log_files           INTEGER NOT NULL DEFAULT 0,
        digests             INTEGER NOT NULL DEFAULT 0,
        verified            INTEGER NOT NULL DEFAULT 0,
        not_verifiable      INTEGER NOT NULL DEFAULT 0,
        failed              INTEGER NOT NULL DEFAULT 0,
        problems            INTEGER NOT NULL DEFAULT 0
    );

    CREATE TABLE integrity_results (
        id         INTEGER PRIMARY KEY,
        run_id     INTEGER NOT NULL REFERENCES integrity_runs(id) ON DELETE CASCADE,
        subject    TEXT NOT NULL CHECK (subject IN ('log', 'digest', 'region', 'trail')),
        aspect     TEXT NOT NULL CHECK (aspect IN ('hash', 'listing', 'chain', 'signature', 'coverage')),
        kind       TEXT NOT NULL CHECK (kind IN ('verified', 'tampered', 'missing', 'unlisted',
                       'chain-broken', 'bad-signature', 'not-verifiable', 'coverage-gap',
                       'stopped-delivering')),
        status     TEXT NOT NULL CHECK (status IN ('verified', 'not-verifiable', 'failed')),
        object_key TEXT,
        file_id    INTEGER REFERENCES files(id) ON DELETE SET NULL,
        digest_id  INTEGER REFERENCES digests(id) ON DELETE SET NULL,
        account    TEXT,
        region     TEXT,
        trail      TEXT,
        hour       TEXT,
        detail     TEXT NOT NULL DEFAULT '{}'
    );
    CREATE INDEX integrity_results_run ON integrity_results(run_id, kind);

    CREATE VIEW integrity_latest AS
        SELECT r.* FROM integrity_results r
        WHERE r.run_id = (SELECT max(id) FROM integrity_runs WHERE finished_at IS NOT NULL);
    """
}
