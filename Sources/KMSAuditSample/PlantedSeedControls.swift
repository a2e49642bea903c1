/// The planted cases of the seed's encryption-at-rest controls (KMS-005, KMS-007, KMS-008), and
/// what those rules demand of the rest of the estate. Every category of the three rules is
/// planted, and so are databases that must give nothing (a cross-region read replica pair, an
/// AWS Backup copy to another region, a snapshot copy under another key in inventory).
extension Plan {
    static let vendorFeedDB = 0.040
    static let catalogDB = 0.045
    static let catalogReplica = 0.047
    static let crmArchiveDB = 0.050
    static let wikiDB = 0.055
    static let intranetDB = 0.060
    static let hrDB = 0.065
    static let crmArchiveSnapshot = 0.300
    static let crmArchiveCopy = 0.305
    static let crmArchiveRestore = 0.310
    static let wikiSnapshot = 0.350
    static let wikiRestore = 0.400
    static let wikiReplica = 0.450
    static let hrBackupJob = 0.500
    static let hrCopyJob = 0.520
}

extension PlantedCases {
    /// The vendor's key that encrypts vendor-feed-db: another account, outside the organization,
    /// whose CloudTrail is not in this trail (fixed id: the same ARN in every sample).
    static func vendorKey(_ world: SampleWorld) -> SampleKey {
        SampleKey(name: "vendor-feed", account: world.external.id, region: "us-east-1",
                  id: "5c1f0e2a-7d3b-4e9a-b1c6-2f8d4a9e0b73", alias: nil, purpose: .database, createdAt: nil, policy: .unknown)
    }

    /// Resources of the estate that have a copy under an independent key (KMS-008 says nothing):
    /// archive-graph and search-graph (planted snapshot copies), graph-prod (a copy listed in
    /// inventory, see `SeedControlInventory`).
    static let independentlyCopied: Set<String> = ["archive-graph", "search-graph", "graph-prod"]
    /// Resources with a planted KMS-003 finding (KMS-008 judges only the others).
    static let backupFindings: Set<String> = ["reporting-db", "ledger-db", "graph-dev"]
    /// Resources deleted in the trail.
    static let deletedInTrail: Set<String> = ["graph-staging"]

