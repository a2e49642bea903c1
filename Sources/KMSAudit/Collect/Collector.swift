import Foundation

/// What `collect` is asked to do.
package struct CollectOptions: Sendable {
    package var outDir: String
    /// Regions to collect; nil = the environment's or profile's region; `["all"]` = every region
    /// `aws ec2 describe-regions` lists as enabled for the account.
    package var regions: [String]?
    package var profile: String?
    /// CLI calls run at once (each is a process; the per-key calls dominate).
    package var jobs: Int
    package var maxAttempts: Int
    package var baseDelay: Double
    /// The environment the CLI runs with (credentials, profile, config files, PATH).
    package var environment: [String: String]

    package init(outDir: String, regions: [String]? = nil, profile: String? = nil, jobs: Int = 4,
                maxAttempts: Int = 5, baseDelay: Double = 1,
                environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.outDir = outDir
        self.regions = regions
        self.profile = profile
        self.jobs = jobs
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.environment = environment
    }
}

/// `kmsaudit collect`: the key policies, key descriptions, aliases, grants and RDS/Neptune
/// inventory of one account, for each region, written in the layout `ingest` reads
/// (docs/INPUTS.md):
///
///     DIR/policies/ACCOUNT/REGION/KEY-ID.json                     kms get-key-policy
///     DIR/inventory/ACCOUNT/REGION/list-aliases.json              kms list-aliases
///     DIR/inventory/ACCOUNT/REGION/describe-key-KEY-ID.json       kms describe-key
///     DIR/inventory/ACCOUNT/REGION/list-grants-KEY-ID.json        kms list-grants
///     DIR/inventory/ACCOUNT/REGION/describe-db-clusters.json      rds describe-db-clusters (and the
///                                  describe-db-instances.json, describe-db-cluster-snapshots.json,
///                                  describe-db-snapshots.json)
///     DIR/collect-report.json                                     what was collected and what was not
///
/// Every file is the CLI's JSON output as it printed it, written atomically. Only read
/// operations are called. A call that fails (access denied, throttled after every retry, an
/// unreachable region) is recorded and the rest is still collected.
package enum Collector {
    package static let reportName = "collect-report.json"

    /// One CLI call and the file its answer goes to.
    struct Task: Sendable {
        var region: String
        var service: String
        var operation: String
        var arguments: [String]
        var keyID: String?
        /// Relative to the output folder; nil = the answer is only read (list-keys).
        var file: String?
        /// The top-level member a good answer has (and the list pagination fills).
        var member: String
    }

    /// What the workers found, behind a lock.
    final class Results: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var files: [String] = []
        private(set) var failures: [CollectReport.Failure] = []
        private(set) var calls = 0
        private(set) var retries = 0
        private(set) var writeError: CollectError?

        func record(attempts: Int) { lock.lock(); calls += attempts; retries += max(0, attempts - 1); lock.unlock() }
        func wrote(_ file: String) { lock.lock(); files.append(file); lock.unlock() }
        func failed(_ f: CollectReport.Failure) { lock.lock(); failures.append(f); lock.unlock() }
        func writeFailed(_ e: CollectError) { lock.lock(); if writeError == nil { writeError = e }; lock.unlock() }
    }

    package static func collect(_ options: CollectOptions, progress: (String) -> Void = { _ in }) throws -> CollectReport {
        let started = TimeFormats.canonical(Date())
        let executable = try AWSCLI.locate(environment: options.environment)
        var endpoint = options.environment["AWS_ENDPOINT_URL"]
        if endpoint?.isEmpty ?? true { endpoint = nil }
        let cli = AWSCLI(executable: executable, profile: options.profile, endpointURL: endpoint,
                         environment: options.environment, maxAttempts: options.maxAttempts, baseDelay: options.baseDelay)
        let results = Results()

        // Regions, then the account (sts is global: any region answers).
        let (regions, regionSource) = try resolveRegions(options, cli, results)
        let identity = cli.call("sts", "get-caller-identity", region: regions.first)
        results.record(attempts: identity.attempts)
        guard let out = identity.output else { throw CollectError.identity(reason: identity.failure?.message ?? "no output") }
        guard let object = try? JSONSerialization.jsonObject(with: out) as? [String: Any],
              let account = object["Account"] as? String, account.count == 12, account.allSatisfy(\.isNumber) else {
            throw CollectError.identity(reason: "no 12-digit Account in its output")
        }
        let callerARN = object["Arn"] as? String
        progress("collect: account \(account), regions \(regions.joined(separator: ","))")

        // Per region: the key list (read only) and the region-wide documents.
        var regionTasks: [Task] = []
        for region in regions {
            let inv = "inventory/\(account)/\(region)/"
            regionTasks.append(Task(region: region, service: "kms", operation: "list-keys", arguments: [],
                                    keyID: nil, file: nil, member: "Keys"))
            regionTasks.append(Task(region: region, service: "kms", operation: "list-aliases", arguments: [],
                                    keyID: nil, file: inv + "list-aliases.json", member: "Aliases"))
            for (operation, member) in [("describe-db-clusters", "DBClusters"), ("describe-db-instances", "DBInstances"),
                                        ("describe-db-cluster-snapshots", "DBClusterSnapshots"),
                                        ("describe-db-snapshots", "DBSnapshots")] {
                regionTasks.append(Task(region: region, service: "rds", operation: operation, arguments: [],
                                        keyID: nil, file: inv + operation + ".json", member: member))
            }
        }
        let keyLists = KeyLists()
        let outDir = options.outDir
        let regionCalls = regionTasks
        parallel(regionCalls.count, jobs: options.jobs) { i in
            let task = regionCalls[i]
            guard let answer = run(task, cli, outDir, results) else { return }
            if task.operation == "list-keys" {
                let keys = (answer["Keys"] as? [[String: Any]] ?? []).compactMap { $0["KeyId"] as? String }
                keyLists.set(task.region, keys)
            }
        }
        if let e = results.writeError { throw e }

        // Per key: its policy, description and grants.
        var keyTasks: [Task] = []
        var regionSummaries: [CollectReport.Region] = []
        for region in regions {
            let keys = keyLists.get(region)
            regionSummaries.append(CollectReport.Region(name: region, keys: keys?.count))
            for keyID in keys ?? [] {
                guard isSafeName(keyID) else {
                    results.failed(CollectReport.Failure(region: region, command: "kms list-keys", keyID: keyID, file: nil,
                                                         kind: .failed, errorCode: nil,
                                                         message: "a key id that cannot be a file name", attempts: 1))
                    continue
                }
                let inv = "inventory/\(account)/\(region)/"
                keyTasks.append(Task(region: region, service: "kms", operation: "get-key-policy",
                                     arguments: ["--key-id", keyID, "--policy-name", "default"], keyID: keyID,
                                     file: "policies/\(account)/\(region)/\(keyID).json", member: "Policy"))
                keyTasks.append(Task(region: region, service: "kms", operation: "describe-key",
                                     arguments: ["--key-id", keyID], keyID: keyID,
                                     file: inv + "describe-key-\(keyID).json", member: "KeyMetadata"))
                keyTasks.append(Task(region: region, service: "kms", operation: "list-grants",
                                     arguments: ["--key-id", keyID], keyID: keyID,
                                     file: inv + "list-grants-\(keyID).json", member: "Grants"))
            }
        }
        progress("collect: \(keyTasks.count / 3) keys")
        let keyCalls = keyTasks
        parallel(keyCalls.count, jobs: options.jobs) { i in _ = run(keyCalls[i], cli, outDir, results) }
        if let e = results.writeError { throw e }

        let order: (CollectReport.Failure, CollectReport.Failure) -> Bool = {
            ($0.region, $0.command, $0.keyID ?? "") < ($1.region, $1.command, $1.keyID ?? "")
        }
        let report = CollectReport(toolVersion: KMSAuditVersion.current, startedAt: started,
                                   finishedAt: TimeFormats.canonical(Date()), account: account, callerARN: callerARN,
                                   regionSource: regionSource, regions: regionSummaries, calls: results.calls,
                                   retries: results.retries, files: results.files.sorted(),
                                   failures: results.failures.sorted(by: order))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data: Data
        do { data = try encoder.encode(report) } catch {
            throw CollectError.write(path: reportName, reason: "\(error)")
        }
        try AtomicFile.write(data + Data("\n".utf8), to: options.outDir + "/" + reportName)
        return report
    }

    /// The regions to collect and where the list came from.
    static func resolveRegions(_ options: CollectOptions, _ cli: AWSCLI, _ results: Results) throws -> ([String], String) {
        let env = options.environment
        let asked = (options.regions ?? []).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        // The region the CLI would use itself; not looked up when the regions are given.
        var home: (String, String)?
        if asked.isEmpty || asked == ["all"] {
            if let r = env["AWS_REGION"], !r.isEmpty {
                home = (r, "AWS_REGION")
            } else if let r = env["AWS_DEFAULT_REGION"], !r.isEmpty {
                home = (r, "AWS_DEFAULT_REGION")
            } else {
                // The profile's region (`aws configure get` exits 1 when it has none).
                let got = cli.call("configure", "get", ["region"], region: nil)
                results.record(attempts: got.attempts)
                if let out = got.output {
                    let r = String(decoding: out, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                    if !r.isEmpty { home = (r, "profile") }
                }
            }
        }
        var regions: [String]
        var source: String
        if asked == ["all"] {
            let out = cli.call("ec2", "describe-regions", region: home?.0 ?? "us-east-1")
            results.record(attempts: out.attempts)
            guard let data = out.output,
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let list = object["Regions"] as? [[String: Any]] else {
                throw CollectError.regions(reason: out.failure?.message ?? "no Regions in its output")
            }
            regions = list.compactMap { $0["RegionName"] as? String }.sorted()
            source = "describe-regions"
        } else if !asked.isEmpty {
            regions = asked
            source = "argument"
        } else if let home {
            regions = [home.0]
            source = home.1
        } else {
            throw CollectError.noRegion
        }
        var seen = Set<String>()
        regions = regions.filter { seen.insert($0).inserted }
        for r in regions where !isRegionName(r) { throw CollectError.badRegion(r) }
        return (regions, source)
    }

    /// Runs one task: the CLI call, a check of its answer, pages the CLI left (a leftover
    /// continuation token), the atomic write. Returns the answer, or nil after recording why not.
    static func run(_ task: Task, _ cli: AWSCLI, _ outDir: String, _ results: Results) -> [String: Any]? {
        func fail(_ kind: CLIFailure.Kind, _ code: String?, _ message: String, _ attempts: Int) -> [String: Any]? {
            results.failed(CollectReport.Failure(region: task.region, command: "\(task.service) \(task.operation)",
                                                 keyID: task.keyID, file: task.file, kind: kind, errorCode: code,
                                                 message: message, attempts: attempts))
            return nil
        }
        var outcome = cli.call(task.service, task.operation, task.arguments, region: task.region)
        results.record(attempts: outcome.attempts)
        guard var data = outcome.output else {
            let f = outcome.failure!
            return fail(f.kind, f.code, f.message, outcome.attempts)
        }
        guard var object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], object[task.member] != nil else {
            return fail(.failed, nil, "the output is not a JSON object with \(task.member)", outcome.attempts)
        }
        // The CLI follows every page itself; should a token still be there, follow it.
        var pages = 1
        while let token = continuation(object), pages < 1000 {
            outcome = cli.call(task.service, task.operation, task.arguments + ["--starting-token", token], region: task.region)
            results.record(attempts: outcome.attempts)
            guard let more = outcome.output else {
                let f = outcome.failure!
                return fail(f.kind, f.code, "page \(pages + 1): \(f.message)", outcome.attempts)
            }
            guard let next = try? JSONSerialization.jsonObject(with: more) as? [String: Any],
                  let items = next[task.member] as? [Any] else {
                return fail(.failed, nil, "page \(pages + 1): the output is not a JSON object with \(task.member)", outcome.attempts)
            }
            object[task.member] = (object[task.member] as? [Any] ?? []) + items
            for name in ["NextMarker", "Marker", "NextToken", "Truncated"] { object[name] = next[name] }
            pages += 1
            guard let merged = try? JSONSerialization.data(withJSONObject: object.filter { $0.value is NSNull == false },
                                                           options: [.prettyPrinted, .sortedKeys]) else { break }
            data = merged
        }
        if let file = task.file {
            do {
                try AtomicFile.write(data, to: outDir + "/" + file)
                results.wrote(file)
            } catch let e as CollectError {
                results.writeFailed(e)
            } catch {
                results.writeFailed(.write(path: file, reason: "\(error)"))
            }
        }
        return object
    }

    /// A continuation token the answer still carries (NextMarker/Marker/NextToken), if any.
    static func continuation(_ object: [String: Any]) -> String? {
        if let truncated = object["Truncated"] as? Bool, truncated == false { return nil }
        for name in ["NextMarker", "Marker", "NextToken"] {
            if let token = object[name] as? String, !token.isEmpty { return token }
        }
        return nil
    }

    static func isRegionName(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 32 && s.contains("-") && s.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }
    }

    /// Key ids are UUIDs or `mrk-` + hex: anything else must not become a path.
    static func isSafeName(_ s: String) -> Bool {
        !s.isEmpty && s.count <= 128 && !s.hasPrefix(".") && !s.hasPrefix("-")
            && s.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }

    /// Runs `body(0..<count)` on up to `jobs` threads. Threads of our own rather than
    /// Dispatch's workers: a process spawned from a worker inherits its signal mask, in which
    /// SIGTERM and SIGINT are blocked, so a stopped `collect` would leave its `aws` calls running.
    static func parallel(_ count: Int, jobs: Int, _ body: @escaping @Sendable (Int) -> Void) {
        guard count > 0 else { return }
        let next = Counter()
        let group = DispatchGroup()
        for _ in 0..<max(1, min(jobs, count)) {
            group.enter()
            let thread = Thread {
                while let i = next.take(below: count) { body(i) }
                group.leave()
            }
            thread.start()
        }
        group.wait()
    }

    final class Counter: @unchecked Sendable {
        private let lock = NSLock()
        private var value = 0
        func take(below limit: Int) -> Int? {
            lock.lock(); defer { lock.unlock() }
            guard value < limit else { return nil }
            value += 1
            return value - 1
        }
    }

    final class KeyLists: @unchecked Sendable {
        private let lock = NSLock()
        private var lists: [String: [String]] = [:]
        func set(_ region: String, _ keys: [String]) { lock.lock(); lists[region] = keys; lock.unlock() }
        func get(_ region: String) -> [String]? { lock.lock(); defer { lock.unlock() }; return lists[region] }
    }
}
