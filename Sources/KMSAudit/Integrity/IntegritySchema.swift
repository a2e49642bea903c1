/// Tables written by the integrity checks (`kmsaudit verify`, and `check`/`audit`), read by the
/// LOG-00x rules and the report's evidence-integrity summary. Documented in docs/SCHEMA.md.
enum IntegritySchema {
    static let v5 = """
    CREATE TABLE integrity_builds (id INTEGER PRIMARY KEY, built_at TEXT NOT NULL);
    """
}
