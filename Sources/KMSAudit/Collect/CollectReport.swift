import Foundation

/// What one `collect` run did, written as `DIR/collect-report.json` (ingest skips it: it is
/// neither CloudTrail nor a document) and summarised on the terminal.
package struct CollectReport: Codable, Sendable, Equatable {
    /// One call whose answer could not be collected; everything else was.
    package struct Failure: Codable, Sendable, Equatable {
        package var region: String
        /// `kms get-key-policy`, `rds describe-db-clusters`, ...
        package var command: String
        /// The key the call was about, for per-key calls.
        package var keyID: String?
        /// The file it would have written, relative to the output folder.
        package var file: String?
        package var kind: CLIFailure.Kind
        package var errorCode: String?
        package var message: String
        package var attempts: Int

        enum CodingKeys: String, CodingKey {
            case region, command, keyID = "key_id", file, kind, errorCode = "error_code", message, attempts
        }

        /// One line for the terminal.
        package var line: String {
            var s = "\(region) \(command)"
            if let keyID { s += " key \(keyID)" }
            s += ": \(kind.rawValue)"
            if let errorCode { s += " (\(errorCode))" }
            return s + ": \(message)"
        }
    }

    package struct Region: Codable, Sendable, Equatable {
        package var name: String
        /// Keys `list-keys` returned (nil when it failed).
        package var keys: Int?
    }

    package var toolVersion: String
    package var startedAt: String
    package var finishedAt: String
    package var account: String
    package var callerARN: String?
    /// Where the region list came from: `argument`, `AWS_REGION`, `AWS_DEFAULT_REGION`,
    /// `profile`, `describe-regions`.
    package var regionSource: String
    package var regions: [Region]
    /// CLI invocations, counting each retry.
    package var calls: Int
    /// Retries after throttling.
    package var retries: Int
    /// Files written, relative to the output folder, sorted.
    package var files: [String]
    package var failures: [Failure]
    /// True when every call's answer was collected.
    package var complete: Bool { failures.isEmpty }

    enum CodingKeys: String, CodingKey {
        case toolVersion = "tool_version", startedAt = "started_at", finishedAt = "finished_at", account
        case callerARN = "caller_arn", regionSource = "region_source", regions, calls, retries, files, failures, complete
    }

    package init(toolVersion: String, startedAt: String, finishedAt: String, account: String, callerARN: String?,
                regionSource: String, regions: [Region], calls: Int, retries: Int, files: [String], failures: [Failure]) {
        self.toolVersion = toolVersion
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.account = account
        self.callerARN = callerARN
        self.regionSource = regionSource
        self.regions = regions
        self.calls = calls
        self.retries = retries
        self.files = files
        self.failures = failures
    }

    package init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        toolVersion = try c.decode(String.self, forKey: .toolVersion)
        startedAt = try c.decode(String.self, forKey: .startedAt)
        finishedAt = try c.decode(String.self, forKey: .finishedAt)
        account = try c.decode(String.self, forKey: .account)
        callerARN = try c.decodeIfPresent(String.self, forKey: .callerARN)
        regionSource = try c.decode(String.self, forKey: .regionSource)
        regions = try c.decode([Region].self, forKey: .regions)
        calls = try c.decode(Int.self, forKey: .calls)
        retries = try c.decode(Int.self, forKey: .retries)
        files = try c.decode([String].self, forKey: .files)
        failures = try c.decode([Failure].self, forKey: .failures)
    }

    package func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(toolVersion, forKey: .toolVersion)
        try c.encode(startedAt, forKey: .startedAt)
        try c.encode(finishedAt, forKey: .finishedAt)
        try c.encode(account, forKey: .account)
        try c.encodeIfPresent(callerARN, forKey: .callerARN)
        try c.encode(regionSource, forKey: .regionSource)
        try c.encode(regions, forKey: .regions)
        try c.encode(calls, forKey: .calls)
        try c.encode(retries, forKey: .retries)
        try c.encode(files, forKey: .files)
        try c.encode(failures, forKey: .failures)
        try c.encode(complete, forKey: .complete)
    }
}