    func plantSeedControls() {
        let s = world.stream(world.prod, "us-east-1"), w2 = world.stream(world.prod, "us-west-2")
        let orders = world.key("orders"), backupW2 = world.key("backup-w2"), awsRDS = world.key("aws-rds@0")
        func resource(_ id: String, _ stream: SampleStream, _ engine: DBResource.Engine, key: SampleKey?, at f: Double) -> DBResource {
            DBResource(identifier: id, kind: .instance, account: stream.account.id, region: stream.region, engine: engine,
                       key: key, retention: 7, cluster: nil, createdAt: at(f),
                       resourceID: FakeID.rdsResourceID(prefix: "db-", &rng))
        }
        func rds(_ stream: SampleStream, _ t: Int64, _ id: String) -> RDSEvents.Call {
            RDSEvents.Call(actor: dbAdmin(stream), time: t, region: stream.region, recipient: stream.account.id,
                           client: PlantedCases.terraform, eventID: id)
        }

        // KMS-005 created-unencrypted: a create that does not ask for encryption (the API's default).
        let wiki = resource("wiki-db", s, .mysql, key: nil, at: Plan.wikiDB)
        emit(s, wiki.createdAt!, tags: ["wiki-005"]) { w, rng, id in
            RDSEvents.createInstanceWithDefaults(&w, &rng, rds(s, wiki.createdAt!, id), wiki)
        }
        expectResource("wiki-005", "KMS-005", "created-unencrypted", "high", key: nil, resource: wiki,
                       note: "MySQL instance wiki-db was created without storageEncrypted (the API's default is unencrypted; the response says storageEncrypted false). Its restore and read replica below are unencrypted too, so no encrypted successor exists: high.")

        // KMS-005 restored-unencrypted: a restore of wiki-db's (unencrypted) snapshot that states nothing.
        let snapT = at(Plan.wikiSnapshot)
        emit(s, snapT, tags: ["wiki-005"]) { w, rng, id in RDSEvents.snapshot(&w, &rng, rds(s, snapT, id), wiki, id: "wiki-db-before-upgrade") }
        let restored = resource("wiki-db-upgrade-test", s, .mysql, key: nil, at: Plan.wikiRestore)
        emit(s, restored.createdAt!, tags: ["wiki-restore-005"]) { w, rng, id in
            RDSEvents.restoreInstance(&w, &rng, rds(s, restored.createdAt!, id), restored, snapshot: "wiki-db-before-upgrade", requestKey: nil)
        }
        expectResource("wiki-restore-005", "KMS-005", "restored-unencrypted", "high", key: nil, resource: restored,
                       note: "wiki-db-upgrade-test was restored (RestoreDBInstanceFromDBSnapshot) from wiki-db-before-upgrade, an unencrypted snapshot of wiki-db, without a kmsKeyId: it has its source's encryption, none.")

        // KMS-005 replica-unencrypted: a read replica of the unencrypted wiki-db.
        let replica = resource("wiki-db-replica", s, .mysql, key: nil, at: Plan.wikiReplica)
        emit(s, replica.createdAt!, tags: ["wiki-replica-005"]) { w, rng, id in
            RDSEvents.readReplica(&w, &rng, rds(s, replica.createdAt!, id), replica, source: wiki.identifier, requestKey: nil)
        }
        expectResource("wiki-replica-005", "KMS-005", "replica-unencrypted", "high", key: nil, resource: replica,
                       note: "wiki-db-replica is a same-region read replica (CreateDBInstanceReadReplica) of the unencrypted wiki-db: a replica has its source's encryption.")

        // KMS-005, low: crm-archive-db migrated (snapshot, copy under the orders key, encrypted restore).
        let crm = resource("crm-archive-db", s, .postgres, key: nil, at: Plan.crmArchiveDB)
        emit(s, crm.createdAt!, tags: ["crm-005"]) { w, rng, id in
            RDSEvents.createInstance(&w, &rng, rds(s, crm.createdAt!, id), crm, requestKey: nil)
        }
        let crmSnap = at(Plan.crmArchiveSnapshot), crmCopy = at(Plan.crmArchiveCopy)
        emit(s, crmSnap, tags: ["crm-005"]) { w, rng, id in RDSEvents.snapshot(&w, &rng, rds(s, crmSnap, id), crm, id: "crm-archive-db-final-plain") }
        emit(s, crmCopy, tags: ["crm-005"]) { w, rng, id in
            RDSEvents.copySnapshot(&w, &rng, rds(s, crmCopy, id), crm, source: "crm-archive-db-final-plain",
                                   target: "crm-archive-db-encrypted", key: orders)
        }
        let successor = resource("crm-archive-db-v2", s, .postgres, key: orders, at: Plan.crmArchiveRestore)
        emit(s, successor.createdAt!, tags: ["crm-v2"]) { w, rng, id in
            RDSEvents.restoreInstance(&w, &rng, rds(s, successor.createdAt!, id), successor,
                                      snapshot: "arn:aws:rds:\(s.region):\(s.account.id):snapshot:crm-archive-db-encrypted", requestKey: nil)
        }
        expectResource("crm-005", "KMS-005", "created-unencrypted", "low", key: nil, resource: crm,
                       note: "PostgreSQL instance crm-archive-db was created with storageEncrypted false. It was snapshotted, the snapshot copied under the orders key and restored as crm-archive-db-v2 (encrypted, inheriting the copy's key): the migration happened, the unencrypted original is still alive, so low, naming the successor.")
        expectResource("crm-v2", "KMS-008", "single-key", "low", key: orders, resource: successor,
                       note: "crm-archive-db-v2, the encrypted successor of crm-archive-db, is protected only by the orders key: its one snapshot copy under that key (crm-archive-db-encrypted) is of the original, not of it.")

        // KMS-007 other-account-key and KMS-008 medium: a database under the vendor's key.
        let vendorKey = PlantedCases.vendorKey(world)
        let vendor = resource("vendor-feed-db", s, .postgres, key: vendorKey, at: Plan.vendorFeedDB)
        emit(s, vendor.createdAt!, tags: ["vendor-db"]) { w, rng, id in
            RDSEvents.createInstance(&w, &rng, rds(s, vendor.createdAt!, id), vendor, requestKey: vendorKey.arn)
        }
        expectResource("vendor-db", "KMS-007", "other-account-key", "high", key: vendorKey, resource: vendor,
                       note: "vendor-feed-db (prod) is encrypted with a key of account 555144039871, a vendor outside the organization that the config does not trust: that account can disable or delete the key, and its CloudTrail is not in this trail.")
        expectResource("vendor-db", "KMS-008", "single-key", "medium", key: vendorKey, resource: vendor,
                       note: "vendor-feed-db has no copy under any other key; medium because its only key belongs to another account.")

        // KMS-007 aws-managed-key: a create that turned encryption on without naming a key.
        let intranet = resource("intranet-db", s, .mysql, key: awsRDS, at: Plan.intranetDB)
        emit(s, intranet.createdAt!, tags: ["intranet-db"]) { w, rng, id in
            RDSEvents.createInstance(&w, &rng, rds(s, intranet.createdAt!, id), intranet, requestKey: nil)
        }
        expectResource("intranet-db", "KMS-007", "aws-managed-key", "medium", key: awsRDS, resource: intranet,
                       note: "intranet-db was created with storageEncrypted true and no kmsKeyId: RDS used the account's AWS managed aws/rds key (the response names it), whose policy cannot be changed.")
        expectResource("intranet-db", "KMS-008", "single-key", "low", key: awsRDS, resource: intranet,
                       note: "intranet-db has only its automated backups, under the aws/rds key.")

        // Nothing: catalog-db and its cross-region read replica are each other's independent copy.
        let catalog = resource("catalog-db", s, .postgres, key: orders, at: Plan.catalogDB)
        emit(s, catalog.createdAt!) { w, rng, id in
            RDSEvents.createInstance(&w, &rng, rds(s, catalog.createdAt!, id), catalog, requestKey: "alias/orders-db")
        }
        let catalogReplica = resource("catalog-db-replica", w2, .postgres, key: backupW2, at: Plan.catalogReplica)
        emit(w2, catalogReplica.createdAt!) { w, rng, id in
            RDSEvents.readReplica(&w, &rng, rds(w2, catalogReplica.createdAt!, id), catalogReplica, source: catalog.arn,
                                  requestKey: backupW2.arn)
        }

        // Nothing: hr-db's AWS Backup recovery point is copied to a vault in another region.
        let hr = resource("hr-db", s, .postgres, key: orders, at: Plan.hrDB)
        emit(s, hr.createdAt!) { w, rng, id in
            RDSEvents.createInstance(&w, &rng, rds(s, hr.createdAt!, id), hr, requestKey: orders.arn)
        }
        let jobT = at(Plan.hrBackupJob), copyT = at(Plan.hrCopyJob)
        let recoveryPoint = "arn:aws:rds:\(s.region):\(s.account.id):snapshot:awsbackup:job-\(FakeID.uuid(&rng))"
        let backupRole: Actor = .role(s.people.backupRole, session: 0, invokedBy: "backup.amazonaws.com")
        let backupCall = { (t: Int64, id: String) in
            RDSEvents.Call(actor: backupRole, time: t, region: s.region, recipient: s.account.id,
                           client: ("backup.amazonaws.com", "backup.amazonaws.com"), eventID: id)
        }
        emit(s, jobT) { w, rng, id in
            RDSEvents.startBackupJob(&w, &rng, backupCall(jobT, id), hr, role: s.people.backupRole, recoveryPoint: recoveryPoint)
        }
        emit(s, copyT) { w, rng, id in
            RDSEvents.startCopyJob(&w, &rng, backupCall(copyT, id), recoveryPoint: recoveryPoint,
                                   destinationVault: "arn:aws:backup:us-west-2:\(s.account.id):backup-vault:dr-copies",
                                   role: s.people.backupRole)
        }

        expectOfTheEstate()
    }

