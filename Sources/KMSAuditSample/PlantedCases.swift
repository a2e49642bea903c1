/// A record of a planted case, placed at a fixed time whatever `--events` is.
struct PlantedRecord {
    var time: Int64
    var bytes: [UInt8]
    /// Delivered one batch later than its time says (CloudTrail gives no guarantee).
    var late: Bool
    /// Further deliveries, `after` batches after the original's: identical bytes (a
    /// re-delivery) or, for a clash, other content under the same eventID.
    var copies: [(after: Int, bytes: [UInt8])]
    var clash: Bool
    var kmsRDSBackup: Bool
}

/// The planted cases and the findings they must produce.
struct PlantedSet {
    var perStream: [[PlantedRecord]]
    var findings: [ExpectedFinding]
    /// Records in the log files, copies included.
    var records: Int
    var duplicates: Int
    var clashes: Int
    var kmsRDSBackup: Int
}

/// Builds the fixed set of planted cases: the events that make every rule, category and
/// severity of docs/rules/ fire exactly as `expected-findings.json` says, and nothing else.
/// Each event is tagged with the findings it counts toward, so that `event_count` comes from
/// the events actually written (distinct eventIDs; a cross-account pair counts once).
///
/// Why each case fires (and why its neighbours do not) is in the notes of the findings.
final class PlantedCases {
    let world: SampleWorld
    let clock: SampleClock
    var rng: SampleRNG
    private var perStream: [[PlantedRecord]]
    var counted: [String: Set<String>] = [:]
    var drafts: [(tag: String, finding: ExpectedFinding)] = []
    private var w = JSONWriter()

    static func build(world: SampleWorld, seed: UInt64) -> PlantedSet {
        let b = PlantedCases(world: world, seed: seed)
        b.plantProdEast()
        b.plantProdWest()
        b.plantAnalyticsEast()
        b.plantAnalyticsWest()
        b.plantSandbox()
        b.plantSeedControls()
        b.plantKeyPolicies()
        return b.finish()
    }

    private init(world: SampleWorld, seed: UInt64) {
        self.world = world
        clock = world.clock
        rng = SampleRNG(seed: seed, stream: 0x91A7_7ED0)
        perStream = Array(repeating: [], count: world.streams.count)
    }

    // MARK: Emitting

    typealias Body = (inout JSONWriter, inout SampleRNG, String) -> Void

    /// Writes one planted record; returns its eventID. `tags` name the findings it counts toward.
    @discardableResult
    func emit(_ s: SampleStream, _ t: Int64, tags: [String] = [], late: Bool = false, redeliver: Int? = nil,
                      shared: String? = nil, eventID: String? = nil, _ body: Body) -> String {
        let id = eventID ?? FakeID.uuid(&rng)
        w.reset()
        body(&w, &rng, id)
        let bytes = w.bytes
        var rec = PlantedRecord(time: t, bytes: bytes, late: late, copies: [], clash: false, kmsRDSBackup: PlantedCases.isKRB(bytes))
        if let redeliver { rec.copies.append((redeliver, bytes)) }
        perStream[s.index].append(rec)
        for tag in tags { counted[tag, default: []].insert(shared ?? id) }
        return id
    }

    private static func isKRB(_ bytes: [UInt8]) -> Bool {
        let s = String(decoding: bytes.prefix(4096), as: UTF8.self)
        return s.contains("\"eventSource\":\"kms.amazonaws.com\"") || s.contains("\"eventSource\":\"rds.amazonaws.com\"")
            || s.contains("\"eventSource\":\"backup.amazonaws.com\"")
    }

    func expect(_ tag: String, _ rule: String, _ category: String, _ severity: String, key: SampleKey,
                        principal: String? = nil, resource: DBResource? = nil, eventID: String? = nil, note: String) {
        drafts.append((tag, ExpectedFinding(ruleID: rule, category: category, severity: severity, keyARN: key.arn,
                                            principal: principal, resource: resource?.arn, eventID: eventID,
                                            eventCount: 0, note: note)))
    }

    private func finish() -> PlantedSet {
        var findings: [ExpectedFinding] = []
        for (tag, draft) in drafts {
            var f = draft
            f.eventCount = f.ruleID == "KMS-004" ? 1 : counted[tag]?.count ?? 0
            // KMS-005/007/008 findings of the estate's older databases rest on inventory, not events.
            precondition(f.eventCount > 0 || ["KMS-005", "KMS-007", "KMS-008"].contains(f.ruleID), "planted finding \(tag) has no events")
            findings.append(f)
        }
        var records = 0, duplicates = 0, clashes = 0, krb = 0
        for list in perStream {
            for r in list {
                records += 1 + r.copies.count
                if r.clash { clashes += r.copies.count } else { duplicates += r.copies.count }
                if r.kmsRDSBackup { krb += 1 + r.copies.count }
            }
        }
        for i in perStream.indices { perStream[i].sort { $0.time < $1.time } }
        return PlantedSet(perStream: perStream, findings: findings, records: records, duplicates: duplicates,
                          clashes: clashes, kmsRDSBackup: krb)
    }

    // MARK: Building blocks

