import ArgumentParser
import Foundation
import KMSAudit

struct CollectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "collect",
        abstract: "Write the account's key policies, key descriptions, aliases, grants and RDS/Neptune inventory, as ingest reads them.",
        discussion: """
            Drives the AWS CLI (`aws` on PATH) with read-only calls: kms list-keys, get-key-policy, \
            describe-key, list-aliases, list-grants; rds describe-db-clusters, describe-db-instances, \
            describe-db-cluster-snapshots, describe-db-snapshots; sts get-caller-identity (the \
            account); ec2 describe-regions for --regions all. Credentials, profile and config come \
            from the environment as for the CLI itself; AWS_ENDPOINT_URL is honoured. Throttled \
            calls are retried with exponential backoff; a call that still fails (access denied, an \
            unreachable region) is recorded in DIR/collect-report.json and printed, and the rest is \
            collected. Layout and IAM policy: docs/INPUTS.md.
            Exit status: 0 everything collected, 3 something could not be collected (the rest was), \
            2 usage error, no `aws`, no region, the account unknown or DIR not writable.
            """
    )

    @Option(help: "Folder to write into (policies/, inventory/, collect-report.json).")
    var out: String

    @Option(help: "Comma-separated regions, or `all` (every region enabled for the account). Default: AWS_REGION, AWS_DEFAULT_REGION, else the profile's region.")
    var regions: String?

    @Option(help: "The AWS CLI profile (default: AWS_PROFILE, else the CLI's default).")
    var profile: String?

    @Option(help: "CLI calls run at once.")
    var jobs: Int = 4

    @Option(help: "Attempts per call when throttled (the first included).")
    var maxAttempts: Int = 5

    func validate() throws {
        guard jobs > 0 else { throw ValidationError("--jobs must be positive") }
        guard maxAttempts > 0 else { throw ValidationError("--max-attempts must be positive") }
    }

    func run() throws {
        let options = CollectOptions(
            outDir: out, regions: regions.map { $0.split(separator: ",").map(String.init) }, profile: profile,
            jobs: jobs, maxAttempts: maxAttempts)
        let report: CollectReport
        do {
            report = try Collector.collect(options) { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        } catch let e as CollectError {
            throw UserFacingError(message: e.description)
        }
        for failure in report.failures {
            FileHandle.standardError.write(Data(("kmsaudit: collect: " + failure.line + "\n").utf8))
        }
        let regionList = report.regions.map(\.name).joined(separator: ",")
        print("collect: account \(report.account), \(regionList): \(report.files.count) files, "
              + "\(report.calls) calls (\(report.retries) retried), \(report.failures.count) not collected; "
              + "\(out)/\(Collector.reportName)")
        if !report.complete { throw ExitCode(3) }
    }
}
