import Foundation
import GRDB
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import KMSAudit

/// `kmsaudit collect` against a real local AWS API (moto's server, from PyPI) through the real
/// AWS CLI: resources made with the CLI, collected by the binary, then audited.
@Suite(.serialized) struct CollectTests {
    static let account = "123456789012"  // moto's account
    static let region = "us-east-1"

    /// moto_server on a free loopback port, stopped by `stop()`.
    final class MotoServer {
        let process: RunningProcess
        let port: Int
        var endpoint: String { "http://127.0.0.1:\(port)" }

        init() throws {
            port = try Self.freePort()
            guard let exe = CollectTests.onPath("moto_server") else {
                throw TestFailure("moto_server not on PATH (pip install 'moto[server]'; .ci/run installs it)")
            }
            process = try ProcessRunner.start(exe, ["-H", "127.0.0.1", "-p", "\(port)"], stdout: .discard, stderr: .discard)
            let deadline = Date().addingTimeInterval(30)
            while !Self.accepts(port) {
                guard Date() < deadline, process.isRunning else {
                    stop()
                    throw TestFailure("moto_server did not start on port \(port)")
                }
                Thread.sleep(forTimeInterval: 0.1)
            }
        }

        /// SIGKILL: the server inherits the test thread's signal mask, in which SIGTERM and
        /// SIGINT are blocked.
        func stop() {
            if process.isRunning { process.signal(SIGKILL) }
            _ = process.wait()
        }