    func at(_ f: Double, _ plus: Int64 = 0) -> Int64 { clock.at(f, plus) }

    static let adminClient = ("98.113.24.187", Clients.sdkAgents[5])
    static let terraform = ("3.218.180.44", Clients.sdkAgents[4])

    func call(_ actor: Actor, _ key: SampleKey, _ t: Int64, _ id: String, ref: KMSEvents.KeyRef = .arn,
                      client: (String, String) = PlantedCases.adminClient, recipient: String? = nil) -> KMSEvents.Call {
        var c = KMSEvents.Call(actor: actor, key: key, time: t, recipient: recipient)
        c.eventID = id
        c.client = client
        if !key.aliasOnly { c.ref = ref }
        return c
    }

    func keyAdmin(_ s: SampleStream) -> Actor { .role(s.people.keyAdmin, session: 0, invokedBy: nil) }
    func dbAdmin(_ s: SampleStream, viaRDS: Bool = false) -> Actor {
        .role(s.people.dbAdmin, session: 1, invokedBy: viaRDS ? "rds.amazonaws.com" : nil)
    }

    /// CreateKey (with its policy, or none), CreateAlias and EnableKeyRotation by `actor`.
    func createKey(_ s: SampleStream, _ key: SampleKey, by actor: Actor? = nil, description: String) {
        let t = key.createdAt!
        let actor = actor ?? keyAdmin(s)
        var policy: String?
        if case .createKey(let p) = key.policy { policy = KeyPolicies.text(p) }
        emit(s, t) { w, rng, id in
            KMSEvents.createKey(&w, &rng, self.call(actor, key, t, id), description: description, policy: policy)
        }
        if let alias = key.alias {
            emit(s, t + 20) { w, rng, id in KMSEvents.alias(&w, &rng, "CreateAlias", self.call(actor, key, t + 20, id, ref: .id), alias: alias) }
        }
        if actor.principal == s.people.keyAdmin.arn {
            emit(s, t + 40) { w, rng, id in KMSEvents.lifecycle(&w, &rng, "EnableKeyRotation", self.call(actor, key, t + 40, id, ref: .id)) }
        }
    }

    /// Creates a DB resource as DBAdmin (Terraform): the RDS record, RDS's DescribeKey and
    /// CreateGrant on the caller's behalf (grantee RDS), then the cluster's member instances.
    /// Returns the grant id.
    @discardableResult
    func createResource(_ s: SampleStream, _ r: DBResource, requestKey: String?, ref: KMSEvents.KeyRef,
                                stateTags: [String] = [], kmsTags: [String] = []) -> String {
        let t = r.createdAt!
        let rds = RDSEvents.Call(actor: dbAdmin(s), time: t, region: s.region, recipient: s.account.id, client: PlantedCases.terraform)
        emit(s, t, tags: stateTags) { w, rng, id in
            var c = rds; c.eventID = id
            if r.kind == .cluster { RDSEvents.createCluster(&w, &rng, c, r, requestKey: requestKey) }
            else { RDSEvents.createInstance(&w, &rng, c, r, requestKey: requestKey) }
        }
        let grant = FakeID.hex(64, &rng)
        if let key = r.key {
            let via = dbAdmin(s, viaRDS: true)
            emit(s, t + 1, tags: kmsTags) { w, rng, id in KMSEvents.read(&w, &rng, "DescribeKey", self.call(via, key, t + 1, id, ref: ref)) }
            emit(s, t + 2, tags: kmsTags) { w, rng, id in
                KMSEvents.createGrant(&w, &rng, self.call(via, key, t + 2, id), grantee: "rds.\(s.region).amazonaws.com",
                                      operations: KMSEvents.rdsGrantOperations, grantID: grant)
            }
        }
        for m in r.members where m.createdAt != nil {
            let tm = m.createdAt!
            emit(s, tm) { w, rng, id in
                var c = rds; c.time = tm; c.eventID = id
                RDSEvents.createInstance(&w, &rng, c, m, requestKey: nil)
            }
        }
        return grant
    }

    // MARK: prod / us-east-1