    /// What KMS-005, KMS-007 and KMS-008 demand of the estate's other databases, alive at the
    /// trail's end and not members of a cluster (those are judged through their cluster).
    private func expectOfTheEstate() {
        for r in world.resources.values.sorted(by: { $0.identifier < $1.identifier })
        where r.cluster == nil && !PlantedCases.deletedInTrail.contains(r.identifier) {
            let tag = "estate-\(r.identifier)"
            guard let key = r.key else {
                expectResource(tag, "KMS-005", "reported-unencrypted", "high", key: nil, resource: r,
                               note: "\(r.identifier) is listed unencrypted (StorageEncrypted false) in inventory, and every later RDS response about it says storageEncrypted false.")
                continue
            }
            if key.account != r.account {
                expectResource(tag, "KMS-007", "other-account-key", "high", key: key, resource: r,
                               note: "\(r.identifier) is encrypted with a key of another account.")
            }
            if key.awsManaged {
                expectResource(tag, "KMS-007", "aws-managed-key", "medium", key: key, resource: r,
                               note: "\(r.identifier) (inventory) is encrypted with the key alias/aws/rds resolves to in list-aliases inventory, which describe-key also reports as KeyManager AWS.")
            }
            if !PlantedCases.independentlyCopied.contains(r.identifier) && !PlantedCases.backupFindings.contains(r.identifier) {
                expectResource(tag, "KMS-008", "single-key", key.account != r.account ? "medium" : "low", key: key, resource: r,
                               note: "\(r.identifier) has backups (no KMS-003 finding) but every one of them is under its own key: no snapshot copy under another key, cross-region replica or AWS Backup copy job.")
            }
        }
    }
}

