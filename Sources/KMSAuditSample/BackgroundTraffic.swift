/// The bulk of the trail: ordinary traffic that must produce no finding at all. Every call on a
/// database key here is one docs/rules/KMS-002.md calls intended: RDS itself through an active grant, the
/// roles named in the key policy's ViaService statement acting through RDS, and key
/// administrators doing what the administrator statement names. Keys whose policy the auditor
/// cannot know get the same traffic (KMS-002 says nothing about them).
struct BackgroundTraffic {
    enum Kind: Int, CaseIterable {
        case s3Get, s3Put, s3Config, ec2, stsService, stsSAML, stsWeb, stsCaller, iam, lambda, dynamodb, ops, signin, federated
        case kmsRDSService, kmsViaRDS, kmsAdminRead, kmsS3, kmsSecrets, kmsEBS, kmsDynamo, kmsDirect, kmsList
        case rdsDescribe, rdsDenied, rdsManage, rdsBackupSnapshot, backupJob, rdsChurn

        /// Share of background records, per 10,000.
        var weight: Int {
            switch self {
            case .s3Get: return 800
            case .s3Put: return 250
            case .s3Config: return 250
            case .ec2: return 1350
            case .stsService: return 1000
            case .stsSAML: return 60
            case .stsWeb: return 100
            case .stsCaller: return 350
            case .iam: return 300
            case .lambda: return 350
            case .dynamodb: return 400
            case .ops: return 1100
            case .signin: return 20
            case .federated: return 30
            case .kmsRDSService: return 1800
            case .kmsViaRDS: return 150
            case .kmsAdminRead: return 80
            case .kmsS3: return 450
            case .kmsSecrets: return 150
            case .kmsEBS: return 200
            case .kmsDynamo: return 100
            case .kmsDirect: return 200
            case .kmsList: return 40
            case .rdsDescribe: return 500
            case .rdsDenied: return 20
            case .rdsManage: return 40
            case .rdsBackupSnapshot: return 20
            case .backupJob: return 80
            case .rdsChurn: return 30
            }
        }
    }

    let stream: SampleStream
    let clock: SampleClock
    private var table: [(kind: Kind, upTo: Int)] = []
    private var total = 0
    private let dbKeys: [SampleKey]
    private let appKeys: [SampleKey]
    private let managed: [DBResource]

    init(stream: SampleStream, clock: SampleClock) {
        self.stream = stream
        self.clock = clock
        dbKeys = stream.databaseKeys
        appKeys = stream.keys.filter { $0.purpose == .application && !$0.awsManaged }
        managed = stream.resources.filter { $0.backgroundManaged }
        for k in Kind.allCases {
            if k == .iam && stream.region != "us-east-1" { continue }
            if k == .rdsChurn && stream.account.name != "sandbox" { continue }
            total += k.weight
            table.append((k, total))
        }
    }

    /// Writes one record at time `t`; returns whether it is a kms/rds/backup record.
    func write(_ w: inout JSONWriter, _ rng: inout SampleRNG, at t: Int64) -> Bool {
        let x = rng.below(total)
        var lo = 0, hi = table.count - 1
        while lo < hi { let mid = (lo + hi) / 2; if table[mid].upTo > x { hi = mid } else { lo = mid + 1 } }
        if write(table[lo].kind, &w, &rng, t) { return table[lo].kind.rawValue >= Kind.kmsRDSService.rawValue }
        NoiseEvents.ec2Describe(&w, &rng, stream, t)
        return false
    }

