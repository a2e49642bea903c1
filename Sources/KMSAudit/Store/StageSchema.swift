import GRDB

/// One migration, or a stage's share of one: the SQL a stage adds to the database schema at a
/// version. Parts are SQL text only, so a stage's schema is a plain value the Store can collect.
package struct SchemaPart: Sendable {
    /// The migration's number: the Store applies migrations in this order.
    package let version: Int
    /// GRDB's migration identifier (`v<version>-<name>`), recorded in `grdb_migrations`. Never
    /// changes once shipped: an existing database would run the migration again.
    package let identifier: String
    package let sql: String
    /// GRDB's default (`.deferred`) disables foreign keys during the migration and checks every
    /// table at its end: needed when a table is recreated. `.immediate` skips that whole-database
    /// check (seconds on a large trail) for migrations that only add columns, indexes or views.
    package let foreignKeyChecks: DatabaseMigrator.ForeignKeyChecks

    package init(_ version: Int, _ name: String, foreignKeyChecks: DatabaseMigrator.ForeignKeyChecks = .deferred,
                 sql: String) {
        self.version = version
        self.identifier = "v\(version)-\(name)"
        self.sql = sql
        self.foreignKeyChecks = foreignKeyChecks
    }
}

/// A stage's whole schema, exposed by the stage from its own folder and collected by
/// `SchemaMigrations.stages`, the one place a stage's schema is registered.
package struct StageSchema: Sendable {
    /// The stage's folder under Sources/KMSAudit, for messages and docs/SCHEMA.md.
    package let stage: String
    package let parts: [SchemaPart]

    package init(stage: String, parts: [SchemaPart]) {
        self.stage = stage
        self.parts = parts
    }
}