extension RDSEvents {
    /// CreateDBInstance that does not state `storageEncrypted` (the API's default: unencrypted).
    static func createInstanceWithDefaults(_ w: inout JSONWriter, _ rng: inout SampleRNG, _ c: Call, _ r: DBResource) {
        c.record("CreateDBInstance", readOnly: false).write(&w, &rng, request: { w in
            w.beginObject()
            w.field("allocatedStorage", 100)
            w.field("backupRetentionPeriod", r.retention)
            w.field("dBInstanceClass", r.engine.instanceClass)
            w.field("dBInstanceIdentifier", r.identifier)
            w.field("engine", r.engine.rawValue)
            w.field("masterUserPassword", masked); w.field("masterUsername", "dbmaster")
            w.endObject()
        }, response: { w in writeInstance(&w, r, status: "creating", created: nil) })
    }

    /// A create refused before anything was made (sandbox churn hitting its quota).
    static func createInstanceRefused(_ w: inout JSONWriter, _ rng: inout SampleRNG, _ c: Call, _ r: DBResource) {
        var c = c
        c.error = ("InstanceQuotaExceeded", "DB Instance quota exceeded")
        c.record("CreateDBInstance", readOnly: false).write(&w, &rng, request: { w in
            w.beginObject()
            w.field("dBInstanceClass", r.engine.instanceClass)
            w.field("dBInstanceIdentifier", r.identifier)
            w.field("engine", r.engine.rawValue)
            w.endObject()
        })
    }

    /// RestoreDBInstanceFromDBSnapshot of `snapshot` (identifier or ARN) as `r`.
    static func restoreInstance(_ w: inout JSONWriter, _ rng: inout SampleRNG, _ c: Call, _ r: DBResource,
                                snapshot: String, requestKey: String?) {
        c.record("RestoreDBInstanceFromDBSnapshot", readOnly: false).write(&w, &rng, request: { w in
            w.beginObject()
            w.field("dBInstanceClass", r.engine.instanceClass)
            w.field("dBInstanceIdentifier", r.identifier)
            w.field("dBSnapshotIdentifier", snapshot)
            if let requestKey { w.field("kmsKeyId", requestKey) }
            w.endObject()
        }, response: { w in writeInstance(&w, r, status: "creating", created: nil) })
    }