    private func plantProdEast() {
        let s = world.stream(world.prod, "us-east-1"), p = s.people
        let graph = world.key("graph"), orders = world.key("orders"), ledger = world.key("ledger")
        let cms = world.key("cms"), legacy = world.key("legacy")

        // Keys and resources made during the trail.
        createKey(s, orders, description: "Aurora orders cluster")
        createKey(s, ledger, description: "Ledger MySQL")
        createKey(s, cms, by: dbAdmin(s), description: "cms")
        createResource(s, world.resource("graph-prod-instance-3"), requestKey: nil, ref: .arn)
        createResource(s, world.resource("orders-prod"), requestKey: "alias/orders-db", ref: .alias)
        createResource(s, world.resource("ledger-db"), requestKey: ledger.aliasARN, ref: .aliasARN, stateTags: ["ledger-003"])
        createResource(s, world.resource("cms-db"), requestKey: cms.arn, ref: .arn, kmsTags: ["cms-002"])
        createResource(s, world.resource("reporting-db"), requestKey: orders.id, ref: .id, stateTags: ["reporting-003"])

        expect("cms-002", "KMS-002", "root-delegation", "medium", key: cms, principal: p.dbAdmin.arn,
               note: "DBAdmin created this key with CreateKey without a policy (AWS default policy: only the account root, kms:*) and then the Aurora cluster cms-db, so RDS's DescribeKey and CreateGrant on DBAdmin's behalf are allowed only through the root statement. RDS's own later calls use its grant and are intended.")
        expect("reporting-003", "KMS-003", "backups-off", "high", key: orders, resource: world.resource("reporting-db"),
               note: "PostgreSQL instance reporting-db created encrypted under the orders key with backupRetentionPeriod 0 and never snapshotted; its key is never revoked, so the severity stays high.")

        // Policy drift: the policy file's Deny forbids NeptuneFullAccess any non-RDS use, yet two direct Decrypts succeeded.
        let neptune: Actor = .role(p.neptune, session: 2, invokedBy: nil)
        for f in Plan.drift {
            let t = at(f)
            emit(s, t, tags: ["drift-001", "drift-002"]) { w, rng, id in
                KMSEvents.crypto(&w, &rng, "Decrypt", self.call(neptune, graph, t, id, client: ("34.228.77.201", Clients.sdkAgents[2])),
                                 context: [("aws:rds:db-id", graph.contexts[0])])
            }
        }
        expect("drift-001", "KMS-001", "succeeded", "high", key: graph, principal: p.neptune.arn,
               note: "NeptuneFullAccess called Decrypt directly (no invokedBy, SDK user agent) on the graph database key: key use outside RDS that succeeded.")
        expect("drift-002", "KMS-002", "policy-drift", "critical", key: graph, principal: p.neptune.arn,
               note: "The graph key's policy (known only from policies/…/<key>.json, in effect until PutKeyPolicy) denies NeptuneFullAccess kms:* when kms:ViaService is not RDS; the direct Decrypts have no ViaService, so the Deny matches, yet they succeeded.")

        // The account's root user inspecting the orders key from the console.
        let root: Actor = .root(account: s.account.id)
        var rootTimes: [Int64] = []
        for (i, name) in ["DescribeKey", "ListGrants", "GetKeyPolicy"].enumerated() {
            let t = at(Plan.rootUser, Int64(i) * 45)
            rootTimes.append(t)
            emit(s, t, tags: ["root-002"]) { w, rng, id in
                KMSEvents.read(&w, &rng, name, self.call(root, orders, t, id, client: ("81.134.202.29", Clients.consoleAgent)))
            }
        }
        expect("root-002", "KMS-002", "root-user", "high", key: orders, principal: s.account.root,
               note: "The prod account's root user (userIdentity type Root) called DescribeKey, ListGrants and GetKeyPolicy on the orders database key from the console. The policy's arn:aws:iam::ACCOUNT:root names the account, never the root user (docs/rules/DECISIONS.md #3). Not key use, so no KMS-001.")

        // A key named only by alias (alias/legacy-crm, from list-aliases inventory; no resources[]).
        let export: Actor = .role(p.legacyExport, session: 0, invokedBy: nil)
        for (i, f) in Plan.legacyAlias.enumerated() {
            let t = at(f)
            emit(s, t, tags: ["legacy-001"], redeliver: i == 1 ? 2 : nil) { w, rng, id in
                var c = self.call(export, legacy, t, id, client: ("52.207.10.77", Clients.sdkAgents[1]))
                c.ref = i == 2 ? .aliasARN : .alias
                KMSEvents.crypto(&w, &rng, "Decrypt", c, context: [("aws:rds:db-id", legacy.contexts[0])])
            }
        }
        expect("legacy-001", "KMS-001", "succeeded", "high", key: legacy, principal: p.legacyExport.arn,
               note: "LegacyCrmExport decrypted directly with keyId alias/legacy-crm (or its alias ARN) and no resources[] (old-style records): the key resolves only through inventory/…/list-aliases.json. The key protects legacy-crm-db (inventory) but its policy is unknown, so KMS-002 says nothing. One of the three events is delivered twice.")

        // Cross-account: the analytics account's root user decrypting with the orders key. One record in each account, same sharedEventID.
        for f in Plan.crossPair {
            let t = at(f)
            let shared = FakeID.uuid(&rng), callerID = FakeID.uuid(&rng)
            let requestSeed = rng.next()
            let analytics = world.stream(world.data, "us-east-1")
            emit(s, t, tags: ["pair-001", "pair-002"], shared: shared) { w, _, id in
                var c = self.call(.awsAccount(account: world.data.id, principalID: world.data.id), orders, t, id,
                                  client: ("140.82.112.4", Clients.sdkAgents[5]))
                c.shared = .fixed(shared)
                var r = SampleRNG(seed: requestSeed)
                KMSEvents.crypto(&w, &r, "Decrypt", c, context: [("purpose", "reconciliation")])
            }
            emit(analytics, t, tags: ["pair-001", "pair-002"], shared: shared, eventID: callerID) { w, _, id in
                var c = self.call(.root(account: world.data.id), orders, t, id, client: ("140.82.112.4", Clients.sdkAgents[5]),
                                  recipient: world.data.id)
                c.shared = .fixed(shared)
                var r = SampleRNG(seed: requestSeed)
                KMSEvents.crypto(&w, &r, "Decrypt", c, context: [("purpose", "reconciliation")])
            }
        }
        expect("pair-001", "KMS-001", "succeeded", "high", key: orders, principal: world.data.root,
               note: "Two direct Decrypts of the prod orders key by the analytics account's root user. CloudTrail delivered each to both accounts (AWSAccount copy in prod, Root copy in analytics; same sharedEventID), so four records count as two events (docs/rules/DECISIONS.md #13).")
        expect("pair-002", "KMS-002", "cross-account", "critical", key: orders, principal: world.data.root,
               note: "The caller's account (analytics) is not the key's account (prod) and no statement names it; both copies resolve to arn:aws:iam::730061529844:root (AWSAccount and Root). Cross-account is tried first (docs/rules/DECISIONS.md #1).")

        // SecurityAuditor: intended by the policy file's audit statement until PutKeyPolicy removes it.
        let auditor: Actor = .role(p.securityAuditor, session: 0, invokedBy: nil)
        let policyTime = at(Plan.graphPolicy)
        var redelivered = false
        for (i, f) in Plan.audits.enumerated() {
            let t = at(f)
            let after = t > policyTime
            let name = ["DescribeKey", "GetKeyPolicy", "ListGrants"][i % 3]
            let again = after && !redelivered
            if again { redelivered = true }
            emit(s, t, tags: after ? ["audit-002"] : [], redeliver: again ? 1 : nil) { w, rng, id in
                KMSEvents.read(&w, &rng, name, self.call(auditor, graph, t, id, client: ("35.171.44.8", Clients.sdkAgents[1])))
            }
        }
        emit(s, policyTime) { w, rng, id in
            KMSEvents.putKeyPolicy(&w, &rng, self.call(self.keyAdmin(s), graph, policyTime, id),
                                   policy: KeyPolicies.text(graph.replacementPolicy!))
        }
        expect("audit-002", "KMS-002", "root-delegation", "medium", key: graph, principal: p.securityAuditor.arn,
               note: "SecurityAuditor reads the graph key every 1/14 of the trail. The policy file names it (statement \"Allow security audit\"); the mid-window PutKeyPolicy drops that statement, so only the calls after it are allowed solely through the account root statement. The calls before it are intended. One later call is delivered twice. This PutKeyPolicy keeps every RDS principal allowed, so it is no KMS-004 revocation.")

        // DisableKey on the ledger key: ledger-db has no backups at all.
        let disable = at(Plan.ledgerDisable)
        let disableID = emit(s, disable, redeliver: 1) { w, rng, id in
            KMSEvents.lifecycle(&w, &rng, "DisableKey", self.call(self.keyAdmin(s), ledger, disable, id))
        }
        rdsFailure(s, ledger, at: disable + 600, .disabled)
        expect("ledger-004", "KMS-004", "DisableKey", "critical", key: ledger, principal: p.keyAdmin.arn,
               resource: world.resource("ledger-db"), eventID: disableID,
               note: "KeyAdmin disabled the ledger key while ledger-db (MySQL, encrypted with it, backupRetentionPeriod 0, no snapshot) depends on it; never re-enabled. RDS's calls afterwards fail with DisabledException. The DisableKey record is delivered twice.")
        expect("ledger-003", "KMS-003", "backups-off", "critical", key: ledger, resource: world.resource("ledger-db"),
               note: "ledger-db has automated backups off (retention 0) and no snapshot; raised from high to critical because it is exposed by the ledger key's DisableKey (KMS-004).")

        // Noise that must stay silent: alias moves on application keys, and identity showcases.
        let app = world.key("app@0"), app2 = world.key("app-v2@0"), tmp = world.key("export-tmp@0")
        let admin = keyAdmin(s)
        emit(s, app2.createdAt!) { w, rng, id in
            var policy: String?
            if case .createKey(let pol) = app2.policy { policy = KeyPolicies.text(pol) }
            KMSEvents.createKey(&w, &rng, self.call(admin, app2, app2.createdAt!, id), description: "app-data v2", policy: policy)
        }
        let move = at(Plan.appAliasMove)
        emit(s, move) { w, rng, id in KMSEvents.alias(&w, &rng, "UpdateAlias", self.call(admin, app2, move, id), alias: app.alias!) }
        let drop = at(Plan.exportAliasDelete)
        emit(s, drop) { w, rng, id in KMSEvents.alias(&w, &rng, "DeleteAlias", self.call(admin, tmp, drop, id), alias: tmp.alias!) }
        let saml = at(Plan.samlShowcase)
        emit(s, saml) { w, rng, _ in NoiseEvents.sts(&w, &rng, s, saml, kind: 1) }
        plantClash(s, at(Plan.clashA))
    }

