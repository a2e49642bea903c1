/// The fixed estate the trail describes: three accounts of one organization, their regions
/// (one log stream per account+region), people and roles, KMS keys, and Neptune/RDS resources.
///
/// Identifiers come from a fixed world seed, not the run's seed, so that key ARNs and resource
/// names stay the same between runs and expected findings read the same; the run's seed drives
/// event ids and the background mix.
final class SampleWorld {
    static let orgID = "o-7k2m9x4q1z"
    static let bucket = "acme-org-cloudtrail-418295730612"
    static let trailName = "org-trail"
    static let homeRegion = "us-east-1"

    let clock: SampleClock
    let prod = SampleAccount(id: "418295730612", name: "prod")
    let data = SampleAccount(id: "730061529844", name: "analytics")
    let sandbox = SampleAccount(id: "925513867340", name: "sandbox")
    /// A vendor account outside the organization: only the key owner's copy of its calls is in
    /// the trail.
    let external = SampleAccount(id: "555144039871", name: "vendor")

    private(set) var streams: [SampleStream] = []
    private(set) var principals: [String: AccountPrincipals] = [:]
    private(set) var keys: [String: SampleKey] = [:]
    private(set) var resources: [String: DBResource] = [:]

    init(clock: SampleClock) {
        self.clock = clock
        var rng = SampleRNG(seed: 0x4B4D_5341_5544_4954)
        for a in [prod, data, sandbox, external] { principals[a.id] = AccountPrincipals(account: a.id, rng: &rng) }
        // Weights: share of background records, per mille.
        let layout: [(SampleAccount, String, Int)] = [
            (prod, "us-east-1", 300), (prod, "us-west-2", 160), (data, "us-east-1", 200),
            (data, "us-west-2", 140), (sandbox, "us-east-1", 120), (sandbox, "eu-west-1", 80),
        ]
        streams = layout.enumerated().map { i, l in
            SampleStream(index: i, account: l.0, region: l.1, weight: l.2, people: principals[l.0.id]!)
        }
        buildKeys(&rng)
        buildResources(&rng)
    }

    func stream(_ account: SampleAccount, _ region: String) -> SampleStream {
        streams.first { $0.account.id == account.id && $0.region == region }!
    }

    func key(_ name: String) -> SampleKey { keys[name]! }
    func resource(_ name: String) -> DBResource { resources[name]! }
    func people(_ a: SampleAccount) -> AccountPrincipals { principals[a.id]! }

    // MARK: Keys

    @discardableResult
    private func addKey(_ name: String, _ s: SampleStream, alias: String?, purpose: SampleKey.Purpose,
                        createdAt: Int64?, policy: SampleKey.PolicySource, _ rng: inout SampleRNG) -> SampleKey {
        let k = SampleKey(name: name, account: s.account.id, region: s.region, id: FakeID.uuid(&rng),
                          alias: alias, purpose: purpose, createdAt: createdAt, policy: policy)
        keys[name] = k
        s.keys.append(k)
        return k
    }

