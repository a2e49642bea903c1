import ArgumentParser
import Foundation
import KMSAudit

/// The root command. Each subcommand lives in its own file and only parses arguments, calls the
/// library and maps the outcome to an exit status.
struct KMSAuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kmsaudit",
        abstract: "Audit KMS keys that protect Amazon Neptune / RDS data, from CloudTrail logs.",
        discussion: """
            Exit status: 0 success (no finding at or above --fail-on), 1 findings at or above \
            --fail-on, 2 usage, configuration or database error, 3 some input files failed \
            (the rest landed).
            """,
        version: KMSAuditVersion.current,
        subcommands: [IngestCommand.self, CheckCommand.self, VerifyCommand.self, ReportCommand.self, QueryCommand.self,
                      RulesCommand.self, SampleCommand.self]
    )
}

/// Options every command that opens the database shares.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "The SQLite database file.")
    var db: String = "audit.sqlite"
}

/// The edge: every error becomes one line on stderr and an exit status.
@main
enum Main {
    static func main() {
        do {
            var command = try KMSAuditCommand.parseAsRoot()
            try command.run()
        } catch let error as InputError {
            fail(error.description, 3)
        } catch let error as DatabaseFailure {
            fail(error.description, 2)
        } catch let error as ConfigError {
            fail(error.description, 2)
        } catch let error as RuleFileError {
            fail(error.description, 2)
        } catch let error as UserFacingError {
            fail(error.message, error.status)
        } catch {
            let code = KMSAuditCommand.exitCode(for: error)
            if code == .success || code.rawValue == 1 || code.rawValue == 3 {
                // Help, --version, or an exit status a command chose.
                if code == .success { KMSAuditCommand.exit(withError: error) }
                Foundation.exit(code.rawValue)
            }
            // Usage errors: ArgumentParser's own message, our exit status 2.
            FileHandle.standardError.write(Data((KMSAuditCommand.fullMessage(for: error) + "\n").utf8))
            Foundation.exit(2)
        }
    }

    static func fail(_ message: String, _ status: Int32) -> Never {
        FileHandle.standardError.write(Data(("kmsaudit: " + message + "\n").utf8))
        Foundation.exit(status)
    }
}

/// A failure the command already put in words, with its exit status.
struct UserFacingError: Error {
    var message: String
    var status: Int32 = 2
}