    /// CreateDBInstanceReadReplica of `source` (identifier, or ARN for another region) as `r`.
    static func readReplica(_ w: inout JSONWriter, _ rng: inout SampleRNG, _ c: Call, _ r: DBResource,
                            source: String, requestKey: String?) {
        c.record("CreateDBInstanceReadReplica", readOnly: false).write(&w, &rng, request: { w in
            w.beginObject()
            w.field("dBInstanceClass", r.engine.instanceClass)
            w.field("dBInstanceIdentifier", r.identifier)
            if let requestKey { w.field("kmsKeyId", requestKey) }
            w.field("sourceDBInstanceIdentifier", source)
            w.endObject()
        }, response: { w in writeInstance(&w, r, status: "creating", created: nil) })
    }

    /// AWS Backup's StartBackupJob whose response names the recovery point.
    static func startBackupJob(_ w: inout JSONWriter, _ rng: inout SampleRNG, _ c: Call, _ r: DBResource, role: SampleRole,
                               recoveryPoint: String) {
        var rec = c.record("StartBackupJob", readOnly: false)
        rec.source = "backup.amazonaws.com"
        rec.version = "1.09"
        rec.tlsHost = nil
        let token = FakeID.uuid(&rng), jobID = FakeID.uuid(&rng)
        rec.write(&w, &rng, request: { w in
            w.beginObject()
            w.field("backupVaultName", safe: "Default")
            w.field("resourceArn", r.arn)
            w.field("iamRoleArn", role.arn)
            w.field("idempotencyToken", token)
            w.endObject()
        }, response: { w in
            w.beginObject()
            w.field("backupJobId", jobID)
            w.field("creationDate", SampleTime.console(c.time))
            w.field("isParent", false)
            w.field("recoveryPointArn", recoveryPoint)
            w.endObject()
        })
    }

    /// AWS Backup's StartCopyJob of a recovery point to another vault.
    static func startCopyJob(_ w: inout JSONWriter, _ rng: inout SampleRNG, _ c: Call, recoveryPoint: String,
                             destinationVault: String, role: SampleRole) {
        var rec = c.record("StartCopyJob", readOnly: false)
        rec.source = "backup.amazonaws.com"
        rec.version = "1.09"
        rec.tlsHost = nil
        let token = FakeID.uuid(&rng), jobID = FakeID.uuid(&rng)
        rec.write(&w, &rng, request: { w in
            w.beginObject()
            w.field("destinationBackupVaultArn", destinationVault)
            w.field("iamRoleArn", role.arn)
            w.field("idempotencyToken", token)
            w.field("recoveryPointArn", recoveryPoint)
            w.field("sourceBackupVaultName", safe: "Default")
            w.endObject()
        }, response: { w in
            w.beginObject()
            w.field("copyJobId", jobID)
            w.field("creationDate", SampleTime.console(c.time))
            w.field("isParent", false)
            w.endObject()
        })
    }
}