    private func buildKeys(_ rng: inout SampleRNG) {
        let c = clock
        for s in streams {
            // The account's AWS managed key for RDS: policy never seen (policy unknown).
            if s.account.id != sandbox.id {
                let m = addKey("aws-rds@\(s.index)", s, alias: "alias/aws/rds", purpose: .database, createdAt: nil, policy: .unknown, &rng)
                m.awsManaged = true
            }
            // Application keys used by S3, EBS, Secrets Manager, DynamoDB and programs.
            let app = addKey("app@\(s.index)", s, alias: "alias/app-data", purpose: .application, createdAt: nil, policy: .unknown, &rng)
            app.uses = [.s3, .direct, .dynamodb]
            let ebs = addKey("ebs@\(s.index)", s, alias: "alias/ebs-default", purpose: .application, createdAt: nil, policy: .unknown, &rng)
            ebs.uses = [.ebs]
            let secrets = addKey("secrets@\(s.index)", s, alias: "alias/secrets", purpose: .application, createdAt: nil, policy: .unknown, &rng)
            secrets.uses = [.secrets]
            for m in ["aws/s3", "aws/ebs", "aws/secretsmanager", "aws/lambda"] {
                let k = addKey("\(m)@\(s.index)", s, alias: "alias/\(m)", purpose: .application, createdAt: nil, policy: .unknown, &rng)
                k.awsManaged = true
            }
        }
        let s0 = stream(prod, "us-east-1"), s1 = stream(prod, "us-west-2")
        let s2 = stream(data, "us-east-1"), s3 = stream(data, "us-west-2")
        let s4 = stream(sandbox, "us-east-1"), s5 = stream(sandbox, "eu-west-1")
        let pp = people(prod), pd = people(data)
        func dbPolicy(_ s: SampleStream, extra: [JSONNode] = [], root: Bool = true) -> JSONNode {
            let p = s.people
            return KeyPolicies.database(account: s.account.id, region: s.region, admins: [p.keyAdmin.arn],
                                        rdsRoles: [p.neptune.arn, p.dbAdmin.arn], denyRoles: [p.neptune.arn],
                                        extra: extra, root: root)
        }

        // prod / us-east-1
        let graphPolicy = dbPolicy(s0, extra: [KeyPolicies.auditStatement(pp.securityAuditor.arn)])
        let graph = addKey("graph", s0, alias: "alias/graph-prod", purpose: .database, createdAt: nil, policy: .file(graphPolicy), &rng)
        graph.replacementPolicy = dbPolicy(s0)
        addKey("orders", s0, alias: "alias/orders-db", purpose: .database, createdAt: c.at(Plan.ordersKey), policy: .createKey(dbPolicy(s0)), &rng)
        addKey("ledger", s0, alias: "alias/ledger", purpose: .database, createdAt: c.at(Plan.ledgerKey), policy: .createKey(dbPolicy(s0)), &rng)
        addKey("cms", s0, alias: nil, purpose: .database, createdAt: c.at(Plan.cmsKey), policy: .createKeyDefault, &rng)
        let legacy = addKey("legacy", s0, alias: "alias/legacy-crm", purpose: .database, createdAt: nil, policy: .unknown, &rng)
        legacy.aliasOnly = true
        let shared = addKey("shared", s0, alias: "alias/shared-analytics", purpose: .application, createdAt: nil, policy: .unknown, &rng)
        shared.uses = [.crossAccount]
        let app2 = addKey("app-v2@0", s0, alias: nil, purpose: .application, createdAt: c.at(Plan.appKeyV2),
                          policy: .createKey(KeyPolicies.application(account: prod.id, admins: [pp.keyAdmin.arn], users: [pp.appServer.arn])), &rng)
        app2.uses = [.s3, .direct, .dynamodb]
        // `alias/app-data` moves from the old application key to the new one (UpdateAlias).
        key("app@0").activeTo = c.at(Plan.appAliasMove)
        app2.activeFrom = c.at(Plan.appAliasMove)
        addKey("export-tmp@0", s0, alias: "alias/export-tmp", purpose: .application, createdAt: nil, policy: .unknown, &rng)

        // prod / us-west-2
        // Hardened: no account root statement, and a statement the auditor cannot evaluate.
        let hardPolicy = dbPolicy(s1, extra: [KeyPolicies.contractorStatement(pp.contractor.arn)], root: false)
        addKey("analytics", s1, alias: "alias/graph-analytics", purpose: .database, createdAt: c.at(Plan.analyticsKey), policy: .createKey(hardPolicy), &rng)
        addKey("backup-w2", s1, alias: "alias/rds-backup-copies", purpose: .database, createdAt: c.at(Plan.backupW2Key), policy: .createKey(dbPolicy(s1)), &rng)
        addKey("archive", s1, alias: "alias/archive-graph", purpose: .database, createdAt: c.at(Plan.archiveKey), policy: .createKey(dbPolicy(s1)), &rng)

        // analytics / us-east-1
        addKey("warehouse", s2, alias: "alias/warehouse", purpose: .database, createdAt: c.at(Plan.warehouseKey), policy: .createKey(dbPolicy(s2)), &rng)
        addKey("dev", s2, alias: "alias/graph-dev", purpose: .database, createdAt: c.at(Plan.devKey), policy: .createKey(dbPolicy(s2)), &rng)
        addKey("cache", s2, alias: "alias/sessions", purpose: .database, createdAt: c.at(Plan.cacheKey), policy: .createKey(dbPolicy(s2)), &rng)
        let lake = addKey("lake@2", s2, alias: "alias/data-lake", purpose: .application, createdAt: nil, policy: .unknown, &rng)
        lake.uses = [.s3]

        // analytics / us-west-2
        addKey("staging", s3, alias: "alias/graph-staging", purpose: .database, createdAt: nil, policy: .unknown, &rng)
        addKey("payments", s3, alias: "alias/payments", purpose: .database, createdAt: c.at(Plan.paymentsKey), policy: .createKey(dbPolicy(s3)), &rng)
        addKey("backup-dw2", s3, alias: "alias/rds-backup-copies", purpose: .database, createdAt: c.at(Plan.backupDW2Key), policy: .createKey(dbPolicy(s3)), &rng)
        let search = addKey("search", s3, alias: "alias/search-graph", purpose: .database, createdAt: c.at(Plan.searchKey), policy: .createKey(dbPolicy(s3)), &rng)
        search.replacementPolicy = KeyPolicies.document(id: "key-admins-only", [KeyPolicies.adminStatement([pd.keyAdmin.arn])])

        // sandbox
        let sbx = addKey("scratch@4", s4, alias: "alias/scratch", purpose: .application, createdAt: c.at(Plan.scratchKey), policy: .createKeyDefault, &rng)
        sbx.uses = [.direct]
        addKey("retired@4", s4, alias: nil, purpose: .application, createdAt: nil, policy: .unknown, &rng)
        addKey("poc", s5, alias: "alias/graph-poc", purpose: .database, createdAt: c.at(Plan.pocKey), policy: .createKey(dbPolicy(s5)), &rng)

        configureBackground()
    }