    /// RDS's own call failing on a key it can no longer use (background traffic has more of
    /// these; this one is there at any size). Intended through RDS's grant, so no KMS-002.
    private func rdsFailure(_ s: SampleStream, _ key: SampleKey, at t: Int64, _ failure: KeyWindow.Failure) {
        emit(s, t) { w, rng, id in
            var c = self.call(.service("rds.amazonaws.com"), key, t, id)
            c.shared = .random
            c.error = (failure.code, failure.message(key.arn))
            KMSEvents.crypto(&w, &rng, "Decrypt", c, context: [("aws:rds:db-id", key.contexts[0])])
        }
    }

    /// Two records with one eventID and different content (docs/rules/DECISIONS.md #14), on S3 data events so
    /// that whichever copy an ingester keeps, no finding changes.
    private func plantClash(_ s: SampleStream, _ t: Int64) {
        let id = FakeID.uuid(&rng)
        var first = JSONWriter(), second = JSONWriter()
        var r1 = SampleRNG(seed: UInt64(t), stream: 1), r2 = SampleRNG(seed: UInt64(t), stream: 2)
        NoiseEvents.s3Object(&first, &r1, s, t, put: false)
        NoiseEvents.s3Object(&second, &r2, s, t, put: false)
        let a = PlantedCases.replaceEventID(first.bytes, id), b = PlantedCases.replaceEventID(second.bytes, id)
        perStream[s.index].append(PlantedRecord(time: t, bytes: a, late: false, copies: [(2, b)], clash: true, kmsRDSBackup: false))
    }