    /// False when the kind has nothing to act on at `t` (the caller writes noise instead).
    private func write(_ kind: Kind, _ w: inout JSONWriter, _ rng: inout SampleRNG, _ t: Int64) -> Bool {
        let s = stream
        switch kind {
        case .s3Get: NoiseEvents.s3Object(&w, &rng, s, t, put: false)
        case .s3Put: NoiseEvents.s3Object(&w, &rng, s, t, put: true)
        case .s3Config: NoiseEvents.s3Config(&w, &rng, s, t)
        case .ec2: NoiseEvents.ec2Describe(&w, &rng, s, t)
        case .stsService: NoiseEvents.sts(&w, &rng, s, t, kind: 0)
        case .stsSAML: NoiseEvents.sts(&w, &rng, s, t, kind: 1)
        case .stsWeb: NoiseEvents.sts(&w, &rng, s, t, kind: 2)
        case .stsCaller: NoiseEvents.sts(&w, &rng, s, t, kind: 3)
        case .iam: NoiseEvents.iam(&w, &rng, s, t)
        case .lambda: NoiseEvents.lambda(&w, &rng, s, t)
        case .dynamodb: NoiseEvents.dynamodb(&w, &rng, s, t)
        case .ops: NoiseEvents.ops(&w, &rng, s, t)
        case .signin: NoiseEvents.signin(&w, &rng, s, t, who: rng.below(3))
        case .federated: NoiseEvents.federated(&w, &rng, s, t)
        case .kmsRDSService: return rdsService(&w, &rng, t)
        case .kmsViaRDS: return viaRDS(&w, &rng, t)
        case .kmsAdminRead: return adminRead(&w, &rng, t)
        case .kmsS3, .kmsSecrets, .kmsEBS, .kmsDynamo, .kmsDirect: return application(kind, &w, &rng, t)
        case .kmsList:
            let p = s.people
            KMSEvents.list(&w, &rng, rng.chance(0.6) ? "ListAliases" : "ListKeys",
                           actor: rng.chance(0.5) ? .role(p.ssoReadOnly, session: 0, invokedBy: nil) : .role(p.securityAuditor, session: 0, invokedBy: nil),
                           time: t, region: s.region, recipient: s.account.id, client: NoiseEvents.client(&rng))
        case .rdsDescribe: rdsDescribe(&w, &rng, t)
        case .rdsDenied: rdsDenied(&w, &rng, t)
        case .rdsManage, .rdsBackupSnapshot, .backupJob: return rdsManaged(kind, &w, &rng, t)
        case .rdsChurn: rdsChurn(&w, &rng, t)
        }
        return true
    }

    // MARK: KMS on database keys

    /// RDS's own calls (AWSService), allowed through its grant; they fail while the key is
    /// disabled or pending deletion.
    private func rdsService(_ w: inout JSONWriter, _ rng: inout SampleRNG, _ t: Int64) -> Bool {
        var candidates: [(SampleKey, KeyWindow)] = []
        var weight = 0
        for k in dbKeys where !k.contexts.isEmpty {
            if let win = k.rdsWindow(at: t) { candidates.append((k, win)); weight += k.rdsWeight }
        }
        guard !candidates.isEmpty else { return false }
        var x = rng.below(weight)
        var chosen = candidates[0]
        for c in candidates { x -= c.0.rdsWeight; if x < 0 { chosen = c; break } }
        let (key, window) = chosen
        var call = KMSEvents.Call(actor: .service("rds.amazonaws.com"), key: key, time: t)
        call.shared = .random
        if !key.aliasOnly {
            let style = rng.below(100)
            if style < 4 { call.style = .legacy } else if style < 20 { call.ref = .absent }
        } else if rng.chance(0.5) {
            call.ref = .aliasARN; call.style = .aliasOnly
        }
        if let failure = window.error { call.error = (failure.code, failure.message(key.arn)) }
        let names = ["Decrypt", "Decrypt", "Decrypt", "GenerateDataKey", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "Encrypt"]
        let name = rng.pick(names)
        if name != "Decrypt" && call.ref == .absent { call.ref = .arn }
        KMSEvents.crypto(&w, &rng, name, call, context: [("aws:rds:db-id", rng.pick(key.contexts))])
        return true
    }

    /// Roles named in the key policy's ViaService statement, acting through RDS.
    private func viaRDS(_ w: inout JSONWriter, _ rng: inout SampleRNG, _ t: Int64) -> Bool {
        let keys = dbKeys.filter { k in
            guard let from = k.viaRDSFrom, from <= t, !k.contexts.isEmpty, let win = k.rdsWindow(at: t) else { return false }
            return win.error == nil
        }
        guard !keys.isEmpty else { return false }
        let key = rng.pick(keys)
        let p = stream.people
        let role = rng.chance(0.6) ? p.neptune : p.dbAdmin
        var call = KMSEvents.Call(actor: .role(role, session: rng.below(role.sessions.count), invokedBy: "rds.amazonaws.com"), key: key, time: t)
        if !key.aliasOnly {
            switch rng.below(10) {
            case 0...5: call.ref = .arn
            case 6, 7: call.ref = key.alias != nil ? .alias : .id
            default: call.ref = .id
            }
        }
        switch rng.below(20) {
        case 0...5: KMSEvents.read(&w, &rng, "DescribeKey", call)
        case 6...10: KMSEvents.crypto(&w, &rng, "GenerateDataKeyWithoutPlaintext", call, context: [("aws:rds:db-id", rng.pick(key.contexts))])
        case 11...17: KMSEvents.crypto(&w, &rng, "Decrypt", call, context: [("aws:rds:db-id", rng.pick(key.contexts))])
        default:
            if !key.aliasOnly { call.ref = .arn }
            let grant = FakeID.hex(64, &rng)
            KMSEvents.createGrant(&w, &rng, call, grantee: "rds.\(key.region).amazonaws.com",
                                  operations: KMSEvents.rdsGrantOperations, grantID: grant)
        }
        return true
    }