    /// When RDS (and the roles acting through it) use each database key in background traffic,
    /// and how those calls end. RDS's own calls are intended only through a grant
    /// (docs/rules/KMS-002.md), so they start at the first `CreateGrant` the trail shows, stop while no grant
    /// exists, and fail while the key is disabled or pending deletion.
    private func configureBackground() {
        let c = clock, end = c.end + 3600
        func ok(_ from: Int64, _ to: Int64) -> KeyWindow { KeyWindow(from: from, to: to, error: nil) }
        func disabled(_ from: Int64, _ to: Int64) -> KeyWindow { KeyWindow(from: from, to: to, error: .disabled) }
        func pending(_ from: Int64, _ to: Int64) -> KeyWindow { KeyWindow(from: from, to: to, error: .pendingDeletion) }
        let grantDelay: Int64 = 5

        for k in keys.values where k.purpose == .database && k.awsManaged {
            k.rdsWindows = [ok(c.start, end)]; k.viaRDSFrom = c.start; k.adminFrom = c.start; k.rdsWeight = 3
        }
        let graph = key("graph")
        graph.rdsWindows = [ok(c.at(Plan.graphInstance) + grantDelay, end)]
        graph.viaRDSFrom = c.at(Plan.graphInstance) + 60; graph.adminFrom = c.start; graph.rdsWeight = 6
        let orders = key("orders")
        orders.rdsWindows = [ok(c.at(Plan.ordersCluster) + grantDelay, end)]
        orders.viaRDSFrom = c.at(Plan.ordersCluster) + 60; orders.adminFrom = c.at(Plan.ordersKey) + 120; orders.rdsWeight = 8
        let ledger = key("ledger")
        ledger.rdsWindows = [ok(c.at(Plan.ledgerDB) + grantDelay, c.at(Plan.ledgerDisable)),
                             disabled(c.at(Plan.ledgerDisable) + 1, end)]
        ledger.adminFrom = c.at(Plan.ledgerKey) + 120; ledger.rdsWeight = 3
        let cms = key("cms")
        cms.rdsWindows = [ok(c.at(Plan.cmsCluster) + grantDelay, end)]; cms.rdsWeight = 2
        let legacy = key("legacy")
        legacy.rdsWindows = [ok(c.start, end)]; legacy.viaRDSFrom = c.start; legacy.adminFrom = c.start; legacy.rdsWeight = 2

        let analytics = key("analytics")
        analytics.rdsWindows = [ok(c.at(Plan.analyticsCluster) + grantDelay, end)]
        analytics.viaRDSFrom = c.at(Plan.analyticsCluster) + 60; analytics.adminFrom = c.at(Plan.analyticsKey) + 120; analytics.rdsWeight = 5
        let archive = key("archive")
        archive.rdsWindows = [ok(c.at(Plan.archiveCluster) + grantDelay, c.at(Plan.archiveDelete)),
                              pending(c.at(Plan.archiveDelete) + 1, end)]
        archive.adminFrom = c.at(Plan.archiveKey) + 120; archive.rdsWeight = 3
        key("backup-w2").adminFrom = c.at(Plan.backupW2Key) + 120

        let warehouse = key("warehouse")
        warehouse.rdsWindows = [ok(c.at(Plan.warehouseCluster) + grantDelay, c.at(Plan.warehouseSchedule)),
                                pending(c.at(Plan.warehouseSchedule) + 1, c.at(Plan.warehouseCancel)),
                                disabled(c.at(Plan.warehouseCancel) + 1, c.at(Plan.warehouseEnable)),
                                ok(c.at(Plan.warehouseEnable) + 1, end)]
        warehouse.adminFrom = c.at(Plan.warehouseKey) + 120; warehouse.rdsWeight = 8
        let dev = key("dev")
        dev.rdsWindows = [ok(c.at(Plan.devCluster) + grantDelay, end)]
        dev.viaRDSFrom = c.at(Plan.devCluster) + 60; dev.adminFrom = c.at(Plan.devKey) + 120; dev.rdsWeight = 2
        let cache = key("cache")
        cache.rdsWindows = [ok(c.at(Plan.sessionsDB) + grantDelay, c.at(Plan.cacheRevoke)),
                            ok(c.at(Plan.cacheRegrant) + grantDelay, end)]
        cache.adminFrom = c.at(Plan.cacheKey) + 120; cache.rdsWeight = 4

        let staging = key("staging")
        staging.rdsWindows = [ok(c.start, c.at(Plan.stagingDelete))]; staging.adminFrom = c.start; staging.rdsWeight = 2
        let payments = key("payments")
        payments.rdsWindows = [ok(c.at(Plan.paymentsDB) + grantDelay, c.at(Plan.paymentsRetire))]
        payments.adminFrom = c.at(Plan.paymentsKey) + 120; payments.rdsWeight = 5
        let search = key("search")
        search.rdsWindows = [ok(c.at(Plan.searchCluster) + grantDelay, end)]
        search.adminFrom = c.at(Plan.searchKey) + 120; search.rdsWeight = 4
        key("backup-dw2").adminFrom = c.at(Plan.backupDW2Key) + 120

        let poc = key("poc")
        poc.rdsWindows = [ok(c.at(Plan.pocCluster) + grantDelay, c.at(Plan.pocDisable)),
                          disabled(c.at(Plan.pocDisable) + 1, c.at(Plan.pocEnable)),
                          ok(c.at(Plan.pocEnable) + 1, end)]
        poc.adminFrom = c.at(Plan.pocKey) + 120; poc.rdsWeight = 3
    }