    /// Swaps the record's eventID for `id` (same length: both are UUIDs).
    private static func replaceEventID(_ bytes: [UInt8], _ id: String) -> [UInt8] {
        let marker = Array("\"eventID\":\"".utf8)
        var out = bytes
        guard let at = (0...(bytes.count - marker.count)).first(where: { Array(bytes[$0..<$0 + marker.count]) == marker }) else { return out }
        out.replaceSubrange((at + marker.count)..<(at + marker.count + 36), with: Array(id.utf8))
        return out
    }

    // MARK: prod / us-west-2

    private func plantProdWest() {
        let s = world.stream(world.prod, "us-west-2"), p = s.people
        let analytics = world.key("analytics"), backup = world.key("backup-w2"), archive = world.key("archive")
        createKey(s, analytics, description: "Neptune graph-analytics (hardened policy)")
        createKey(s, backup, description: "Snapshot copies")
        createKey(s, archive, description: "Neptune archive-graph")
        let archiveGraph = world.resource("archive-graph")
        createResource(s, archiveGraph, requestKey: archive.arn, ref: .arn)
        createResource(s, world.resource("graph-analytics"), requestKey: "alias/graph-analytics", ref: .alias)

        // A manual snapshot of archive-graph, copied under another key: a recovery path.
        let snap = at(Plan.archiveSnapshot), copy = at(Plan.archiveCopy)
        let rds = RDSEvents.Call(actor: dbAdmin(s), time: snap, region: s.region, recipient: s.account.id, client: PlantedCases.terraform)
        emit(s, snap) { w, rng, id in var c = rds; c.eventID = id; RDSEvents.snapshot(&w, &rng, c, archiveGraph, id: "archive-graph-manual-1") }
        emit(s, copy) { w, rng, id in
            var c = rds; c.time = copy; c.eventID = id
            RDSEvents.copySnapshot(&w, &rng, c, archiveGraph, source: "archive-graph-manual-1", target: "archive-graph-copy-1", key: backup)
        }
        let via = dbAdmin(s, viaRDS: true)
        emit(s, copy + 1) { w, rng, id in KMSEvents.read(&w, &rng, "DescribeKey", self.call(via, backup, copy + 1, id)) }
        emit(s, copy + 2) { w, rng, id in
            KMSEvents.crypto(&w, &rng, "GenerateDataKeyWithoutPlaintext", self.call(via, backup, copy + 2, id),
                             context: [("aws:rds:db-id", archiveGraph.members[0].resourceID)])
        }

        // DataScienceNotebook: named nowhere in a policy without a root statement.
        let ds: Actor = .role(p.dataScience, session: 0, invokedBy: nil)
        let dsClient = ("44.210.15.132", Clients.sdkAgents[1])
        for (i, f) in Plan.dataScienceOK.enumerated() {
            let t = at(f)
            emit(s, t, tags: ["ds-001ok", "ds-002"], redeliver: i == 1 ? 3 : nil) { w, rng, id in
                KMSEvents.crypto(&w, &rng, "Decrypt", self.call(ds, analytics, t, id, client: dsClient),
                                 context: [("aws:rds:db-id", analytics.contexts[0])])
            }
        }
        for f in Plan.dataScienceDenied {
            let t = at(f)
            emit(s, t, tags: ["ds-001denied", "ds-002"]) { w, rng, id in
                var c = self.call(ds, analytics, t, id, client: dsClient)
                c.error = ("AccessDeniedException", "User: \(p.dataScience.sessionARN(0)) is not authorized to perform: kms:GenerateDataKey on resource: \(analytics.arn) because no resource-based policy allows the kms:GenerateDataKey action")
                KMSEvents.crypto(&w, &rng, "GenerateDataKey", c, context: [("purpose", "feature-store")])
            }
        }
        expect("ds-001ok", "KMS-001", "succeeded", "high", key: analytics, principal: p.dataScience.arn,
               note: "DataScienceNotebook decrypted directly (not via RDS) with the graph-analytics database key: five successful calls, one of them delivered twice.")
        expect("ds-001denied", "KMS-001", "denied", "low", key: analytics, principal: p.dataScience.arn,
               note: "Two further GenerateDataKey attempts by DataScienceNotebook ended in AccessDeniedException: key use outside RDS that was stopped.")
        expect("ds-002", "KMS-002", "not-named", "high", key: analytics, principal: p.dataScience.arn,
               note: "The graph-analytics key policy has no account root statement; no statement or grant names DataScienceNotebook. Succeeded and denied calls alike (docs/rules/DECISIONS.md #1): seven events.")

        // Contractor: named only by a statement with an operator outside the evaluated set.
        let contractor: Actor = .role(p.contractor, session: 0, invokedBy: nil)
        for f in Plan.contractor {
            let t = at(f)
            emit(s, t, tags: ["contractor-002"]) { w, rng, id in
                KMSEvents.read(&w, &rng, "DescribeKey", self.call(contractor, analytics, t, id, client: ("213.205.198.77", Clients.sdkAgents[0])))
            }
        }
        expect("contractor-002", "KMS-002", "not-evaluable", "medium", key: analytics, principal: p.contractor.arn,
               note: "Contractor's DescribeKey calls are allowed only by a statement conditioned on DateGreaterThan aws:CurrentTime, an operator and key outside the evaluated set; no other statement decides (no root statement), so the outcome is not evaluable (docs/rules/DECISIONS.md #6).")

        // ScheduleKeyDeletion of the archive key: archive-graph has a copy under another key.
        let schedule = at(Plan.archiveDelete)
        let scheduleID = emit(s, schedule) { w, rng, id in
            KMSEvents.scheduleKeyDeletion(&w, &rng, self.call(self.keyAdmin(s), archive, schedule, id), days: 30)
        }
        rdsFailure(s, archive, at: schedule + 600, .pendingDeletion)
        expect("archive-004", "KMS-004", "ScheduleKeyDeletion", "high", key: archive, principal: p.keyAdmin.arn,
               resource: archiveGraph, eventID: scheduleID,
               note: "KeyAdmin scheduled deletion (30 days) of the key of Neptune cluster archive-graph and never cancelled it; RDS's calls then fail with KMSInvalidStateException. Not critical: archive-graph-copy-1, a snapshot copy under the rds-backup-copies key, existed at the revocation.")
    }