    /// Key administrators inspecting database keys (named by the administrator statement).
    private func adminRead(_ w: inout JSONWriter, _ rng: inout SampleRNG, _ t: Int64) -> Bool {
        let keys = dbKeys.filter { k in k.adminFrom.map { $0 <= t } ?? false }
        guard !keys.isEmpty else { return false }
        let key = rng.pick(keys)
        let p = stream.people
        var call = KMSEvents.Call(actor: .role(p.keyAdmin, session: rng.below(2), invokedBy: nil), key: key, time: t)
        call.client = NoiseEvents.client(&rng)
        if !key.aliasOnly {
            switch rng.below(8) {
            case 0...3: call.ref = .arn
            case 4: call.ref = .id
            case 5: call.ref = key.alias != nil ? .alias : .id
            case 6: call.ref = key.alias != nil ? .aliasARN : .arn
            default: call.ref = .arn; call.style = .none
            }
        }
        let names = ["DescribeKey", "DescribeKey", "GetKeyRotationStatus", "ListResourceTags", "ListGrants", "GetKeyPolicy"]
        KMSEvents.read(&w, &rng, rng.pick(names), call)
        return true
    }

    /// Application keys: S3 bucket keys, Secrets Manager, EBS volumes, DynamoDB tables, programs.
    private func application(_ kind: Kind, _ w: inout JSONWriter, _ rng: inout SampleRNG, _ t: Int64) -> Bool {
        let use: SampleKey.Use
        switch kind {
        case .kmsS3: use = .s3
        case .kmsSecrets: use = .secrets
        case .kmsEBS: use = .ebs
        case .kmsDynamo: use = .dynamodb
        default: use = .direct
        }
        guard let key = appKeys.first(where: { $0.uses.contains(use) && $0.isActive(at: t) }) else { return false }
        let p = stream.people
        let s = stream
        switch use {
        case .s3:
            var call = KMSEvents.Call(actor: .role(p.appServer, session: rng.below(3), invokedBy: "s3.amazonaws.com"), key: key, time: t)
            call.ref = .arn
            let name = rng.chance(0.6) ? "Decrypt" : "GenerateDataKey"
            KMSEvents.crypto(&w, &rng, name, call, context: [("aws:s3:arn", "arn:aws:s3:::" + NoiseEvents.bucket(s, rng.below(3)))])
        case .secrets:
            let call = KMSEvents.Call(actor: .role(p.lambdaExec, session: rng.below(2), invokedBy: "secretsmanager.amazonaws.com"), key: key, time: t)
            let secret = "arn:aws:secretsmanager:\(s.region):\(s.account.id):secret:orders-db-credentials-Xk29Qa"
            KMSEvents.crypto(&w, &rng, "Decrypt", call, context: [("SecretARN", secret), ("SecretVersionId", FakeID.uuid(&rng))])
        case .ebs:
            let volume = "vol-0" + FakeID.hex(16, &rng)
            switch rng.below(10) {
            case 0, 1:
                var call = KMSEvents.Call(actor: .service("ec2.amazonaws.com"), key: key, time: t)
                call.shared = .random
                let grant = FakeID.hex(64, &rng)
                KMSEvents.createGrant(&w, &rng, call, grantee: "\(s.account.id):aws:ec2-infrastructure:i-0a3f5c9e21b7d4e60",
                                      operations: ["Decrypt"], grantID: grant)
            case 2:
                var call = KMSEvents.Call(actor: .service("ec2.amazonaws.com"), key: key, time: t)
                call.shared = .random
                KMSEvents.retireGrant(&w, &rng, call, grantID: FakeID.hex(64, &rng))
            default:
                var call = KMSEvents.Call(actor: .role(p.ec2Infra, session: rng.below(2), invokedBy: nil), key: key, time: t)
                call.client = ("AWS Internal", "AWS Internal")
                KMSEvents.crypto(&w, &rng, "Decrypt", call, context: [("aws:ebs:id", volume)])
            }
        case .dynamodb:
            var call = KMSEvents.Call(actor: .service("dynamodb.amazonaws.com"), key: key, time: t)
            call.shared = .random
            let table = ["orders", "sessions", "feature-flags"][rng.below(3)]
            KMSEvents.crypto(&w, &rng, rng.chance(0.5) ? "Decrypt" : "GenerateDataKey", call,
                             context: [("aws:dynamodb:tableName", table), ("aws:dynamodb:subscriberId", s.account.id)])
        case .direct, .crossAccount:
            var call = KMSEvents.Call(actor: .role(p.appServer, session: rng.below(3), invokedBy: nil), key: key, time: t)
            call.client = NoiseEvents.client(&rng)
            if key.alias != nil && rng.chance(0.3) { call.ref = .alias }
            let names = ["Decrypt", "Encrypt", "GenerateDataKey"]
            KMSEvents.crypto(&w, &rng, rng.pick(names), call, context: [("app", "orders-api"), ("purpose", "field-encryption")])
        }
        return true
    }

