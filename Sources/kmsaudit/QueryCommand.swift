import ArgumentParser
import KMSAudit

struct QueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Run SQL on the database, read-only (see docs/SCHEMA.md for the tables and views).",
        discussion: """
            The database is opened read-only: a statement that would write fails with a clear error \
            and changes nothing. Example: kmsaudit query "SELECT * FROM latest_findings"
            """)

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Output format: table, csv or json.")
    var format: QueryRunner.Format = .table

    @Argument(help: "The SQL statement.")
    var sql: String

    func run() throws {
        let result = try QueryRunner.run(databasePath: database.db, sql: sql)
        print(QueryRunner.render(result, as: format), terminator: "")
    }
}

extension QueryRunner.Format: ExpressibleByArgument {}