        static func freePort() throws -> Int {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            addr.sin_port = 0
            var len = socklen_t(MemoryLayout<sockaddr_in>.size)
            let ok = withUnsafeMutablePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0
                }
            }
            guard ok else { throw TestFailure("no free port") }
            return Int(UInt16(bigEndian: addr.sin_port))
        }

        static func accepts(_ port: Int) -> Bool {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            defer { close(fd) }
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_addr.s_addr = inet_addr("127.0.0.1")
            addr.sin_port = UInt16(port).bigEndian
            return withUnsafePointer(to: &addr) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
        }
    }

    struct TestFailure: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    static func onPath(_ name: String, path: String? = nil) -> String? {
        for dir in (path ?? ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let c = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: c) { return c }
        }
        return nil
    }

    /// The environment the CLI and the binary run with: dummy credentials, no user config.
    static func environment(_ server: MotoServer, home: URL, path: String? = nil) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        for name in env.keys where name.hasPrefix("AWS_") { env[name] = nil }
        env["HOME"] = home.path
        env["AWS_CONFIG_FILE"] = home.appendingPathComponent("aws-config").path
        env["AWS_SHARED_CREDENTIALS_FILE"] = home.appendingPathComponent("aws-credentials").path
        env["AWS_ACCESS_KEY_ID"] = "testing"
        env["AWS_SECRET_ACCESS_KEY"] = "testing"
        env["AWS_DEFAULT_REGION"] = region
        env["AWS_ENDPOINT_URL"] = server.endpoint
        if let path { env["PATH"] = path }
        return env
    }

    /// The real AWS CLI against the server; its JSON answer.
    @discardableResult
    static func aws(_ env: [String: String], _ args: [String]) throws -> [String: Any] {
        let exe = onPath("aws", path: env["PATH"])!
        let r = try ProcessRunner.run(exe, args + ["--output", "json", "--endpoint-url", env["AWS_ENDPOINT_URL"]!],
                                      environment: env)
        guard r.status == 0 else {
            throw TestFailure("aws \(args.joined(separator: " ")): \(String(decoding: r.stderrData, as: UTF8.self))")
        }
        if r.stdoutData.isEmpty { return [:] }
        return try JSONSerialization.jsonObject(with: r.stdoutData) as? [String: Any] ?? [:]
    }

    static func kmsaudit(_ args: [String], env: [String: String]) throws -> ProcessResult {
        try ProcessRunner.run(TestSupport.binary, args, environment: env)
    }

    /// Key A protects the Neptune cluster (7 days of backups, a manual snapshot) and has a custom
    /// policy (no account-root statement); key B, default policy, the Postgres instance, whose
    /// automated backups are off. A grant on A names user/GrantUser.
    struct Made {
        var keyA: String, keyAID: String, keyB: String, keyBID: String, grantID: String
    }

    /// `databases: false` makes only the two keys (each CLI call costs seconds on a busy machine).
    static func makeResources(_ env: [String: String], databases: Bool = true) throws -> Made {
        let policy = """
        {"Version":"2012-10-17","Id":"graph-key","Statement":[\
        {"Sid":"Admins","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::\(account):role/KeyAdmin"},\
        "Action":["kms:Describe*","kms:Get*","kms:List*","kms:PutKeyPolicy","kms:CreateGrant","kms:RevokeGrant"],"Resource":"*"},\
        {"Sid":"Neptune","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::\(account):role/NeptuneApp"},\
        "Action":["kms:Encrypt","kms:Decrypt","kms:GenerateDataKey*","kms:ReEncrypt*","kms:CreateGrant","kms:DescribeKey"],\
        "Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"rds.\(region).amazonaws.com"}}}]}
        """
        let a = try aws(env, ["kms", "create-key", "--description", "graph-prod data", "--policy", policy])
        let metaA = a["KeyMetadata"] as! [String: Any]
        let b = try aws(env, ["kms", "create-key", "--description", "ledger data"])
        let metaB = b["KeyMetadata"] as! [String: Any]
        let keyA = metaA["Arn"] as! String, keyB = metaB["Arn"] as! String
        guard databases else {
            return Made(keyA: keyA, keyAID: metaA["KeyId"] as! String, keyB: keyB, keyBID: metaB["KeyId"] as! String, grantID: "")
        }
        try aws(env, ["kms", "create-alias", "--alias-name", "alias/graph-db", "--target-key-id", metaA["KeyId"] as! String])
        let grant = try aws(env, ["kms", "create-grant", "--key-id", keyA, "--grantee-principal",
                                  "arn:aws:iam::\(account):user/GrantUser", "--operations", "Decrypt", "DescribeKey"])
        try aws(env, ["rds", "create-db-cluster", "--db-cluster-identifier", "graph-prod", "--engine", "neptune",
                      "--storage-encrypted", "--kms-key-id", keyA, "--backup-retention-period", "7"])
        try aws(env, ["rds", "create-db-instance", "--db-instance-identifier", "graph-prod-1", "--db-cluster-identifier",
                      "graph-prod", "--engine", "neptune", "--db-instance-class", "db.r5.large"])
        try aws(env, ["rds", "create-db-cluster-snapshot", "--db-cluster-identifier", "graph-prod",
                      "--db-cluster-snapshot-identifier", "graph-prod-manual"])
        try aws(env, ["rds", "create-db-instance", "--db-instance-identifier", "ledger", "--engine", "postgres",
                      "--db-instance-class", "db.t3.micro", "--allocated-storage", "20", "--master-username", "admin",
                      "--master-user-password", "not-a-real-password", "--storage-encrypted", "--kms-key-id", keyB,
                      "--backup-retention-period", "0"])
        return Made(keyA: keyA, keyAID: metaA["KeyId"] as! String, keyB: keyB, keyBID: metaB["KeyId"] as! String,
                    grantID: grant["GrantId"] as! String)
    }

    /// Two direct Decrypt calls on key A, made from the real AWS-docs record: one by the user the
    /// grant names, one by a user nothing names. Timed now, after the resources were made (the
    /// audit window ends at the last event; inventory resources count from their creation).
    static func writeTrail(_ dir: URL, keyA: String) throws -> URL {
        let now = Date()
        let times = [now, now.addingTimeInterval(1)].map(TimeFormats.canonical)
        let day = String(times[0].prefix(10))
        let template = try JSONSerialization.jsonObject(
            with: Data(contentsOf: TestSupport.fixture("reports/kms-decrypt.awsdocs-3.json"))) as! [String: Any]
        var records: [[String: Any]] = []
        for (i, user) in ["GrantUser", "Intruder"].enumerated() {
            var r = template
            r["userIdentity"] = ["type": "IAMUser", "principalId": "AIDA\(i)", "arn": "arn:aws:iam::\(account):user/\(user)",
                                 "accountId": account, "userName": user]
            r["eventTime"] = times[i]
            r["awsRegion"] = region
            r["requestParameters"] = ["encryptionAlgorithm": "SYMMETRIC_DEFAULT", "keyId": keyA]
            r["additionalEventData"] = nil
            r["eventID"] = "c0ffee00-0000-4000-8000-00000000000\(i)"
            r["requestID"] = "c0ffee00-0000-4000-8000-10000000000\(i)"
            r["resources"] = [["accountId": account, "type": "AWS::KMS::Key", "ARN": keyA]]
            r["recipientAccountId"] = account
            records.append(r)
        }
        let trail = dir.appendingPathComponent("trail")
        try TestSupport.gzip(try TestSupport.batch(records), to: trail.appendingPathComponent(
            "AWSLogs/\(account)/CloudTrail/\(region)/\(day.replacingOccurrences(of: "-", with: "/"))/\(account)_CloudTrail_\(region)_\(day.replacingOccurrences(of: "-", with: ""))T2359Z_collecttest00001.json.gz"))
        return trail
    }

    @Test func collectsWhatIngestReadsAndAuditUsesIt() throws {
        let dir = try TestSupport.temporaryDirectory()
        let server = try MotoServer()
        defer { server.stop() }
        let env = Self.environment(server, home: dir)
        let made = try Self.makeResources(env)
        let out = dir.appendingPathComponent("collected")

        let run = try Self.kmsaudit(["collect", "--out", out.path], env: env)
        #expect(run.status == 0, "\(String(decoding: run.stderrData, as: UTF8.self))")
        let stdout = String(decoding: run.stdoutData, as: UTF8.self)
        #expect(stdout.contains("account \(Self.account), \(Self.region)"))
        #expect(stdout.contains("0 not collected"))

        // The layout ingest reads, each file the CLI's own answer.
        let inv = "inventory/\(Self.account)/\(Self.region)/"
        let expected = ["policies/\(Self.account)/\(Self.region)/\(made.keyAID).json",
                        "policies/\(Self.account)/\(Self.region)/\(made.keyBID).json",
                        inv + "describe-key-\(made.keyAID).json", inv + "list-grants-\(made.keyAID).json",
                        inv + "describe-key-\(made.keyBID).json", inv + "list-grants-\(made.keyBID).json",
                        inv + "list-aliases.json", inv + "describe-db-clusters.json", inv + "describe-db-instances.json",
                        inv + "describe-db-cluster-snapshots.json", inv + "describe-db-snapshots.json"]
        for file in expected {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), "\(file) missing")
        }
        let policyFile = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent(expected[0]))) as! [String: Any]
        #expect((policyFile["Policy"] as? String)?.contains("role/NeptuneApp") == true)
        let grantsFile = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent(expected[3]))) as! [String: Any]
        #expect(((grantsFile["Grants"] as? [[String: Any]])?.map { $0["GrantId"] as? String }) == [made.grantID])
        // No temporary file left behind.
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: out.path).filter { $0.contains("/.") || $0.hasPrefix(".") }
        #expect(leftovers.isEmpty)

        let report = try JSONDecoder().decode(CollectReport.self, from: Data(contentsOf: out.appendingPathComponent("collect-report.json")))
        #expect(report.account == Self.account)
        #expect(report.regionSource == "AWS_DEFAULT_REGION")
        #expect(report.regions == [CollectReport.Region(name: Self.region, keys: report.regions.first?.keys)])
        #expect((report.regions.first?.keys ?? 0) >= 2)  // moto adds AWS managed keys with its aliases
        #expect(report.failures.isEmpty && report.complete)
        #expect(Set(expected).isSubset(of: Set(report.files)))

        // --profile: its region (no region in the environment) and its credentials.
        try TestSupport.write("[profile audit]\nregion = eu-west-1\n", to: URL(fileURLWithPath: env["AWS_CONFIG_FILE"]!))
        try TestSupport.write("[audit]\naws_access_key_id = testing\naws_secret_access_key = testing\n",
                              to: URL(fileURLWithPath: env["AWS_SHARED_CREDENTIALS_FILE"]!))
        var profileEnv = env
        profileEnv["AWS_DEFAULT_REGION"] = nil
        profileEnv["AWS_ACCESS_KEY_ID"] = nil
        profileEnv["AWS_SECRET_ACCESS_KEY"] = nil
        let other = dir.appendingPathComponent("collected-profile")
        let byProfile = try Self.kmsaudit(["collect", "--out", other.path, "--profile", "audit"], env: profileEnv)
        #expect(byProfile.status == 0, "\(String(decoding: byProfile.stderrData, as: UTF8.self))")
        let profileReport = try JSONDecoder().decode(CollectReport.self, from: Data(contentsOf: other.appendingPathComponent("collect-report.json")))
        #expect(profileReport.regionSource == "profile")
        #expect(profileReport.regions == [CollectReport.Region(name: "eu-west-1", keys: 0)])
        #expect(FileManager.default.fileExists(atPath: other.appendingPathComponent(
            "inventory/\(Self.account)/eu-west-1/describe-db-clusters.json").path))

        // The audit on the collected folder and a two-call trail.
        let trail = try Self.writeTrail(dir, keyA: made.keyA)
        let db = dir.appendingPathComponent("a.sqlite").path
        // moto makes an automated snapshot even with backups off (AWS does not): with a snapshot
        // age of 0 no snapshot counts as a backup, so KMS-003 judges by retention alone.
        let config = dir.appendingPathComponent("kmsaudit.yaml")
        try TestSupport.write("max_snapshot_age_days: 0\n", to: config)
        // The newcomer's whole path (README, docs/INPUTS.md): collect, audit with the evidence
        // pack, then verify the pack.
        let pack = dir.appendingPathComponent("evidence.zip").path
        let audit = try Self.kmsaudit(["audit", out.path, trail.path, "--db", db, "--config", config.path, "--report-dir",
                                       dir.appendingPathComponent("reports").path, "--quiet", "--evidence", pack], env: env)
        #expect(audit.status == 1, "\(String(decoding: audit.stderrData, as: UTF8.self))")  // findings, every file read
        let verified = try Self.kmsaudit(["evidence", "verify", pack], env: env)
        #expect(verified.status == 0, "\(String(decoding: verified.stdoutData, as: UTF8.self))\(String(decoding: verified.stderrData, as: UTF8.self))")

        let queue = try DatabaseQueue(path: db)
        try queue.read { db in
            let kinds = try String.fetchAll(db, sql: "SELECT kind FROM documents ORDER BY kind")
            #expect(Set(kinds) == ["aliases", "db-cluster-snapshots", "db-clusters", "db-instances", "db-snapshots",
                                   "grants", "key-metadata", "key-policy"])
            #expect(try Int.fetchOne(db, sql: "SELECT count(*) FROM documents WHERE kind = 'grants'") == report.regions.first?.keys)
            #expect(try String.fetchOne(db, sql: "SELECT kind FROM files WHERE path LIKE '%collect-report.json'") == "other")

            // The custom policy as the file's version, from the beginning of time.
            let policy = try Row.fetchOne(db, sql: "SELECT source, valid_from, policy FROM key_policies WHERE key_arn = ?",
                                          arguments: [made.keyA])
            #expect(policy?["source"] == "file")
            #expect((policy?["valid_from"] as String?) == nil)
            #expect((policy?["policy"] as String?)?.contains("role/NeptuneApp") == true)
            let key = try Row.fetchOne(db, sql: "SELECT is_database_key, policy_known, created_at, key_manager FROM keys WHERE key_arn = ?",
                                       arguments: [made.keyA])
            #expect(key?["is_database_key"] == 1)
            #expect(key?["policy_known"] == 1)
            #expect(key?["key_manager"] == "CUSTOMER")
            #expect((key?["created_at"] as String?)?.hasPrefix("20") == true)  // describe-key's CreationDate

            let resources = try Row.fetchAll(db, sql: "SELECT arn, kind, engine, kms_key_arn, source FROM db_resources ORDER BY arn")
            #expect(resources.map { $0["arn"] as String } == [
                "arn:aws:rds:\(Self.region):\(Self.account):cluster:graph-prod",
                "arn:aws:rds:\(Self.region):\(Self.account):db:graph-prod-1",
                "arn:aws:rds:\(Self.region):\(Self.account):db:ledger",
            ])
            #expect(resources.map { $0["kms_key_arn"] as String? } == [made.keyA, made.keyA, made.keyB])
            #expect(resources.allSatisfy { $0["source"] == "inventory" })
            let manual = try Row.fetchAll(db, sql: "SELECT arn, key_arn, source FROM snapshots WHERE snapshot_type = 'manual'")
            #expect(manual.map { $0["arn"] as String } == ["arn:aws:rds:\(Self.region):\(Self.account):cluster-snapshot:graph-prod-manual"])
            #expect(manual.first?["key_arn"] == made.keyA)
            #expect(manual.first?["source"] == "inventory")

            let alias = try String.fetchOne(db, sql: "SELECT key_arn FROM alias_history WHERE alias_name = 'alias/graph-db'")
            #expect(alias == made.keyA)

            // The listed grant holds from the beginning of time.
            let grant = try Row.fetchOne(db, sql: "SELECT key_arn, grantee_principal, operations, created_at, source FROM grants WHERE grant_id = ?",
                                         arguments: [made.grantID])
            #expect(grant?["key_arn"] == made.keyA)
            #expect(grant?["grantee_principal"] == "arn:aws:iam::\(Self.account):user/GrantUser")
            #expect(grant?["source"] == "inventory")
            #expect((grant?["created_at"] as String?) == nil)

            // KMS-002: the user nothing names is found; the one the grant names is not.
            let kms002 = try String.fetchAll(db, sql: "SELECT principal FROM latest_findings WHERE rule_id = 'KMS-002' ORDER BY principal")
            #expect(kms002 == ["arn:aws:iam::\(Self.account):user/Intruder"])
            // KMS-003: the instance whose backups are off; not the cluster, which keeps 7 days
            // (the minimum).
            let kms003 = try Row.fetchAll(db, sql: "SELECT resource, category FROM latest_findings WHERE rule_id = 'KMS-003'")
            #expect(kms003.map { $0["resource"] as String } == ["arn:aws:rds:\(Self.region):\(Self.account):db:ledger"])
            #expect(kms003.first?["category"] == "backups-off")
        }

        // Without the grants files the grant's user is unintended too: the baseline is what kept it out.
        for name in [made.keyAID, made.keyBID] {
            try FileManager.default.removeItem(at: out.appendingPathComponent(inv + "list-grants-\(name).json"))
        }
        let db2 = dir.appendingPathComponent("b.sqlite").path
        _ = try Self.kmsaudit(["audit", out.path, trail.path, "--db", db2, "--report-dir",
                               dir.appendingPathComponent("reports2").path, "--quiet"], env: env)
        let without = try DatabaseQueue(path: db2).read { db in
            try String.fetchAll(db, sql: "SELECT principal FROM latest_findings WHERE rule_id = 'KMS-002' ORDER BY principal")
        }
        #expect(without == ["arn:aws:iam::\(Self.account):user/GrantUser", "arn:aws:iam::\(Self.account):user/Intruder"])
    }

    /// A stand-in `aws` in front of the real one: denies one key's policy, throttles the first
    /// list-aliases, cannot reach one region, and answers one key's list-grants with a first
    /// page that still carries a continuation token (the real CLI's answer is the second page).
    static func wrapper(in dir: URL, realAWS: String, denyKey: String, pagedKey: String, unreachable: String) throws -> URL {
        let bin = dir.appendingPathComponent("bin")
        let state = dir.appendingPathComponent("wrapper-state")
        try FileManager.default.createDirectory(at: state, withIntermediateDirectories: true)
        let script = """
        #!/bin/bash
        echo "$*" >> '\(state.path)/calls'
        case " $* " in
          *" --region \(unreachable) "*)
            echo >&2; echo 'Could not connect to the endpoint URL: "https://kms.\(unreachable).amazonaws.com/"' >&2; exit 255 ;;
          *" get-key-policy "*"\(denyKey)"*)
            echo >&2
            echo 'An error occurred (AccessDeniedException) when calling the GetKeyPolicy operation: User: arn:aws:iam::\(account):user/auditor is not authorized to perform: kms:GetKeyPolicy on resource: arn:aws:kms:\(region):\(account):key/\(denyKey) because no resource-based policy allows the kms:GetKeyPolicy action' >&2
            exit 255 ;;
          *" list-grants "*"\(pagedKey)"*)
            case " $* " in
              *" --starting-token page-2 "*) ;;
              *) echo '{"Grants": [{"KeyId": "\(pagedKey)", "GrantId": "wrapper-page-1", "GranteePrincipal": "arn:aws:iam::\(account):user/PagedUser", "Operations": ["Decrypt"]}], "NextMarker": "page-2", "Truncated": true}'; exit 0 ;;
            esac ;;
          *" list-aliases "*)
            if mkdir '\(state.path)/throttled' 2>/dev/null; then
              echo >&2; echo 'An error occurred (ThrottlingException) when calling the ListAliases operation (reached max retries: 4): Rate exceeded' >&2; exit 255
            fi ;;
        esac
        exec '\(realAWS)' "$@"
        """
        try TestSupport.write(script, to: bin.appendingPathComponent("aws"))
        chmod(bin.appendingPathComponent("aws").path, 0o755)
        return bin
    }

    @Test func recordsWhatCouldNotBeCollectedAndCollectsTheRest() throws {
        let dir = try TestSupport.temporaryDirectory()
        let server = try MotoServer()
        defer { server.stop() }
        var env = Self.environment(server, home: dir)
        let made = try Self.makeResources(env, databases: false)
        let realAWS = Self.onPath("aws", path: env["PATH"])!
        let bin = try Self.wrapper(in: dir, realAWS: realAWS, denyKey: made.keyBID, pagedKey: made.keyAID, unreachable: "eu-west-3")
        env["PATH"] = bin.path + ":" + (env["PATH"] ?? "")
        let out = dir.appendingPathComponent("collected")

        let run = try Self.kmsaudit(["collect", "--out", out.path, "--regions", "\(Self.region),eu-west-3"], env: env)
        let stderr = String(decoding: run.stderrData, as: UTF8.self)
        #expect(run.status == 3, "\(stderr)")
        #expect(stderr.contains("us-east-1 kms get-key-policy key \(made.keyBID): denied (AccessDeniedException)"))
        #expect(stderr.contains("eu-west-3 kms list-keys: unreachable"))

        let report = try JSONDecoder().decode(CollectReport.self, from: Data(contentsOf: out.appendingPathComponent("collect-report.json")))
        #expect(!report.complete)
        #expect(report.regionSource == "argument")
        #expect(report.regions.map(\.name) == [Self.region, "eu-west-3"])
        #expect(report.regions.last?.keys == nil)
        let denied = report.failures.filter { $0.kind == .denied }
        #expect(denied.count == 1)
        #expect(denied.first?.keyID == made.keyBID)
        #expect(denied.first?.file == "policies/\(Self.account)/\(Self.region)/\(made.keyBID).json")
        // eu-west-3: list-keys, list-aliases and the four rds calls, each recorded.
        #expect(Set(report.failures.filter { $0.region == "eu-west-3" }.map(\.command)) == [
            "kms list-keys", "kms list-aliases", "rds describe-db-clusters", "rds describe-db-instances",
            "rds describe-db-cluster-snapshots", "rds describe-db-snapshots"])
        #expect(report.failures.filter { $0.region == "eu-west-3" }.allSatisfy { $0.kind == .unreachable })
        #expect(report.failures.count == 7)
        // The throttled list-aliases was retried and landed.
        #expect(report.retries >= 1)
        #expect(!report.failures.contains { $0.command == "kms list-aliases" && $0.region == Self.region })
        let calls = try String(contentsOf: dir.appendingPathComponent("wrapper-state/calls"), encoding: .utf8)
        #expect(calls.split(separator: "\n").filter { $0.hasPrefix("kms list-aliases") && $0.contains(Self.region) }.count == 2)

        // The rest landed: key A whole, key B but its policy, the region's inventory.
        let inv = "inventory/\(Self.account)/\(Self.region)/"
        for file in ["policies/\(Self.account)/\(Self.region)/\(made.keyAID).json", inv + "describe-key-\(made.keyBID).json",
                     inv + "list-grants-\(made.keyBID).json", inv + "list-aliases.json", inv + "describe-db-clusters.json"] {
            #expect(FileManager.default.fileExists(atPath: out.appendingPathComponent(file).path), "\(file) missing")
        }
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("policies/\(Self.account)/\(Self.region)/\(made.keyBID).json").path))

        // The leftover continuation token was followed and the pages merged.
        let paged = try JSONSerialization.jsonObject(with: Data(contentsOf: out.appendingPathComponent(
            inv + "list-grants-\(made.keyAID).json"))) as! [String: Any]
        #expect((paged["Grants"] as? [[String: Any]])?.map { $0["GrantId"] as? String } == ["wrapper-page-1"])
        #expect(paged["NextMarker"] == nil)
        #expect(calls.split(separator: "\n").contains { $0.contains("list-grants") && $0.contains("--starting-token page-2") })
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("inventory/\(Self.account)/eu-west-3").path))
    }

    @Test func namesTheMissingCLIInOneLine() throws {
        let dir = try TestSupport.temporaryDirectory()
        var env = ProcessInfo.processInfo.environment
        env["PATH"] = dir.appendingPathComponent("empty-bin").path
        env["AWS_DEFAULT_REGION"] = Self.region
        let run = try Self.kmsaudit(["collect", "--out", dir.appendingPathComponent("out").path], env: env)
        #expect(run.status == 2)
        let lines = String(decoding: run.stderrData, as: UTF8.self).split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("kmsaudit: collect: the AWS CLI `aws` was not found on PATH") == true)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("out").path))
    }
}