    // MARK: Neptune / RDS resources

    @discardableResult
    private func addResource(_ id: String, _ kind: DBResource.Kind, _ s: SampleStream, engine: DBResource.Engine,
                             key: SampleKey?, retention: Int, cluster: DBResource? = nil, createdAt: Int64?,
                             background: Bool = false, _ rng: inout SampleRNG) -> DBResource {
        let r = DBResource(identifier: id, kind: kind, account: s.account.id, region: s.region, engine: engine,
                           key: key, retention: cluster?.retention ?? retention, cluster: cluster, createdAt: createdAt,
                           resourceID: FakeID.rdsResourceID(prefix: kind == .cluster ? "cluster-" : "db-", &rng))
        r.backgroundManaged = background
        resources[id] = r
        s.resources.append(r)
        cluster?.members.append(r)
        if let key, kind == .instance { key.contexts.append(r.resourceID) }
        return r
    }

    private func buildResources(_ rng: inout SampleRNG) {
        let c = clock
        let s0 = stream(prod, "us-east-1"), s1 = stream(prod, "us-west-2")
        let s2 = stream(data, "us-east-1"), s3 = stream(data, "us-west-2")
        let s4 = stream(sandbox, "us-east-1"), s5 = stream(sandbox, "eu-west-1")
        func cluster(_ id: String, _ s: SampleStream, _ e: DBResource.Engine, _ k: String, ret: Int, at: Int64?,
                     members: Int = 1, background: Bool = false) {
            let cl = addResource(id, .cluster, s, engine: e, key: key(k), retention: ret, createdAt: at, background: background, &rng)
            for i in 1...members {
                addResource("\(id)-instance-\(i)", .instance, s, engine: e, key: key(k), retention: ret, cluster: cl,
                            createdAt: at.map { $0 + 300 * Int64(i) }, background: background, &rng)
            }
        }
        // Before the trail (known from inventory files).
        cluster("graph-prod", s0, .neptune, "graph", ret: 7, at: nil, members: 2, background: true)
        addResource("billing-db", .instance, s0, engine: .mysql, key: key("aws-rds@0"), retention: 7, createdAt: nil, background: true, &rng)
        addResource("legacy-crm-db", .instance, s0, engine: .postgres, key: key("legacy"), retention: 7, createdAt: nil, background: true, &rng)
        addResource("airflow-meta", .instance, s2, engine: .postgres, key: key("aws-rds@2"), retention: 7, createdAt: nil, background: true, &rng)
        cluster("graph-staging", s3, .neptune, "staging", ret: 7, at: nil)
        addResource("sbx-mysql-01", .instance, s4, engine: .mysql, key: nil, retention: 1, createdAt: nil, background: true, &rng)
        // Created in the trail.
        addResource("graph-prod-instance-3", .instance, s0, engine: .neptune, key: key("graph"), retention: 7,
                    cluster: resource("graph-prod"), createdAt: c.at(Plan.graphInstance), background: true, &rng)
        cluster("orders-prod", s0, .auroraPostgres, "orders", ret: 14, at: c.at(Plan.ordersCluster), background: true)
        addResource("ledger-db", .instance, s0, engine: .mysql, key: key("ledger"), retention: 0, createdAt: c.at(Plan.ledgerDB), &rng)
        cluster("cms-db", s0, .auroraMySQL, "cms", ret: 7, at: c.at(Plan.cmsCluster), background: true)
        addResource("reporting-db", .instance, s0, engine: .postgres, key: key("orders"), retention: 0, createdAt: c.at(Plan.reportingDB), &rng)
        cluster("archive-graph", s1, .neptune, "archive", ret: 7, at: c.at(Plan.archiveCluster))
        cluster("graph-analytics", s1, .neptune, "analytics", ret: 7, at: c.at(Plan.analyticsCluster), background: true)
        cluster("warehouse", s2, .auroraMySQL, "warehouse", ret: 14, at: c.at(Plan.warehouseCluster))
        cluster("graph-dev", s2, .neptune, "dev", ret: 1, at: c.at(Plan.devCluster))
        addResource("sessions-db", .instance, s2, engine: .postgres, key: key("cache"), retention: 7, createdAt: c.at(Plan.sessionsDB), &rng)
        addResource("payments-db", .instance, s3, engine: .postgres, key: key("payments"), retention: 7, createdAt: c.at(Plan.paymentsDB), &rng)
        cluster("search-graph", s3, .neptune, "search", ret: 14, at: c.at(Plan.searchCluster))
        cluster("graph-poc", s5, .neptune, "poc", ret: 7, at: c.at(Plan.pocCluster))
    }
}