    // MARK: analytics / us-east-1

    private func plantAnalyticsEast() {
        let s = world.stream(world.data, "us-east-1"), p = s.people
        let warehouseKey = world.key("warehouse"), dev = world.key("dev"), cache = world.key("cache")
        createKey(s, warehouseKey, description: "Aurora warehouse")
        createKey(s, dev, description: "Neptune graph-dev")
        createKey(s, cache, description: "sessions PostgreSQL")
        let warehouse = world.resource("warehouse"), graphDev = world.resource("graph-dev"), sessions = world.resource("sessions-db")
        createResource(s, warehouse, requestKey: "alias/warehouse", ref: .alias)
        createResource(s, graphDev, requestKey: "alias/graph-dev", ref: .alias, stateTags: ["dev-003"])
        let sessionsGrant = createResource(s, sessions, requestKey: cache.arn, ref: .arn)
        expect("dev-003", "KMS-003", "retention-below-minimum", "medium", key: dev, resource: graphDev,
               note: "Neptune cluster graph-dev keeps Neptune's default backupRetentionPeriod of 1 day (minimum 7) and has no snapshot; its key is never revoked.")

        // The vendor account (outside the organization) decrypting with the warehouse key.
        let vendorRole = world.people(world.external).analyticsETL
        for (i, f) in Plan.external.enumerated() {
            let t = at(f)
            let shared = FakeID.uuid(&rng)
            emit(s, t, tags: ["vendor-001", "vendor-002"], redeliver: i == 0 ? 1 : nil, shared: shared) { w, rng, id in
                var c = self.call(.awsAccount(account: world.external.id, principalID: vendorRole.roleID + ":vendor-sync"), warehouseKey, t, id,
                                  client: ("20.42.65.90", Clients.sdkAgents[3]))
                c.shared = .fixed(shared)
                KMSEvents.crypto(&w, &rng, "Decrypt", c, context: [("aws:rds:db-id", warehouseKey.contexts[0])])
            }
        }
        expect("vendor-001", "KMS-001", "succeeded", "high", key: warehouseKey, principal: world.external.root,
               note: "Account 555144039871, outside the organization, decrypted directly with the warehouse database key. Only the key owner's copy (userIdentity type AWSAccount, with a sharedEventID) is in this trail; one record is delivered twice.")
        expect("vendor-002", "KMS-002", "cross-account", "critical", key: warehouseKey, principal: world.external.root,
               note: "The caller's account is not the key's account and no statement names it.")

        // RevokeGrant of sessions-db's RDS grant, undone by a new grant to RDS 2% of the trail later.
        let revoke = at(Plan.cacheRevoke)
        let revokeID = emit(s, revoke) { w, rng, id in
            KMSEvents.revokeGrant(&w, &rng, self.call(self.keyAdmin(s), cache, revoke, id, ref: .id), grantID: sessionsGrant)
        }
        let regrant = at(Plan.cacheRegrant)
        emit(s, regrant) { w, rng, id in
            let c = RDSEvents.Call(actor: self.dbAdmin(s), time: regrant, region: s.region, recipient: s.account.id, client: PlantedCases.terraform, eventID: id)
            RDSEvents.modify(&w, &rng, c, sessions, created: sessions.createdAt!)
        }
        let newGrant = FakeID.hex(64, &rng)
        emit(s, regrant + 2) { w, rng, id in
            KMSEvents.createGrant(&w, &rng, self.call(self.dbAdmin(s, viaRDS: true), cache, regrant + 2, id),
                                  grantee: "rds.\(s.region).amazonaws.com", operations: KMSEvents.rdsGrantOperations, grantID: newGrant)
        }
        expect("cache-004", "KMS-004", "RevokeGrant", "medium", key: cache, principal: p.keyAdmin.arn, resource: sessions, eventID: revokeID,
               note: "KeyAdmin revoked the grant RDS received (via RDS, grantee rds.us-east-1.amazonaws.com) when sessions-db was created; a ModifyDBInstance later RDS obtained a new grant on DBAdmin's behalf, which undoes it (docs/rules/DECISIONS.md #12). No RDS calls in between.")

        // ScheduleKeyDeletion, CancelKeyDeletion, EnableKey on the warehouse key.
        let schedule = at(Plan.warehouseSchedule), cancel = at(Plan.warehouseCancel), enable = at(Plan.warehouseEnable)
        let scheduleID = emit(s, schedule) { w, rng, id in
            KMSEvents.scheduleKeyDeletion(&w, &rng, self.call(self.keyAdmin(s), warehouseKey, schedule, id, ref: .alias), days: 7)
        }
        emit(s, cancel) { w, rng, id in KMSEvents.lifecycle(&w, &rng, "CancelKeyDeletion", self.call(self.keyAdmin(s), warehouseKey, cancel, id)) }
        emit(s, enable, late: true) { w, rng, id in KMSEvents.lifecycle(&w, &rng, "EnableKey", self.call(self.keyAdmin(s), warehouseKey, enable, id)) }
        expect("warehouse-004", "KMS-004", "ScheduleKeyDeletion", "medium", key: warehouseKey, principal: p.keyAdmin.arn,
               resource: warehouse, eventID: scheduleID,
               note: "Deletion of the warehouse key scheduled, cancelled (the key stays disabled) and the key re-enabled: undone at EnableKey, 3% of the trail later. RDS's calls fail with KMSInvalidStateException, then DisabledException, in between. The EnableKey record arrives one batch late.")

        let web = at(Plan.webIdentityShowcase)
        emit(s, web) { w, rng, _ in NoiseEvents.sts(&w, &rng, s, web, kind: 2) }
    }

