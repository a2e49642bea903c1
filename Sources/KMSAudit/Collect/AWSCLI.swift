import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The AWS CLI run as a subprocess: `aws SERVICE OPERATION ARGS --output json [--region R]
/// [--profile P] [--endpoint-url URL]`, with the caller's environment (credentials, profile,
/// config files) inherited. Only read-only operations are ever called (see `Collector`).
/// The CLI pages by itself (collect never passes `--no-paginate`) and retries throttling a few
/// times on its own; `call` retries on top of that with exponential backoff, bounded.
package struct AWSCLI: Sendable {
    package var executable: String
    package var profile: String?
    /// `AWS_ENDPOINT_URL`, passed on as `--endpoint-url`: AWS CLI v1 ignores the variable for
    /// RDS in us-east-1 (it pins `rds.amazonaws.com` unless the flag is given).
    package var endpointURL: String?
    package var environment: [String: String]
    package var maxAttempts: Int
    /// Seconds before the first retry; doubled for each further one (capped at 30 s).
    package var baseDelay: Double

    package init(executable: String, profile: String?, endpointURL: String?, environment: [String: String],
                maxAttempts: Int = 5, baseDelay: Double = 1) {
        self.executable = executable
        self.profile = profile
        self.endpointURL = endpointURL
        self.environment = environment
        self.maxAttempts = max(1, maxAttempts)
        self.baseDelay = max(0, baseDelay)
    }

    /// The `aws` executable on `PATH`.
    package static func locate(environment: [String: String]) throws -> String {
        let path = environment["PATH"] ?? ""
        for dir in path.split(separator: ":", omittingEmptySubsequences: true) {
            let candidate = dir.hasSuffix("/") ? "\(dir)aws" : "\(dir)/aws"
            var st = stat()
            if stat(candidate, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, access(candidate, X_OK) == 0 {
                return candidate
            }
        }
        throw CollectError.awsNotFound(path: path)
    }

    /// What one CLI call returned: its standard output, or why it failed, and how many
    /// attempts it took.
    package struct Outcome: Sendable {
        package var output: Data?
        package var failure: CLIFailure?
        package var attempts: Int
    }

    /// Runs `aws service operation arguments...`; throttling errors are retried after
    /// `baseDelay * 2^(n-1)` seconds, up to `maxAttempts` attempts in all.
    package func call(_ service: String, _ operation: String, _ arguments: [String] = [], region: String?) -> Outcome {
        var args = [service, operation] + arguments + ["--output", "json"]
        if let region { args += ["--region", region] }
        if let profile { args += ["--profile", profile] }
        if let endpointURL, !endpointURL.isEmpty { args += ["--endpoint-url", endpointURL] }
        var env = environment
        env["AWS_PAGER"] = ""  // CLI v2 would otherwise pipe through `less`.
        var attempt = 0
        while true {
            attempt += 1
            let result: ProcessOutput
            do {
                result = try ProcessOutput.run(executable, args, environment: env)
            } catch {
                return Outcome(output: nil, failure: CLIFailure(kind: .failed, code: nil,
                                                                message: "cannot run \(executable): \(error)", status: -1),
                               attempts: attempt)
            }
            if result.status == 0 { return Outcome(output: result.stdout, failure: nil, attempts: attempt) }
            let failure = CLIFailure.classify(status: result.status, stderr: result.stderr)
            if failure.kind == .throttled, attempt < maxAttempts {
                let delay = min(30, baseDelay * pow(2, Double(attempt - 1)))
                if delay > 0 { Thread.sleep(forTimeInterval: delay) }
                continue
            }
            return Outcome(output: nil, failure: failure, attempts: attempt)
        }
    }
}

/// Why a CLI call failed, from its exit status and the error line it printed
/// (`An error occurred (CODE) when calling the OPERATION operation: MESSAGE`).
package struct CLIFailure: Error, Sendable, Equatable, Codable {
    package enum Kind: String, Sendable, Codable {
        /// Access denied: a key policy or IAM policy that does not allow the read.
        case denied
        /// Still throttled after every retry.
        case throttled
        /// The endpoint could not be reached (network, a region that does not exist).
        case unreachable
        /// Anything else (a region not enabled, an invalid token, an unexpected answer).
        case failed
    }

    package var kind: Kind
    package var code: String?
    package var message: String
    package var status: Int32

    static let throttlingCodes: Set<String> = [
        "Throttling", "ThrottlingException", "ThrottledException", "TooManyRequests", "TooManyRequestsException",
        "RequestLimitExceeded", "RequestThrottled", "RequestThrottledException", "SlowDown",
    ]
    static let deniedCodes: Set<String> = [
        "AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess",
        "AuthorizationError", "NotAuthorized",
    ]

    static func classify(status: Int32, stderr: Data) -> CLIFailure {
        let text = String(decoding: stderr, as: UTF8.self)
        let line = text.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        let errorLine = line.last { $0.contains("An error occurred (") } ?? line.last ?? "exit status \(status)"
        var code: String?
        if let open = errorLine.range(of: "An error occurred ("),
           let close = errorLine[open.upperBound...].firstIndex(of: ")") {
            code = String(errorLine[open.upperBound..<close])
        }
        let kind: Kind
        if let code, throttlingCodes.contains(code) {
            kind = .throttled
        } else if let code, deniedCodes.contains(code) {
            kind = .denied
        } else if text.contains("Could not connect to the endpoint URL") || text.contains("Connect timeout on endpoint URL") {
            kind = .unreachable
        } else {
            kind = .failed
        }
        // Credentials never appear in the CLI's error lines; the message is cut to one line.
        return CLIFailure(kind: kind, code: code, message: String(errorLine.prefix(500)), status: status)
    }
}

/// A finished subprocess's exit status and both outputs (read while it runs, so a full pipe
/// never blocks it).
struct ProcessOutput: Sendable {
    var status: Int32
    var stdout: Data
    var stderr: Data

    /// Boxes the standard-error bytes a reader thread collects.
    private final class Collected: @unchecked Sendable {
        private let lock = NSLock()
        private var data = Data()
        func set(_ d: Data) { lock.lock(); data = d; lock.unlock() }
        func get() -> Data { lock.lock(); defer { lock.unlock() }; return data }
    }

    static func run(_ executable: String, _ arguments: [String], environment: [String: String]) throws -> ProcessOutput {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.environment = environment
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let errBytes = Collected()
        let group = DispatchGroup()
        let errHandle = err.fileHandleForReading
        DispatchQueue.global().async(group: group) { errBytes.set(errHandle.readDataToEndOfFile()) }
        let outBytes = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return ProcessOutput(status: process.terminationStatus, stdout: outBytes, stderr: errBytes.get())
    }
}