/// Converts plan fractions to instants of the trail.
struct SampleClock {
    let start: Int64
    let days: Int
    var duration: Int64 { Int64(days) * 86_400 }
    var end: Int64 { start + duration }
    /// Event slots (5 minutes each) covered by the trail.
    var slots: Int { days * 288 }

    /// The instant at fraction `f` of the trail plus `plus` seconds, whole seconds.
    func at(_ f: Double, _ plus: Int64 = 0) -> Int64 { start + Int64((Double(duration) * f).rounded()) + plus }
}

/// One log stream: what CloudTrail delivers for one account in one region.
final class SampleStream {
    let index: Int
    let account: SampleAccount
    let region: String
    let weight: Int
    let people: AccountPrincipals
    var keys: [SampleKey] = []
    var resources: [DBResource] = []

    init(index: Int, account: SampleAccount, region: String, weight: Int, people: AccountPrincipals) {
        self.index = index; self.account = account; self.region = region; self.weight = weight; self.people = people
    }

    var databaseKeys: [SampleKey] { keys.filter { $0.purpose == .database } }
}

/// The principals of one account (IAM is global, so all regions share them).
final class AccountPrincipals {
    let account: String
    let keyAdmin, dbAdmin, neptune, appServer, dataScience, contractor, securityAuditor, legacyExport,
        analyticsETL, backupRole, lambdaExec, ssoAdmin, ssoReadOnly, ec2Infra, deployRole: SampleRole
    let ciUser, alice, broker: SampleUser

