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
            (the rest landed) or collect could not fetch something (the rest was written).
            """,
        version: KMSAuditVersion.current,
        subcommands: [AuditCommand.self, IngestCommand.self, CollectCommand.self, CheckCommand.self, VerifyCommand.self, ReportCommand.self, QueryCommand.self,
                      RulesCommand.self, SampleCommand.self, EvidenceCommand.self]
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
        } catch let code as ExitCode {
            // An exit status a command chose (1 findings, 3 failed files).
            Foundation.exit(code.rawValue)
        } catch {
            if let failure = DatabaseFailure.from(error) { fail(failure.description, 2) }
            if KMSAuditCommand.exitCode(for: error) == .success {
                KMSAuditCommand.exit(withError: error)  // --help, --version
            }
            // Usage errors get ArgumentParser's message; anything else its description. Both
            // exit 2: status 1 is reserved for "findings at or above --fail-on".
            let message = KMSAuditCommand.fullMessage(for: error)
            FileHandle.standardError.write(Data(((message.isEmpty ? "kmsaudit: \(error)" : message) + "\n").utf8))
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
