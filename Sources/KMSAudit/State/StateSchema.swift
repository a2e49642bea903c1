/// Tables derived from the events, inventory and policy files: the history the rules need.
/// Rebuilt by `StateBuilder` at every `kmsaudit check`. Documented in docs/SCHEMA.md.
enum StateSchema {
    static let v3 = """
    CREATE TABLE state_builds (id INTEGER PRIMARY KEY, built_at TEXT NOT NULL);
    """
}