    init(account: String, rng: inout SampleRNG) {
        self.account = account
        func role(_ n: String, _ sessions: [String], path: String = "/") -> SampleRole {
            SampleRole(account: account, name: n, path: path, sessions: sessions, rng: &rng)
        }
        keyAdmin = role("KeyAdmin", ["mkovacs", "jsato"])
        dbAdmin = role("DBAdmin", ["priya.raman", "terraform-rds", "tomas.novak"])
        neptune = role("NeptuneFullAccess", ["graph-api-7f9c2", "graph-api-b41d0", "graph-loader"])
        appServer = role("AppServer", ["i-0a3f5c9e21b7d4e60", "i-0c81d2e4f7a9b3c15", "i-07e2b9a4c6d1f8e03"])
        dataScience = role("DataScienceNotebook", ["SageMaker"])
        contractor = role("Contractor", ["ext-audit-lwong"])
        securityAuditor = role("SecurityAuditor", ["prowler-scan", "security-hub"])
        legacyExport = role("LegacyCrmExport", ["nightly-export"])
        analyticsETL = role("AnalyticsETL", ["glue-job-daily", "glue-job-hourly"])
        backupRole = role("AWSBackupDefaultServiceRole", ["AWSBackup-AWSBackupDefaultServiceRole"], path: "/service-role/")
        lambdaExec = role("orders-api-lambda-role", ["orders-api-handler", "orders-api-worker"])
        ssoAdmin = role("AWSReservedSSO_AdministratorAccess_3f8a61b0c2d94e75", ["jane.doe@acme.example", "ops.oncall@acme.example"],
                        path: "/aws-reserved/sso.amazonaws.com/")
        ssoReadOnly = role("AWSReservedSSO_ReadOnlyAccess_9b2e4d71a0c3f856", ["analyst.kim@acme.example"],
                           path: "/aws-reserved/sso.amazonaws.com/")
        ec2Infra = role("aws:ec2-infrastructure", ["i-0a3f5c9e21b7d4e60", "i-0c81d2e4f7a9b3c15"])
        deployRole = role("github-actions-deploy", ["GitHubActions"])
        ciUser = SampleUser(account: account, name: "ci-deploy", rng: &rng)
        alice = SampleUser(account: account, name: "alice.martin", rng: &rng)
        broker = SampleUser(account: account, name: "federation-broker", rng: &rng)
    }
}

/// A KMS key of the estate and how background traffic may use it.
final class SampleKey {
    enum Purpose { case database, application }
    enum Use { case s3, ebs, secrets, dynamodb, direct, crossAccount }
    /// Where the auditor can learn the key's policy from.
    enum PolicySource {
        case unknown
        case file(JSONNode)
        case createKey(JSONNode)
        /// `CreateKey` without a `policy` parameter: AWS's default policy.
        case createKeyDefault
    }