    // MARK: analytics / us-west-2

    private func plantAnalyticsWest() {
        let s = world.stream(world.data, "us-west-2"), p = s.people
        let payments = world.key("payments"), backup = world.key("backup-dw2"), search = world.key("search")
        createKey(s, payments, description: "payments PostgreSQL")
        createKey(s, backup, description: "Snapshot copies")
        createKey(s, search, description: "Neptune search-graph")
        let paymentsDB = world.resource("payments-db"), searchGraph = world.resource("search-graph")
        let paymentsGrant = createResource(s, paymentsDB, requestKey: "alias/payments", ref: .alias)
        createResource(s, searchGraph, requestKey: search.arn, ref: .arn)

        let snap = at(Plan.searchSnapshot), copy = at(Plan.searchCopy)
        let rds = RDSEvents.Call(actor: dbAdmin(s), time: snap, region: s.region, recipient: s.account.id, client: PlantedCases.terraform)
        emit(s, snap) { w, rng, id in var c = rds; c.eventID = id; RDSEvents.snapshot(&w, &rng, c, searchGraph, id: "search-graph-weekly-1") }
        emit(s, copy) { w, rng, id in
            var c = rds; c.time = copy; c.eventID = id
            RDSEvents.copySnapshot(&w, &rng, c, searchGraph, source: "search-graph-weekly-1", target: "search-graph-weekly-1-copy", key: backup)
        }
        let via = dbAdmin(s, viaRDS: true)
        emit(s, copy + 1) { w, rng, id in KMSEvents.read(&w, &rng, "DescribeKey", self.call(via, backup, copy + 1, id)) }

        // PutKeyPolicy replacing the search key's policy with a key-administrators-only one.
        let put = at(Plan.searchPolicy)
        let putID = emit(s, put) { w, rng, id in
            KMSEvents.putKeyPolicy(&w, &rng, self.call(self.keyAdmin(s), search, put, id, ref: .id),
                                   policy: KeyPolicies.text(search.replacementPolicy!))
        }
        expect("search-004", "KMS-004", "PutKeyPolicy", "high", key: search, principal: p.keyAdmin.arn, resource: searchGraph, eventID: putID,
               note: "The new policy of the search-graph key names only KeyAdmin: DBAdmin, whose calls through RDS the cluster used (docs/rules/DECISIONS.md #9), is no longer allowed anything. Never restored. High, not critical: search-graph-weekly-1-copy, a copy under the rds-backup-copies key, existed. RDS's own grant is untouched.")

        // graph-staging (inventory only) deleted without a final snapshot.
        let staging = world.resource("graph-staging")
        let del = at(Plan.stagingDelete)
        let call = RDSEvents.Call(actor: dbAdmin(s), time: del, region: s.region, recipient: s.account.id, client: PlantedCases.terraform)
        let created = clock.start - 86_400 * 90
        emit(s, del) { w, rng, id in var c = call; c.eventID = id; RDSEvents.delete(&w, &rng, c, staging.members[0], created: created, skipFinalSnapshot: nil) }
        emit(s, del + 420, tags: ["staging-003"]) { w, rng, id in
            var c = call; c.time = del + 420; c.eventID = id
            RDSEvents.delete(&w, &rng, c, staging, created: created, skipFinalSnapshot: true)
        }
        expect("staging-003", "KMS-003", "deleted-without-final-snapshot", "high", key: world.key("staging"), resource: staging,
               note: "Neptune cluster graph-staging (known from inventory, encrypted with the staging key) deleted with skipFinalSnapshot true and no snapshot in the 7 days before.")

        // RetireGrant of payments-db's RDS grant; payments-db has only automated backups under the same key.
        let retire = at(Plan.paymentsRetire)
        let retireID = emit(s, retire) { w, rng, id in
            KMSEvents.retireGrant(&w, &rng, self.call(self.keyAdmin(s), payments, retire, id), grantID: paymentsGrant)
        }
        expect("payments-004", "KMS-004", "RetireGrant", "critical", key: payments, principal: p.keyAdmin.arn, resource: paymentsDB, eventID: retireID,
               note: "KeyAdmin retired the grant RDS received when payments-db was created; no new grant follows. payments-db keeps 7 days of automated backups, but under the same key: no backup under another key, so critical (and no KMS-003, its retention meets the minimum).")
        plantClash(s, at(Plan.clashB))
    }