    // MARK: RDS and AWS Backup

    private func rdsDescribe(_ w: inout JSONWriter, _ rng: inout SampleRNG, _ t: Int64) {
        let s = stream, p = s.people
        let actor: Actor
        switch rng.below(4) {
        case 0: actor = .role(p.dbAdmin, session: rng.below(3), invokedBy: nil)
        case 1: actor = .role(p.ssoReadOnly, session: 0, invokedBy: nil)
        case 2: actor = .role(p.securityAuditor, session: rng.below(2), invokedBy: nil)
        default: actor = .service("config.amazonaws.com")
        }
        let call = RDSEvents.Call(actor: actor, time: t, region: s.region, recipient: s.account.id, client: NoiseEvents.client(&rng))
        let r = s.resources.isEmpty ? nil : rng.pick(s.resources)
        switch rng.below(8) {
        case 0, 1: RDSEvents.describe(&w, &rng, call, "DescribeDBInstances", member: r.map { ("dBInstanceIdentifier", $0.identifier) })
        case 2, 3: RDSEvents.describe(&w, &rng, call, "DescribeDBClusters", member: r.flatMap { $0.kind == .cluster ? ("dBClusterIdentifier", $0.identifier) : nil })
        case 4: RDSEvents.describe(&w, &rng, call, "DescribeDBSnapshots", member: nil)
        case 5: RDSEvents.describe(&w, &rng, call, "DescribeDBClusterSnapshots", member: nil)
        case 6: RDSEvents.describe(&w, &rng, call, "DescribeEvents", member: nil)
        default: RDSEvents.describe(&w, &rng, call, "DescribePendingMaintenanceActions", member: nil)
        }
    }

    private func rdsDenied(_ w: inout JSONWriter, _ rng: inout SampleRNG, _ t: Int64) {
        let s = stream, p = s.people
        let session = 0
        let call = RDSEvents.Call(actor: .role(p.ssoReadOnly, session: session, invokedBy: nil), time: t, region: s.region,
                                  recipient: s.account.id, client: NoiseEvents.client(&rng))
        let name = rng.chance(0.5) ? "DeleteDBSnapshot" : "ModifyDBSnapshotAttribute"
        let target = "arn:aws:rds:\(s.region):\(s.account.id):snapshot:manual-\(["billing", "orders", "crm"][rng.below(3)])-2026-10-28"
        RDSEvents.denied(&w, &rng, call, name, principalARN: p.ssoReadOnly.sessionARN(session), target: target)
    }