/// Inventory for the seed controls: `aws kms describe-key` output for each key that existed
/// before the trail (`describe-key-KEYID.json`: KeyManager, KeyState) and the snapshot
/// `describe-db-cluster-snapshots` / `describe-db-snapshots` output per account and region,
/// with a snapshot copy of graph-prod under another key (its independent copy, KMS-008), a copy
/// of legacy-crm-db too old to count, and billing-db's automated snapshot under its own key.
enum SeedControlInventory {
    static func write(world: SampleWorld, outDir: String) throws -> Int {
        var files = 0
        let before = world.clock.start
        for s in world.streams {
            let dir = "\(outDir)/inventory/\(s.account.id)/\(s.region)"
            try SampleFiles.makeDirectories(dir)
            for k in s.keys where k.createdAt == nil {
                var meta: [(String, JSONNode)] = [
                    ("AWSAccountId", .string(k.account)), ("KeyId", .string(k.id)), ("Arn", .string(k.arn)),
                    ("CreationDate", .string(SampleTime.cli(before - 86_400 * (k.awsManaged ? 600 : 200), micros: 87_000))),
                    ("Enabled", .bool(k.name != "retired@4")),
                    ("Description", .string(k.alias == "alias/aws/rds" ? "Default key that protects my RDS database volumes when no other key is defined"
                                            : k.awsManaged ? "Default key for \(k.alias ?? "an AWS service")" : "")),
                    ("KeyUsage", "ENCRYPT_DECRYPT"),
                    ("KeyState", .string(k.name == "retired@4" ? "PendingDeletion" : "Enabled")),
                    ("Origin", "AWS_KMS"),
                    ("KeyManager", .string(k.awsManaged ? "AWS" : "CUSTOMER")),
                    ("CustomerMasterKeySpec", "SYMMETRIC_DEFAULT"), ("KeySpec", "SYMMETRIC_DEFAULT"),
                    ("EncryptionAlgorithms", ["SYMMETRIC_DEFAULT"]), ("MultiRegion", false),
                ]
                if k.name == "retired@4" {
                    meta.append(("DeletionDate", .string(SampleTime.cli(before + 86_400, micros: 0))))
                }
                try SampleFiles.write(JSONNode.object([("KeyMetadata", .object(meta))]).render(.cli) + "\n",
                                      to: "\(dir)/describe-key-\(k.id).json")
                files += 1
            }
            var clusterSnapshots: [JSONNode] = [], instanceSnapshots: [JSONNode] = []
            if s.account.id == world.prod.id && s.region == "us-east-1" {
                clusterSnapshots.append(snapshot(world.resource("graph-prod"), id: "graph-prod-weekly-legacy-key",
                                                 key: world.key("legacy"), time: before - 86_400 * 12, type: "manual"))
                instanceSnapshots.append(snapshot(world.resource("legacy-crm-db"), id: "legacy-crm-db-2026-q2",
                                                  key: world.key("graph"), time: before - 86_400 * 60, type: "manual"))
                let billing = world.resource("billing-db")
                instanceSnapshots.append(snapshot(billing, id: "rds:billing-db-nightly", key: billing.key,
                                                  time: before - 86_400, type: "automated"))
            }
            try SampleFiles.write(JSONNode.object([("DBClusterSnapshots", .array(clusterSnapshots))]).render(.cli) + "\n",
                                  to: "\(dir)/describe-db-cluster-snapshots.json")
            try SampleFiles.write(JSONNode.object([("DBSnapshots", .array(instanceSnapshots))]).render(.cli) + "\n",
                                  to: "\(dir)/describe-db-snapshots.json")
            files += 2
        }
        return files
    }

    private static func snapshot(_ r: DBResource, id: String, key: SampleKey?, time: Int64, type: String) -> JSONNode {
        let cluster = r.kind == .cluster
        let arn = "arn:aws:rds:\(r.region):\(r.account):\(cluster ? "cluster-snapshot" : "snapshot"):\(id)"
        var m: [(String, JSONNode)] = [
            (cluster ? "DBClusterSnapshotIdentifier" : "DBSnapshotIdentifier", .string(id)),
            (cluster ? "DBClusterIdentifier" : "DBInstanceIdentifier", .string(r.identifier)),
            ("SnapshotCreateTime", .string(SampleTime.cli(time, micros: 350_000))),
            ("Engine", .string(r.engine.rawValue)),
            ("Status", "available"),
            ("SnapshotType", .string(type)),
            (cluster ? "StorageEncrypted" : "Encrypted", .bool(key != nil)),
        ]
        if let key { m.append(("KmsKeyId", .string(key.arn))) }
        m.append((cluster ? "DBClusterSnapshotArn" : "DBSnapshotArn", .string(arn)))
        return .object(m)
    }
}

extension PlantedCases {
    /// An expected finding about a resource, whose key may be none (an unencrypted database).
    func expectResource(_ tag: String, _ rule: String, _ category: String, _ severity: String, key: SampleKey?,
                        resource: DBResource, note: String) {
        drafts.append((tag, ExpectedFinding(ruleID: rule, category: category, severity: severity, keyARN: key?.arn,
                                            principal: nil, resource: resource.arn, eventID: nil, eventCount: 0, note: note)))
    }
}
