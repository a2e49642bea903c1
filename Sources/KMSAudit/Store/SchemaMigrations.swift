import GRDB

/// The database schema, as versioned migrations that the stages contribute. Never edit a shipped
/// migration: add a new one. Every table and view is documented in docs/SCHEMA.md (users query
/// them directly).
enum SchemaMigrations {
    /// The one place a stage's schema is registered. Each stage keeps its SQL in its own folder;
    /// a migration may have a part from more than one stage (v2: the Store's `documents`,
    /// Integrity's digest tables), which run in this order within its one transaction.
    static let stages: [StageSchema] = [
        LedgerSchema.schema,
        IntegritySchema.schema,
        StateSchema.schema,
        FindingsSchema.schema,
        QueryViews.schema,
    ]

    /// One migration: its identifier and, in stage order, the parts that make it.
    struct Migration {
        let version: Int
        let identifier: String
        let parts: [SchemaPart]
    }

    /// Every migration in version order. Versions run 1, 2, 3... without a gap, and the parts of
    /// one version agree on its identifier: checked here, since GRDB records identifiers only.
    static let migrations: [Migration] = {
        let parts = stages.flatMap(\.parts)
        let versions = Set(parts.map(\.version)).sorted()
        precondition(versions == Array(1...(versions.last ?? 0)), "schema versions must run 1...n: \(versions)")
        return versions.map { version in
            let mine = parts.filter { $0.version == version }
            precondition(Set(mine.map(\.identifier)).count == 1, "v\(version) has two identifiers")
            return Migration(version: version, identifier: mine[0].identifier, parts: mine)
        }
    }()

    /// GRDB's migrator over `migrations`, identifiers and order as they always were.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in migrations {
            let sql = migration.parts.map(\.sql)
            // Deferred (GRDB's default) if any part needs it.
            let checks: DatabaseMigrator.ForeignKeyChecks =
                migration.parts.allSatisfy { $0.foreignKeyChecks == .immediate } ? .immediate : .deferred
            migrator.registerMigration(migration.identifier, foreignKeyChecks: checks) { db in
                for part in sql { try db.execute(sql: part) }
            }
        }
        return migrator
    }
}