    /// Changes, snapshots and AWS Backup jobs on the resources background traffic may touch.
    private func rdsManaged(_ kind: Kind, _ w: inout JSONWriter, _ rng: inout SampleRNG, _ t: Int64) -> Bool {
        let alive = managed.filter { ($0.createdAt ?? .min) + 900 <= t && (kind != .rdsManage || $0.cluster == nil) }
        guard !alive.isEmpty else { return false }
        let r = rng.pick(alive)
        let s = stream, p = s.people
        let created = r.createdAt ?? clock.start - 86_400 * 140
        switch kind {
        case .rdsManage:
            let call = RDSEvents.Call(actor: .role(p.dbAdmin, session: rng.below(3), invokedBy: nil), time: t, region: s.region,
                                      recipient: s.account.id, client: (rng.pick(Clients.ips), Clients.sdkAgents[4]))
            RDSEvents.modify(&w, &rng, call, r, created: created)
        case .rdsBackupSnapshot:
            let target = r.cluster ?? r
            let call = RDSEvents.Call(actor: .role(p.backupRole, session: 0, invokedBy: "backup.amazonaws.com"), time: t,
                                      region: s.region, recipient: s.account.id, client: ("backup.amazonaws.com", "backup.amazonaws.com"))
            RDSEvents.snapshot(&w, &rng, call, target, id: "awsbackup:job-" + FakeID.uuid(&rng), automated: true)
        default:
            let target = r.cluster ?? r
            let call = RDSEvents.Call(actor: .role(p.backupRole, session: 0, invokedBy: "backup.amazonaws.com"), time: t,
                                      region: s.region, recipient: s.account.id, client: ("backup.amazonaws.com", "backup.amazonaws.com"))
            RDSEvents.startBackupJob(&w, &rng, call, target, role: p.backupRole)
        }
        return true
    }

    /// Sandbox churn: throw-away instances deleted, and creates refused by the quota (so never a finding).
    private func rdsChurn(_ w: inout JSONWriter, _ rng: inout SampleRNG, _ t: Int64) {
        let s = stream, p = s.people
        let n = rng.below(40)
        let r = DBResource(identifier: "sbx-test-\(n)", kind: .instance, account: s.account.id, region: s.region,
                           engine: rng.chance(0.5) ? .mysql : .postgres, key: nil, retention: rng.chance(0.5) ? 0 : 1,
                           cluster: nil, createdAt: t, resourceID: FakeID.rdsResourceID(prefix: "db-", &rng))
        let call = RDSEvents.Call(actor: .user(p.ciUser, invokedBy: nil), time: t, region: s.region, recipient: s.account.id,
                                  client: (rng.pick(Clients.ips), Clients.sdkAgents[4]))
        if rng.chance(0.5) {
            // Refused: an unencrypted instance left alive would be a KMS-005 finding.
            RDSEvents.createInstanceRefused(&w, &rng, call, r)
        } else {
            RDSEvents.delete(&w, &rng, call, r, created: t - 3600 * Int64(1 + rng.below(48)), skipFinalSnapshot: true)
        }
    }
}

/// Cross-account use of an application key shared between two accounts: CloudTrail delivers
/// one record to each (different eventIDs, one sharedEventID). Both streams derive pair `k`
/// from the same seed, so each writes its half without talking to the other.
struct CrossAccountPairs {
    let count: Int
    let seed: UInt64
    let key: SampleKey
    let owner: SampleStream
    let caller: SampleStream
    let clock: SampleClock

    /// The event slot of pair `k`.
    func slot(_ k: Int) -> Int { Int((Double(k) + 0.5) * Double(clock.slots) / Double(count)) }

    /// Writes the half of pair `k` that `stream` receives.
    func write(_ k: Int, for stream: SampleStream, _ w: inout JSONWriter) {
        var rng = SampleRNG(seed: seed, stream: 0xC0FFEE_0000 &+ UInt64(k))
        let t = clock.start + Int64(slot(k)) * 300 + Int64(rng.below(300))
        let shared = FakeID.uuid(&rng)
        let ownerID = FakeID.uuid(&rng)
        let callerID = FakeID.uuid(&rng)
        let role = caller.people.analyticsETL
        let session = rng.below(role.sessions.count)
        let client = NoiseEvents.client(&rng)
        let name = rng.chance(0.7) ? "Decrypt" : "GenerateDataKey"
        let isOwner = stream === owner
        var call = KMSEvents.Call(actor: isOwner ? .awsAccount(account: caller.account.id, principalID: role.roleID + ":" + role.sessions[session])
                                                 : .role(role, session: session, invokedBy: nil),
                                  key: key, time: t, recipient: stream.account.id)
        call.client = client
        call.eventID = isOwner ? ownerID : callerID
        call.shared = .fixed(shared)
        // Both copies share the request: reseed so that requestID matches too.
        var bodyRNG = SampleRNG(seed: seed, stream: 0xBEEF_0000 &+ UInt64(k))
        KMSEvents.crypto(&w, &bodyRNG, name, call, context: [("aws:s3:arn", "arn:aws:s3:::acme-prod-shared-analytics")])
    }
}