    let name: String
    let account: String
    let region: String
    let id: String
    let alias: String?
    let purpose: Purpose
    let createdAt: Int64?
    let policy: PolicySource
    var awsManaged = false
    /// Name this key only by alias in its events (no key ARN anywhere).
    var aliasOnly = false
    var replacementPolicy: JSONNode?
    var uses: Set<Use> = []
    var activeFrom: Int64 = .min
    var activeTo: Int64 = .max
    // Database keys in background traffic.
    var rdsWindows: [KeyWindow] = []
    var rdsWeight = 1
    /// From when the roles named in the policy call it through RDS (nil: never in background).
    var viaRDSFrom: Int64?
    /// From when key administrators inspect it (nil: never).
    var adminFrom: Int64?
    /// `aws:rds:db-id` values of the resources it protects.
    var contexts: [String] = []

    init(name: String, account: String, region: String, id: String, alias: String?, purpose: Purpose,
         createdAt: Int64?, policy: PolicySource) {
        self.name = name; self.account = account; self.region = region; self.id = id; self.alias = alias
        self.purpose = purpose; self.createdAt = createdAt; self.policy = policy
    }

    var arn: String { "arn:aws:kms:\(region):\(account):key/\(id)" }
    var aliasARN: String? { alias.map { "arn:aws:kms:\(region):\(account):\($0)" } }

    /// The RDS window covering `t`, if RDS uses the key then.
    func rdsWindow(at t: Int64) -> KeyWindow? { rdsWindows.first { $0.from <= t && t < $0.to } }
    func isActive(at t: Int64) -> Bool { t >= activeFrom && t < activeTo && (createdAt ?? .min) + 60 <= t }
}

struct KeyWindow {
    enum Failure {
        case disabled, pendingDeletion
        var code: String { self == .disabled ? "DisabledException" : "KMSInvalidStateException" }
        func message(_ arn: String) -> String { self == .disabled ? "\(arn) is disabled." : "\(arn) is pending deletion." }
    }
    let from: Int64
    let to: Int64
    let error: Failure?
}

/// A Neptune or RDS cluster or instance.
final class DBResource {
    enum Kind { case cluster, instance }
    enum Engine: String {
        case neptune, mysql, postgres
        case auroraMySQL = "aurora-mysql"
        case auroraPostgres = "aurora-postgresql"
        var version: String {
            switch self {
            case .neptune: return "1.3.2.1"
            case .mysql: return "8.0.39"
            case .postgres: return "16.4"
            case .auroraMySQL: return "8.0.mysql_aurora.3.07.1"
            case .auroraPostgres: return "16.4"
            }
        }
        var port: Int {
            switch self {
            case .neptune: return 8182
            case .mysql, .auroraMySQL: return 3306
            case .postgres, .auroraPostgres: return 5432
            }
        }
        var instanceClass: String { self == .neptune ? "db.r6g.large" : "db.r6g.xlarge" }
    }

    let identifier: String
    let kind: Kind
    let account: String
    let region: String
    let engine: Engine
    let key: SampleKey?
    let retention: Int
    weak var cluster: DBResource?
    var members: [DBResource] = []
    let createdAt: Int64?
    let resourceID: String
    /// Background traffic may modify, snapshot and back it up (never the planted ones, whose
    /// backup state is part of an expected finding).
    var backgroundManaged = false

    init(identifier: String, kind: Kind, account: String, region: String, engine: Engine, key: SampleKey?,
         retention: Int, cluster: DBResource?, createdAt: Int64?, resourceID: String) {
        self.identifier = identifier; self.kind = kind; self.account = account; self.region = region
        self.engine = engine; self.key = key; self.retention = retention; self.cluster = cluster
        self.createdAt = createdAt; self.resourceID = resourceID
    }

    var encrypted: Bool { key != nil }
    var arn: String { "arn:aws:rds:\(region):\(account):\(kind == .cluster ? "cluster" : "db"):\(identifier)" }
    var createdBeforeTrail: Bool { createdAt == nil }
}