/// Migration v11 (grant documents) on a database made before it: documents kept, `grants` documents accepted.
@Suite struct GrantDocumentMigrationTests {
    @Test func keepsDocumentsAndAcceptsGrants() throws {
        let dir = try TestSupport.temporaryDirectory()
        let queue = try DatabaseQueue(path: dir.appendingPathComponent("old.sqlite").path)
        let migrator = SchemaMigrations.migrator
        try migrator.migrate(queue, upTo: "v9-covering-key-index")
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO files (id, path, kind, size, mtime_ns, status, ingested_at)
                VALUES (1, '/p/policies/123456789012/us-east-1/k.json', 'policy', 2, 0, 'ok', '2026-12-01T00:00:00Z'),
                       (2, '/p/inventory/123456789012/us-east-1/list-grants-k.json', 'inventory', 2, 0, 'ok', '2026-12-01T00:00:00Z');
                INSERT INTO documents (file_id, kind, key_arn, account, region, content)
                VALUES (1, 'key-policy', 'arn:aws:kms:us-east-1:123456789012:key/k', '123456789012', 'us-east-1', '{"Policy":"{}"}');
                """)
            #expect(throws: (any Error).self) {
                try db.execute(sql: "INSERT INTO documents (file_id, kind, content) VALUES (2, 'grants', '{\"Grants\":[]}')")
            }
        }
        try migrator.migrate(queue)
        try queue.write { db in
            try db.execute(sql: "INSERT INTO documents (file_id, kind, content) VALUES (2, 'grants', '{\"Grants\":[]}')")
            let rows = try Row.fetchAll(db, sql: "SELECT file_id, kind, key_arn FROM documents ORDER BY file_id")
            #expect(rows.map { $0["kind"] as String } == ["key-policy", "grants"])
            #expect(rows.first?["key_arn"] == "arn:aws:kms:us-east-1:123456789012:key/k")
            let columns = try db.columns(in: "grants").map(\.name)
            #expect(columns.contains("source") && columns.contains("file_id"))
            #expect(try db.columns(in: "grants").first { $0.name == "created_at" }?.isNotNull == false)
        }
    }
}