    // MARK: sandbox

    private func plantSandbox() {
        let s = world.stream(world.sandbox, "us-east-1"), p = s.people
        let scratch = world.key("scratch@4"), retired = world.key("retired@4")
        createKey(s, scratch, description: "scratch (console defaults)")
        let gone = at(Plan.retiredKeyDeleted)
        emit(s, gone) { w, rng, id in
            var c = KMSEvents.Call(actor: .awsInternal(account: s.account.id), key: retired, time: gone)
            c.eventID = id
            KMSEvents.deleteKey(&w, &rng, c)
        }
        let fed = at(Plan.federatedShowcase), unknown = at(Plan.unknownShowcase)
        emit(s, fed) { w, rng, _ in NoiseEvents.federated(&w, &rng, s, fed) }
        emit(s, unknown) { w, rng, _ in NoiseEvents.signin(&w, &rng, s, unknown, who: 1) }
        // A refused RDS call (RDS writes errorCode AccessDenied).
        let denied = at(Plan.unknownShowcase, 900)
        emit(s, denied) { w, rng, id in
            let c = RDSEvents.Call(actor: .role(p.ssoReadOnly, session: 0, invokedBy: nil), time: denied, region: s.region,
                                   recipient: s.account.id, client: ("71.185.50.214", Clients.sdkAgents[0]), eventID: id)
            RDSEvents.denied(&w, &rng, c, "DeleteDBSnapshot", principalARN: p.ssoReadOnly.sessionARN(0),
                             target: "arn:aws:rds:\(s.region):\(s.account.id):snapshot:sbx-mysql-01-before-upgrade")
        }

        let eu = world.stream(world.sandbox, "eu-west-1")
        let poc = world.key("poc"), graphPoc = world.resource("graph-poc")
        createKey(eu, poc, description: "Neptune graph-poc")
        createResource(eu, graphPoc, requestKey: "alias/graph-poc", ref: .alias)
        let disable = at(Plan.pocDisable), enable = at(Plan.pocEnable)
        let disableID = emit(eu, disable) { w, rng, id in KMSEvents.lifecycle(&w, &rng, "DisableKey", self.call(self.keyAdmin(eu), poc, disable, id)) }
        emit(eu, enable) { w, rng, id in KMSEvents.lifecycle(&w, &rng, "EnableKey", self.call(self.keyAdmin(eu), poc, enable, id)) }
        expect("poc-004", "KMS-004", "DisableKey", "medium", key: poc, principal: eu.people.keyAdmin.arn, resource: graphPoc, eventID: disableID,
               note: "KeyAdmin disabled the key of Neptune cluster graph-poc and re-enabled it 1% of the trail later (undone); RDS's calls fail with DisabledException in between.")
    }
}
