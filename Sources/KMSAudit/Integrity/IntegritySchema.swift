/// Tables written by the integrity checks (`kmsaudit verify`, and `check`/`audit`), read by the
/// LOG-00x rules and the report's evidence-integrity summary. Documented in docs/SCHEMA.md
/// ("## Integrity").
///
/// v5 also completes the v2 digest tables with what offline validation needs: the digest's end
/// time exactly as written (it is part of the signed string), its home region and backfill flag
/// from the file name, and for every listed log file its object key from `AWSLogs/` on (the
/// form `files.object_key` has, so a bucket prefix does not defeat the match).
enum IntegritySchema {
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
