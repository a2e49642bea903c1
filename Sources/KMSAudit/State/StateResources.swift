import Foundation
import GRDB

/// One incarnation of a Neptune/RDS cluster or instance (an identifier reused after a delete is a
/// new incarnation, a new `db_resources` row).
final class ResourceRecord {
    struct Change {
        var time: String?
        var eventName: String
        var eventID: String?
        var fileID: Int64?
        var principal: String?
        var retention: Int?
        var encrypted: Bool?
        var keyRef: String?
        var status: String?
        /// What this record itself stated (the fold over the history, inventory first, gives
        /// the state after each record: docs/rules/DECISIONS.md #31).
        var statedRetention: Int?
        var statedEncrypted: Bool?
        var statedKeyRef: String?
        /// The record that settled `encrypted` when this one did (KMS-005's category).
        var settledBy: String?
        var settledHow: String?
        var encryptionSettledBy: String?
    }

    var id: Int64 = 0
    let arn: String
    let identifier: String
    let kind: String
    let account: String?
    let region: String?
    var engine: String?
    var clusterIdentifier: String?
    var clusterARN: String?
    var resourceID: String?
    var encrypted: Bool?
    var keyRef: String?
    var keyARN: String?
    var retention: Int?
    var createdAt: String?
    var createdEventID: String?
    var lastEventAt: String?
    var deletedAt: String?
    var deletedEventID: String?
    var skipFinalSnapshot: Bool?
    var finalSnapshotIdentifier: String?
    var fromEvents = false
    var fromInventory = false
    var changes: [Change] = []
    /// The record that last settled `encrypted`, how (`response`, `request`, `api-default`,
    /// `source-snapshot`, `source-resource`, `inventory`, `cluster`), its event and time.
    var encryptionSettledBy: String?
    var encryptionBasis: String?
    var encryptionEventID: String?
    var encryptionSettledAt: String?
    /// The create or restore request that turned encryption on named no `kmsKeyId` or named
    /// `alias/aws/rds` (KMS-007 `aws-managed-key`); nil when no such request was seen.
    var awsManagedKeyRequested: Bool?
    /// Restores from a snapshot: the snapshot's ARN. Point-in-time restores and read replicas:
    /// the source resource's ARN.
    var restoredFromSnapshot: String?
    var sourceResourceARN: String?
    /// Read replicas (and Aurora replica clusters): the source resource's ARN.
    var replicaSourceARN: String?

    init(arn: String, identifier: String, kind: String, account: String?, region: String?) {
        self.arn = arn; self.identifier = identifier; self.kind = kind; self.account = account; self.region = region
    }

    /// Alive at `t` (created at or before, not deleted before). Unknown creation counts as alive.
    func alive(at t: String) -> Bool {
        (createdAt == nil || createdAt! <= t) && (deletedAt == nil || t <= deletedAt!)
    }
}

/// One incarnation of a DB snapshot, cluster snapshot or AWS Backup recovery point.
final class SnapshotRecord {
    var identifier: String
    var arn: String
    var kind: String
    var account: String?
    var region: String?
    var resourceIdentifier: String?
    var resourceARN: String?
    var snapshotType: String?
    var encrypted: Bool?
    var keyRef: String?
    var keyARN: String?
    var sourceSnapshot: String?
    var createdAt: String?
    var createdEventID: String?
    var source: String
    var awsBackup = false
    var deletedAt: String?
    var deletedEventID: String?

    init(identifier: String, arn: String, kind: String, account: String?, region: String?, source: String) {
        self.identifier = identifier; self.arn = arn; self.kind = kind; self.account = account; self.region = region
        self.source = source
    }
}

extension StateBuild {
    static let clusterCreates: Set<String> = ["CreateDBCluster", "RestoreDBClusterFromSnapshot", "RestoreDBClusterToPointInTime"]
    static let instanceCreates: Set<String> = ["CreateDBInstance", "RestoreDBInstanceFromDBSnapshot",
                                               "RestoreDBInstanceToPointInTime", "CreateDBInstanceReadReplica"]

    static func rdsARN(kind: String, identifier: String, region: String?, account: String?) -> String? {
        guard let region, let account else { return nil }
        let type: String
        switch kind {
        case "cluster": type = "cluster"
        case "instance": type = "db"
        case "cluster-snapshot": type = "cluster-snapshot"
        default: type = "snapshot"
        }
        return "arn:\(ARNParts.partition(forRegion: region)):rds:\(region):\(account):\(type):\(identifier.lowercased())"
    }

    // MARK: - DB resources

    /// `db_resources` and `db_resource_changes`: inventory documents as the baseline (their time is
    /// unknown, like policy files), then the succeeded RDS events in time order, responses first
    /// (they show the resulting state; Modify requests hold only what changed). The events are
    /// streamed; `snapshotFacts` (`addSnapshotEncryptionFact`) tells restores what they restore.
    func buildResources(snapshotFacts: [String: SnapshotEncryption]) throws {
        func incarnations(_ arn: String) -> [ResourceRecord] { resourcesByARN[arn] ?? [] }
        func add(_ r: ResourceRecord) {
            resources.append(r)
            resourcesByARN[r.arn, default: []].append(r)
        }

        try forEachEvent(sql: Self.rdsEventsSQL(names: Self.resourceEventNames)) { ev in
            let isCluster = ev.name.contains("DBCluster")
            let kind = isCluster ? "cluster" : "instance"
            let req = ev.request, resp = ev.response
            let idKey = isCluster ? "dBClusterIdentifier" : "dBInstanceIdentifier"
            guard let rawID = StateJSON.string(resp, idKey) ?? StateJSON.string(req, idKey)
                ?? StateJSON.string(req, "targetDBInstanceIdentifier") else { return }
            let identifier = rawID.lowercased()
            let arnKey = isCluster ? "dBClusterArn" : "dBInstanceArn"
            guard let arn = (StateJSON.string(resp, arnKey)?.lowercased())
                ?? Self.rdsARN(kind: kind, identifier: identifier, region: ev.region, account: ev.account) else { return }
            let parts = ARNParts(arn)
            let resourceID = StateJSON.string(resp, isCluster ? "dbClusterResourceId" : "dbiResourceId")
            let isCreate = Self.clusterCreates.contains(ev.name) || Self.instanceCreates.contains(ev.name)

            var record = incarnations(arn).last
            if isCreate {
                if record == nil || record!.deletedAt != nil
                    || (resourceID != nil && record!.resourceID != nil && record!.resourceID != resourceID) {
                    record = nil
                }
            }
            let r: ResourceRecord
            if let record {
                r = record
            } else {
                r = ResourceRecord(arn: arn, identifier: identifier, kind: kind,
                                   account: parts?.account ?? ev.account, region: parts?.region ?? ev.region)
                add(r)
            }
            r.fromEvents = true
            r.lastEventAt = ev.time
            if let v = StateJSON.string(resp, "engine") ?? StateJSON.string(req, "engine") { r.engine = v }
            if let v = resourceID { r.resourceID = v }
            if !isCluster, let v = StateJSON.string(resp, "dBClusterIdentifier") ?? StateJSON.string(req, "dBClusterIdentifier") {
                r.clusterIdentifier = v.lowercased()
            }
            let encryption = encryptionFacts(ev, isCluster: isCluster, memberOfCluster: r.clusterIdentifier != nil,
                                             snapshots: snapshotFacts)
            if let v = encryption.encrypted {
                r.encrypted = v
                r.encryptionSettledBy = ev.name
                r.encryptionBasis = encryption.basis
                r.encryptionEventID = ev.eventID
                r.encryptionSettledAt = ev.time
            }
            if let v = encryption.keyRef { r.keyRef = v }
            if let v = encryption.awsManagedKeyRequested { r.awsManagedKeyRequested = v }
            if let v = encryption.restoredFromSnapshot { r.restoredFromSnapshot = v }
            if let v = encryption.sourceResourceARN { r.sourceResourceARN = v }
            if ev.name == "CreateDBInstanceReadReplica" || StateJSON.string(req, "replicationSourceIdentifier") != nil {
                r.replicaSourceARN = encryption.sourceResourceARN
            }
            // A pending value counts only once a later record shows it applied (docs/rules/DECISIONS.md #22):
            // the response's current value, else the request's (creates state it directly).
            let modify = ev.name.hasPrefix("Modify")
            let statedRetention = StateJSON.int(resp, "backupRetentionPeriod")
                ?? (modify && resp != nil ? nil : StateJSON.int(req, "backupRetentionPeriod"))
            if let v = statedRetention { r.retention = v }
            let createTime = StateTime.canonical(resp?[isCluster ? "clusterCreateTime" : "instanceCreateTime"])
            if isCreate, r.createdEventID == nil {
                r.createdAt = createTime ?? ev.time
                r.createdEventID = ev.eventID
            } else if r.createdAt == nil, let createTime {
                r.createdAt = createTime
            }
            if ev.name.hasPrefix("Delete") {
                r.deletedAt = ev.time
                r.deletedEventID = ev.eventID
                let finalID = StateJSON.string(req, "finalDBSnapshotIdentifier")
                    ?? StateJSON.string(req, "finalDBClusterSnapshotIdentifier")
                r.skipFinalSnapshot = StateJSON.bool(req, "skipFinalSnapshot") ?? (finalID != nil ? false : nil)
                r.finalSnapshotIdentifier = finalID
            }
            r.changes.append(.init(time: ev.time, eventName: ev.name, eventID: ev.eventID, fileID: nil,
                                   principal: ev.principal, retention: r.retention, encrypted: r.encrypted,
                                   keyRef: r.keyRef,
                                   status: StateJSON.string(resp, "status") ?? StateJSON.string(resp, "dBInstanceStatus"),
                                   statedRetention: statedRetention, statedEncrypted: encryption.encrypted,
                                   statedKeyRef: encryption.keyRef,
                                   settledBy: encryption.encrypted != nil ? ev.name : nil, settledHow: encryption.basis))
        }

        try applyResourceInventory(add: add)
        // The state after each record, inventory (the baseline) first, then the events in time
        // order: what the rules read as the state at the window's end (docs/rules/DECISIONS.md #31, #33).
        for r in resources {
            var retention: Int?, encrypted: Bool?, keyRef: String?, settledBy: String?
            for i in r.changes.indices {
                let c = r.changes[i]
                if let v = c.statedRetention { retention = v }
                if let v = c.statedEncrypted { encrypted = v; settledBy = c.settledBy }
                if let v = c.statedKeyRef { keyRef = v }
                r.changes[i].retention = retention
                r.changes[i].encrypted = encrypted
                r.changes[i].keyRef = keyRef
                r.changes[i].encryptionSettledBy = settledBy
            }
        }

        // Members take encryption and backups from their cluster (docs/rules/DECISIONS.md #10).
        for r in resources where r.kind == "instance" {
            guard let clusterID = r.clusterIdentifier,
                  let clusterARN = Self.rdsARN(kind: "cluster", identifier: clusterID, region: r.region, account: r.account)
            else { continue }
            r.clusterARN = clusterARN
            guard let cluster = resource(arn: clusterARN, at: r.createdAt) else { continue }
            if let v = cluster.encrypted {
                r.encrypted = v
                r.encryptionSettledBy = cluster.encryptionSettledBy
                r.encryptionBasis = "cluster"
            }
            r.keyRef = cluster.keyRef ?? r.keyRef
            r.retention = cluster.retention ?? r.retention
            r.awsManagedKeyRequested = cluster.awsManagedKeyRequested ?? r.awsManagedKeyRequested
        }
        for r in resources {
            // Encrypted without kmsKeyId: the account's aws/rds key (docs/rules/README.md Terms "DB resource").
            if r.encrypted == true, r.keyRef == nil { r.keyRef = "alias/aws/rds" }
            let at = r.changes.first(where: { $0.keyRef != nil && $0.time != nil })?.time ?? r.createdAt
            r.keyARN = r.encrypted == false ? nil
                : aliases.resolveKeyRef(r.keyRef, region: r.region, account: r.account, at: at)
        }

        let insert = try db.cachedStatement(sql: """
            INSERT INTO db_resources (arn, identifier, kind, engine, account, region, cluster_identifier, cluster_arn,
                resource_id, storage_encrypted, kms_key_ref, kms_key_arn, backup_retention_period, created_at,
                created_event_id, last_event_at, deleted_at, deleted_event_id, skip_final_snapshot,
                final_snapshot_identifier, source, encryption_settled_by, encryption_basis, encryption_event_id,
                encryption_settled_at, aws_managed_key_requested, restored_from_snapshot, source_resource_arn,
                replica_source_arn)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        let insertChange = try db.cachedStatement(sql: """
            INSERT INTO db_resource_changes (db_resource_id, arn, event_time, event_name, event_id, file_id, principal,
                backup_retention_period, storage_encrypted, kms_key_ref, kms_key_arn, status, encryption_settled_by)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for r in resources {
            let source = r.fromEvents && r.fromInventory ? "events+inventory" : r.fromEvents ? "events" : "inventory"
            try insert.execute(arguments: [
                r.arn, r.identifier, r.kind, r.engine, r.account, r.region, r.clusterIdentifier, r.clusterARN,
                r.resourceID, r.encrypted, r.keyRef, r.keyARN, r.retention, r.createdAt, r.createdEventID,
                r.lastEventAt, r.deletedAt, r.deletedEventID, r.skipFinalSnapshot, r.finalSnapshotIdentifier, source,
                r.encryptionSettledBy, r.encryptionBasis, r.encryptionEventID, r.encryptionSettledAt,
                r.awsManagedKeyRequested, r.restoredFromSnapshot, r.sourceResourceARN, r.replicaSourceARN,
            ])
            r.id = db.lastInsertedRowID
            for c in r.changes.sorted(by: { ($0.time ?? "") < ($1.time ?? "") }) {
                let keyRef = c.keyRef ?? (c.encrypted == true ? r.keyRef : nil)
                let keyARN = c.encrypted == false ? nil
                    : aliases.resolveKeyRef(keyRef, region: r.region, account: r.account, at: c.time ?? r.createdAt)
                try insertChange.execute(arguments: [r.id, r.arn, c.time, c.eventName, c.eventID, c.fileID, c.principal,
                                                     c.retention, c.encrypted, keyRef, keyARN, c.status,
                                                     c.encryptionSettledBy])
                summary.dbResourceChanges += 1
            }
        }
        summary.dbResources = resources.count
    }

    /// `describe-db-clusters` / `describe-db-instances` output (PascalCase). An inventory record
    /// joins the incarnation with its resource id, else the latest one; its values fill what the
    /// events did not say (events are newer than the baseline).
    private func applyResourceInventory(add: (ResourceRecord) -> Void) throws {
        let docs = try Row.fetchAll(db, sql: """
            SELECT file_id, kind, account, region, content FROM documents
             WHERE kind IN ('db-clusters', 'db-instances') ORDER BY file_id
            """)
        for doc in docs {
            let isCluster = (doc["kind"] as String) == "db-clusters"
            guard let content = StateJSON.object(doc["content"]),
                  let items = content[isCluster ? "DBClusters" : "DBInstances"] as? [[String: Any]] else { continue }
            let kind = isCluster ? "cluster" : "instance"
            for item in items {
                guard let rawID = StateJSON.string(item, isCluster ? "DBClusterIdentifier" : "DBInstanceIdentifier")
                else { continue }
                let identifier = rawID.lowercased()
                guard let arn = StateJSON.string(item, isCluster ? "DBClusterArn" : "DBInstanceArn")?.lowercased()
                    ?? Self.rdsARN(kind: kind, identifier: identifier, region: doc["region"], account: doc["account"])
                else { continue }
                let parts = ARNParts(arn)
                let resourceID = StateJSON.string(item, isCluster ? "DbClusterResourceId" : "DbiResourceId")
                let known = resourcesByARN[arn] ?? []
                let r: ResourceRecord
                if let match = known.last(where: { resourceID != nil && $0.resourceID == resourceID }) ?? known.last {
                    r = match
                } else {
                    r = ResourceRecord(arn: arn, identifier: identifier, kind: kind,
                                       account: parts?.account ?? doc["account"], region: parts?.region ?? doc["region"])
                    add(r)
                }
                r.fromInventory = true
                let encrypted = StateJSON.bool(item, "StorageEncrypted")
                let keyRef = StateJSON.string(item, "KmsKeyId")
                let retention = StateJSON.int(item, "BackupRetentionPeriod")
                if r.engine == nil { r.engine = StateJSON.string(item, "Engine") }
                if r.resourceID == nil { r.resourceID = resourceID }
                if r.encrypted == nil, let encrypted {
                    r.encrypted = encrypted
                    r.encryptionSettledBy = "inventory"
                    r.encryptionBasis = "inventory"
                }
                if r.keyRef == nil { r.keyRef = keyRef }
                if r.retention == nil { r.retention = retention }
                if !isCluster, r.clusterIdentifier == nil {
                    r.clusterIdentifier = StateJSON.string(item, "DBClusterIdentifier")?.lowercased()
                }
                if r.replicaSourceARN == nil,
                   let source = StateJSON.string(item, isCluster ? "ReplicationSourceIdentifier" : "ReadReplicaSourceDBInstanceIdentifier") {
                    r.replicaSourceARN = Self.resourceARN(source, isCluster: isCluster, region: r.region, account: r.account)
                }
                if r.createdAt == nil {
                    r.createdAt = StateTime.canonical(item[isCluster ? "ClusterCreateTime" : "InstanceCreateTime"])
                }
                r.changes.insert(.init(time: nil, eventName: "inventory", eventID: nil, fileID: doc["file_id"],
                                       principal: nil, retention: retention, encrypted: encrypted, keyRef: keyRef,
                                       status: StateJSON.string(item, "Status") ?? StateJSON.string(item, "DBInstanceStatus"),
                                       statedRetention: retention, statedEncrypted: encrypted, statedKeyRef: keyRef,
                                       settledBy: encrypted != nil ? "inventory" : nil, settledHow: "inventory"),
                                 at: 0)
            }
        }
    }

    /// What one snapshot says about its encryption, for restores that do not state their own.
    struct SnapshotEncryption {
        var encrypted: Bool?
        var keyRef: String?
        var resourceARN: String?
    }

    /// Snapshot ARN → its encryption and the resource it is of, from succeeded snapshot creates
    /// and copies and from snapshot inventory (a snapshot's own `encrypted`/`storageEncrypted`:
    /// docs/rules/DECISIONS.md #32). Fed the snapshot events in time order (a copy takes what
    /// its source's facts say so far), then `addSnapshotInventoryEncryptionFacts`.
    func addSnapshotEncryptionFact(_ ev: RDSEvent, to facts: inout [String: SnapshotEncryption]) {
        guard ev.name.hasPrefix("Create") || ev.name.hasPrefix("Copy") else { return }
        let isCluster = ev.name.contains("Cluster")
        let req = ev.request, resp = ev.response
        guard let rawID = StateJSON.string(resp, isCluster ? "dBClusterSnapshotIdentifier" : "dBSnapshotIdentifier")
            ?? StateJSON.string(req, isCluster ? "dBClusterSnapshotIdentifier" : "dBSnapshotIdentifier")
            ?? StateJSON.string(req, isCluster ? "targetDBClusterSnapshotIdentifier" : "targetDBSnapshotIdentifier"),
            let arn = StateJSON.string(resp, isCluster ? "dBClusterSnapshotArn" : "dBSnapshotArn")?.lowercased()
                ?? Self.rdsARN(kind: isCluster ? "cluster-snapshot" : "snapshot", identifier: rawID.lowercased(),
                               region: ev.region, account: ev.account) else { return }
        var f = SnapshotEncryption()
        f.encrypted = StateJSON.bool(resp, isCluster ? "storageEncrypted" : "encrypted") ?? StateJSON.bool(resp, "storageEncrypted")
        f.keyRef = StateJSON.string(resp, "kmsKeyId") ?? StateJSON.string(req, "kmsKeyId")
        if let id = StateJSON.string(resp, isCluster ? "dBClusterIdentifier" : "dBInstanceIdentifier")
            ?? StateJSON.string(req, isCluster ? "dBClusterIdentifier" : "dBInstanceIdentifier") {
            f.resourceARN = Self.rdsARN(kind: isCluster ? "cluster" : "instance", identifier: id.lowercased(),
                                        region: ev.region, account: ev.account)
        }
        if ev.name.hasPrefix("Copy") {
            let sourceRef = StateJSON.string(req, isCluster ? "sourceDBClusterSnapshotIdentifier" : "sourceDBSnapshotIdentifier")
            let source = sourceRef.flatMap { Self.snapshotARN($0, isCluster: isCluster, region: ev.region, account: ev.account) }
                .flatMap { facts[$0] }
            if f.encrypted == nil { f.encrypted = source?.encrypted }
            if f.keyRef == nil { f.keyRef = source?.keyRef }
            if let sourceResource = source?.resourceARN { f.resourceARN = sourceResource }
        }
        facts[arn] = f
    }

    /// Snapshot inventory's encryption facts, after the events' (`addSnapshotEncryptionFact`).
    func addSnapshotInventoryEncryptionFacts(to facts: inout [String: SnapshotEncryption]) throws {
        let docs = try Row.fetchAll(db, sql: """
            SELECT kind, account, region, content FROM documents
             WHERE kind IN ('db-snapshots', 'db-cluster-snapshots') ORDER BY file_id
            """)
        for doc in docs {
            let isCluster = (doc["kind"] as String) == "db-cluster-snapshots"
            guard let content = StateJSON.object(doc["content"]),
                  let items = content[isCluster ? "DBClusterSnapshots" : "DBSnapshots"] as? [[String: Any]] else { continue }
            for item in items {
                guard let rawID = StateJSON.string(item, isCluster ? "DBClusterSnapshotIdentifier" : "DBSnapshotIdentifier"),
                      let arn = StateJSON.string(item, isCluster ? "DBClusterSnapshotArn" : "DBSnapshotArn")?.lowercased()
                        ?? Self.rdsARN(kind: isCluster ? "cluster-snapshot" : "snapshot", identifier: rawID.lowercased(),
                                       region: doc["region"], account: doc["account"]) else { continue }
                var f = facts[arn] ?? SnapshotEncryption()
                if f.encrypted == nil { f.encrypted = StateJSON.bool(item, isCluster ? "StorageEncrypted" : "Encrypted") }
                if f.keyRef == nil { f.keyRef = StateJSON.string(item, "KmsKeyId") }
                if f.resourceARN == nil, let id = StateJSON.string(item, isCluster ? "DBClusterIdentifier" : "DBInstanceIdentifier") {
                    let parts = ARNParts(arn)
                    f.resourceARN = Self.rdsARN(kind: isCluster ? "cluster" : "instance", identifier: id.lowercased(),
                                                region: parts?.region ?? doc["region"], account: parts?.account ?? doc["account"])
                }
                facts[arn] = f
            }
        }
    }

    /// A snapshot named by ARN or identifier, as a lower-case ARN.
    static func snapshotARN(_ ref: String, isCluster: Bool, region: String?, account: String?) -> String? {
        if ref.hasPrefix("arn:") { return ref.lowercased() }
        return rdsARN(kind: isCluster ? "cluster-snapshot" : "snapshot", identifier: ref.lowercased(), region: region, account: account)
    }

    /// A resource named by ARN or identifier, as a lower-case ARN.
    static func resourceARN(_ ref: String, isCluster: Bool, region: String?, account: String?) -> String? {
        if ref.hasPrefix("arn:") { return ref.lowercased() }
        return rdsARN(kind: isCluster ? "cluster" : "instance", identifier: ref.lowercased(), region: region, account: account)
    }

    /// What one resource event settles about encryption (RULES KMS-005): the response's
    /// `storageEncrypted`, else the request's; a create that states nothing is unencrypted (the
    /// API's default); a restore or read replica that states nothing has its source's encryption
    /// (the snapshot's, or the source resource's), unknown when that is unknown. Also the key
    /// it inherits, whether the request asked for the AWS managed key, and its source.
    struct EncryptionFacts {
        var encrypted: Bool?
        var basis: String?
        var keyRef: String?
        var awsManagedKeyRequested: Bool?
        var restoredFromSnapshot: String?
        var sourceResourceARN: String?
    }

    func encryptionFacts(_ ev: RDSEvent, isCluster: Bool, memberOfCluster: Bool,
                         snapshots: [String: SnapshotEncryption]) -> EncryptionFacts {
        let req = ev.request, resp = ev.response
        var f = EncryptionFacts()
        if let v = StateJSON.bool(resp, "storageEncrypted") {
            f.encrypted = v; f.basis = "response"
        } else if let v = StateJSON.bool(req, "storageEncrypted") {
            f.encrypted = v; f.basis = "request"
        }
        let requestKey = StateJSON.string(req, "kmsKeyId")
        f.keyRef = StateJSON.string(resp, "kmsKeyId") ?? requestKey
        func namesAWSManaged(_ ref: String?) -> Bool {
            guard let ref else { return false }
            return ref == "alias/aws/rds" || ref.hasSuffix(":alias/aws/rds")
        }

        // The source a restore or replica inherits from.
        var sourceEncrypted: Bool?
        var sourceKeyRef: String?
        var sourceRegion: String?
        switch ev.name {
        case "RestoreDBClusterFromSnapshot", "RestoreDBInstanceFromDBSnapshot":
            let ref = StateJSON.string(req, "snapshotIdentifier") ?? StateJSON.string(req, "dBSnapshotIdentifier")
                ?? StateJSON.string(req, "dBClusterSnapshotIdentifier")
            // A cluster restore names a cluster snapshot (or, for Aurora, possibly a DB snapshot).
            let candidates = ref.map { r in [Self.snapshotARN(r, isCluster: isCluster, region: ev.region, account: ev.account),
                                             Self.snapshotARN(r, isCluster: !isCluster, region: ev.region, account: ev.account)]
                .compactMap { $0 } } ?? []
            let arn = candidates.first { snapshots[$0] != nil } ?? candidates.first
            f.restoredFromSnapshot = arn
            if let arn, let snap = snapshots[arn] {
                sourceEncrypted = snap.encrypted ?? resource(arn: snap.resourceARN, at: ev.time)?.encrypted
                sourceKeyRef = snap.keyRef ?? (snap.encrypted == nil ? resource(arn: snap.resourceARN, at: ev.time)?.keyRef : nil)
                sourceRegion = ARNParts(arn)?.region
                f.sourceResourceARN = snap.resourceARN
            }
        case "RestoreDBClusterToPointInTime", "RestoreDBInstanceToPointInTime", "CreateDBInstanceReadReplica":
            let ref = isCluster ? StateJSON.string(req, "sourceDBClusterIdentifier")
                : StateJSON.string(req, "sourceDBInstanceIdentifier")
            if let ref, let arn = Self.resourceARN(ref, isCluster: isCluster, region: ev.region, account: ev.account) {
                f.sourceResourceARN = arn
                let source = resource(arn: arn, at: ev.time)
                sourceEncrypted = source?.encrypted
                sourceKeyRef = source?.keyRef
                sourceRegion = ARNParts(arn)?.region ?? source?.region
            }
        case "CreateDBCluster":
            if let ref = StateJSON.string(req, "replicationSourceIdentifier") {
                f.sourceResourceARN = Self.resourceARN(ref, isCluster: true, region: ev.region, account: ev.account)
                let source = resource(arn: f.sourceResourceARN, at: ev.time)
                sourceEncrypted = source?.encrypted
                sourceKeyRef = source?.keyRef
                sourceRegion = ARNParts(f.sourceResourceARN ?? "")?.region
            }
        default:
            break
        }
        let inherits = f.sourceResourceARN != nil || f.restoredFromSnapshot != nil
        let isCreate = Self.clusterCreates.contains(ev.name) || Self.instanceCreates.contains(ev.name)
        if f.encrypted == nil, isCreate {
            if inherits {
                if let v = sourceEncrypted {
                    f.encrypted = v
                    f.basis = f.restoredFromSnapshot != nil ? "source-snapshot" : "source-resource"
                }
            } else if ev.name == "CreateDBCluster" || (ev.name == "CreateDBInstance" && !memberOfCluster) {
                f.encrypted = false; f.basis = "api-default"
            }
        }
        // A copy of the source's data keeps the source's key when no other is named (in the same region).
        if inherits, requestKey == nil, f.keyRef == nil, sourceEncrypted == true, sourceRegion == nil || sourceRegion == ev.region {
            f.keyRef = sourceKeyRef
        }
        // KMS-007: did the request that turned encryption on ask for the AWS managed key?
        if isCreate, f.encrypted == true {
            if namesAWSManaged(requestKey) {
                f.awsManagedKeyRequested = true
            } else if requestKey != nil {
                f.awsManagedKeyRequested = false
            } else if !inherits {
                f.awsManagedKeyRequested = !(ev.name == "CreateDBInstance" && memberOfCluster)
            } else if sourceEncrypted == false {
                f.awsManagedKeyRequested = true
            }
        }
        return f
    }

    /// The incarnation of `arn` alive at `t`, else the latest.
    func resource(arn: String?, at t: String?) -> ResourceRecord? {
        guard let arn, let list = resourcesByARN[arn.lowercased()] else { return nil }
        if let t, let alive = list.last(where: { $0.alive(at: t) }) { return alive }
        return list.last
    }

    // MARK: - Snapshots

    /// `snapshots`: manual snapshots and copies that succeeded, AWS Backup jobs and snapshot calls
    /// made by AWS Backup, final snapshots of deletes, inventory; ended by Delete*Snapshot.
    func buildSnapshots() throws {
        var all: [SnapshotRecord] = []
        var byARN: [String: [SnapshotRecord]] = [:]
        func add(_ s: SnapshotRecord) {
            all.append(s)
            byARN[s.arn, default: []].append(s)
        }
        func find(_ ref: String?, kind: String, region: String?, account: String?) -> SnapshotRecord? {
            guard let ref else { return nil }
            if ref.hasPrefix("arn:") { return byARN[ref.lowercased()]?.last }
            guard let arn = Self.rdsARN(kind: kind == "cluster" ? "cluster-snapshot" : "snapshot", identifier: ref,
                                        region: region, account: account) else { return nil }
            return byARN[arn]?.last
        }

        // One timeline: snapshot events and backup jobs (streamed, in time order, ties by row id),
        // and final snapshots of deletes, each after the events of its delete's time.
        enum Item { case event(RDSEvent), finalSnapshot(ResourceRecord) }
        let finals = resources.filter { $0.deletedAt != nil && $0.skipFinalSnapshot != true && $0.finalSnapshotIdentifier != nil }
            .enumerated().sorted { ($0.element.deletedAt!, $0.offset) < ($1.element.deletedAt!, $1.offset) }.map(\.element)
        var nextFinal = 0
        let timeline = """
            SELECT \(Self.eventColumns) FROM state_inputs
             WHERE event_name IN (\((Self.snapshotEventNames + ["StartBackupJob"]).map { "'\($0)'" }.joined(separator: ",")))
               AND event_source = iif(event_name = 'StartBackupJob', 'backup.amazonaws.com', 'rds.amazonaws.com')
             ORDER BY event_time, event_rowid
            """
        func handle(_ item: Item) {
            switch item {
            case .finalSnapshot(let r):
                let identifier = r.finalSnapshotIdentifier!.lowercased()
                guard let arn = Self.rdsARN(kind: r.kind == "cluster" ? "cluster-snapshot" : "snapshot",
                                            identifier: identifier, region: r.region, account: r.account) else { return }
                let s = SnapshotRecord(identifier: identifier, arn: arn, kind: r.kind, account: r.account, region: r.region,
                                       source: r.kind == "cluster" ? "DeleteDBCluster" : "DeleteDBInstance")
                s.resourceIdentifier = r.identifier
                s.resourceARN = r.arn
                s.snapshotType = "final"
                s.encrypted = r.encrypted
                s.keyRef = r.keyRef
                s.createdAt = r.deletedAt
                s.createdEventID = r.deletedEventID
                add(s)

            case .event(let ev) where ev.name == "StartBackupJob":
                guard let resourceARN = StateJSON.string(ev.request, "resourceArn")?.lowercased(), ARNParts.isRDS(resourceARN),
                      let rp = ARNParts(resourceARN) else { return }
                let kind = rp.resource.hasPrefix("cluster:") ? "cluster" : rp.resource.hasPrefix("db:") ? "instance" : nil
                guard let kind else { return }
                let identifier = StateJSON.string(ev.response, "backupJobId") ?? ev.eventID
                let arn = StateJSON.string(ev.response, "recoveryPointArn") ?? "backup-job:\(identifier)"
                let s = SnapshotRecord(identifier: identifier, arn: arn, kind: kind, account: ev.account, region: ev.region,
                                       source: "StartBackupJob")
                s.resourceIdentifier = String(rp.resource.drop(while: { $0 != ":" }).dropFirst())
                s.resourceARN = resourceARN
                s.snapshotType = "awsbackup"
                s.awsBackup = true
                let resource = resource(arn: resourceARN, at: ev.time)
                s.encrypted = resource?.encrypted
                s.keyRef = resource?.keyRef
                s.createdAt = ev.time
                s.createdEventID = ev.eventID
                add(s)

            case .event(let ev):
                let isCluster = ev.name.contains("Cluster")
                let kind = isCluster ? "cluster" : "instance"
                let req = ev.request, resp = ev.response
                let idKey = isCluster ? "dBClusterSnapshotIdentifier" : "dBSnapshotIdentifier"
                let isCopy = ev.name.hasPrefix("Copy")
                guard let rawID = StateJSON.string(resp, idKey) ?? StateJSON.string(req, idKey)
                    ?? StateJSON.string(req, isCluster ? "targetDBClusterSnapshotIdentifier" : "targetDBSnapshotIdentifier")
                else { return }
                let identifier = rawID.lowercased()
                guard let arn = StateJSON.string(resp, isCluster ? "dBClusterSnapshotArn" : "dBSnapshotArn")?.lowercased()
                    ?? Self.rdsARN(kind: isCluster ? "cluster-snapshot" : "snapshot", identifier: identifier,
                                   region: ev.region, account: ev.account) else { return }
                let parts = ARNParts(arn)

                if ev.name.hasPrefix("Delete") {
                    let s: SnapshotRecord
                    if let live = byARN[arn]?.last, live.deletedAt == nil {
                        s = live
                    } else {
                        // Deleted without its creation in the logs: it existed until now.
                        s = SnapshotRecord(identifier: identifier, arn: arn, kind: kind, account: parts?.account ?? ev.account,
                                           region: parts?.region ?? ev.region, source: ev.name)
                        s.snapshotType = StateJSON.string(resp, "snapshotType")
                        add(s)
                    }
                    fillSnapshot(s, from: resp, isCluster: isCluster, region: ev.region, account: ev.account)
                    s.deletedAt = ev.time
                    s.deletedEventID = ev.eventID
                    return
                }

                let s = SnapshotRecord(identifier: identifier, arn: arn, kind: kind, account: parts?.account ?? ev.account,
                                       region: parts?.region ?? ev.region, source: ev.name)
                s.snapshotType = StateJSON.string(resp, "snapshotType") ?? (isCopy ? "copy" : "manual")
                s.awsBackup = ev.invokedByBackup || s.snapshotType == "awsbackup"
                s.createdAt = ev.time
                s.createdEventID = ev.eventID
                fillSnapshot(s, from: resp, isCluster: isCluster, region: ev.region, account: ev.account)
                if s.keyRef == nil { s.keyRef = StateJSON.string(req, "kmsKeyId") }
                if isCopy {
                    let sourceRef = StateJSON.string(req, isCluster ? "sourceDBClusterSnapshotIdentifier" : "sourceDBSnapshotIdentifier")
                        ?? StateJSON.string(resp, isCluster ? "sourceDBClusterSnapshotIdentifier" : "sourceDBSnapshotIdentifier")
                    s.sourceSnapshot = sourceRef
                    let source = find(sourceRef, kind: kind, region: ev.region, account: ev.account)
                    if s.resourceIdentifier == nil { s.resourceIdentifier = source?.resourceIdentifier }
                    if s.resourceARN == nil {
                        if let source, let sourceARN = source.resourceARN {
                            s.resourceARN = sourceARN
                        } else if let id = s.resourceIdentifier {
                            // The original resource lives where the source snapshot does.
                            let sp = sourceRef.flatMap(ARNParts.init)
                            s.resourceARN = Self.rdsARN(kind: kind, identifier: id, region: sp?.region ?? ev.region,
                                                        account: sp?.account ?? ev.account)
                        }
                    }
                    if s.encrypted == nil { s.encrypted = source?.encrypted }
                    if s.keyRef == nil, sourceRef.flatMap(ARNParts.init)?.region ?? ev.region == ev.region {
                        s.keyRef = source?.keyRef
                    }
                } else {
                    if s.resourceIdentifier == nil {
                        s.resourceIdentifier = StateJSON.string(req, isCluster ? "dBClusterIdentifier" : "dBInstanceIdentifier")?.lowercased()
                    }
                    if s.resourceARN == nil, let id = s.resourceIdentifier {
                        s.resourceARN = Self.rdsARN(kind: kind, identifier: id, region: s.region, account: s.account)
                    }
                    let resource = resource(arn: s.resourceARN, at: ev.time)
                    if s.encrypted == nil { s.encrypted = resource?.encrypted }
                    if s.keyRef == nil, s.encrypted != false { s.keyRef = resource?.keyRef }
                }
                add(s)
            }
        }

        try forEachEvent(sql: timeline) { ev in
            while nextFinal < finals.count, finals[nextFinal].deletedAt! < ev.time {
                handle(.finalSnapshot(finals[nextFinal]))
                nextFinal += 1
            }
            handle(.event(ev))
        }
        for r in finals[nextFinal...] { handle(.finalSnapshot(r)) }

        try applySnapshotInventory(add: add, byARN: { byARN[$0] ?? [] })

        // Through the C API: one row per snapshot (15,000 on the 2M benchmark trail).
        let insert = try SQLiteStatement(db, """
            INSERT INTO snapshots (identifier, arn, kind, account, region, resource_identifier, resource_arn, db_resource_id,
                snapshot_type, encrypted, key_ref, key_arn, source_snapshot, created_at, created_event_id, source,
                aws_backup, deleted_at, deleted_event_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for s in all {
            if s.encrypted == true, s.keyRef == nil { s.keyRef = resource(arn: s.resourceARN, at: s.createdAt)?.keyRef }
            s.keyARN = s.encrypted == false ? nil
                : aliases.resolveKeyRef(s.keyRef, region: s.region, account: s.account, at: s.createdAt)
            let dbResource = resource(arn: s.resourceARN, at: s.createdAt)
            try insert.bind([
                s.identifier, s.arn, s.kind, s.account, s.region, s.resourceIdentifier, s.resourceARN, dbResource?.id,
                s.snapshotType, s.encrypted, s.keyRef, s.keyARN, s.sourceSnapshot, s.createdAt, s.createdEventID, s.source,
                s.awsBackup, s.deletedAt, s.deletedEventID,
            ])
            try insert.run()
        }
        summary.snapshots = all.count
    }

    /// `backup_copy_jobs`: AWS Backup `StartCopyJob`s, each tied to the snapshot (recovery point)
    /// it copies and so to its resource (KMS-008: a copy to another region or account).
    func buildCopyJobs() throws {
        let insert = try db.cachedStatement(sql: """
            INSERT INTO backup_copy_jobs (event_id, event_time, copy_job_id, account, region, source_recovery_point_arn,
                destination_vault_arn, destination_account, destination_region, snapshot_id, db_resource_id, resource_arn)
            SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, s.id, s.db_resource_id, coalesce(s.resource_arn, ?)
              FROM (SELECT 1) LEFT JOIN (SELECT id, db_resource_id, resource_arn FROM snapshots
                                          WHERE arn = ? OR arn = lower(?) ORDER BY id DESC LIMIT 1) s
            """)
        try forEachEvent(sql: Self.backupEventsSQL(names: ["StartCopyJob"])) { ev in
            let source = StateJSON.string(ev.request, "recoveryPointArn") ?? StateJSON.string(ev.request, "sourceRecoveryPointArn")
            let destination = StateJSON.string(ev.request, "destinationBackupVaultArn")
            let dp = destination.flatMap(ARNParts.init)
            // A recovery point that is the resource's own ARN (continuous backups) names its resource.
            var resourceARN: String?
            if let lower = source?.lowercased(), ARNParts.isRDS(lower), let p = ARNParts(lower),
               p.resource.hasPrefix("cluster:") || p.resource.hasPrefix("db:") {
                resourceARN = lower
            }
            try insert.execute(arguments: [ev.eventID, ev.time, StateJSON.string(ev.response, "copyJobId"), ev.account, ev.region,
                                           source, destination, dp?.account, dp?.region, resourceARN, source ?? "", source ?? ""])
        }
    }

    /// Fields of an RDS snapshot response (camelCase), where present.
    private func fillSnapshot(_ s: SnapshotRecord, from resp: JSONFields?, isCluster: Bool, region: String?, account: String?) {
        if let id = StateJSON.string(resp, isCluster ? "dBClusterIdentifier" : "dBInstanceIdentifier")?.lowercased() {
            s.resourceIdentifier = id
            // A copy's response names the original resource, which may live in another region.
            if s.resourceARN == nil, !s.source.hasPrefix("Copy") {
                s.resourceARN = Self.rdsARN(kind: s.kind, identifier: id, region: s.region ?? region, account: s.account ?? account)
            }
        }
        if let v = StateJSON.bool(resp, isCluster ? "storageEncrypted" : "encrypted") { s.encrypted = v }
        if let v = StateJSON.string(resp, "kmsKeyId") { s.keyRef = v }
    }

    /// `describe-db-snapshots` / `describe-db-cluster-snapshots` output (PascalCase).
    private func applySnapshotInventory(add: (SnapshotRecord) -> Void, byARN: (String) -> [SnapshotRecord]) throws {
        let docs = try Row.fetchAll(db, sql: """
            SELECT file_id, kind, account, region, content FROM documents
             WHERE kind IN ('db-snapshots', 'db-cluster-snapshots') ORDER BY file_id
            """)
        for doc in docs {
            let isCluster = (doc["kind"] as String) == "db-cluster-snapshots"
            guard let content = StateJSON.object(doc["content"]),
                  let items = content[isCluster ? "DBClusterSnapshots" : "DBSnapshots"] as? [[String: Any]] else { continue }
            let kind = isCluster ? "cluster" : "instance"
            for item in items {
                guard let rawID = StateJSON.string(item, isCluster ? "DBClusterSnapshotIdentifier" : "DBSnapshotIdentifier")
                else { continue }
                // Automated snapshots are named rds:ID-DATE; their ARN keeps the prefix.
                let identifier = rawID.lowercased()
                guard let arn = StateJSON.string(item, isCluster ? "DBClusterSnapshotArn" : "DBSnapshotArn")?.lowercased()
                    ?? Self.rdsARN(kind: isCluster ? "cluster-snapshot" : "snapshot", identifier: identifier,
                                   region: doc["region"], account: doc["account"]) else { continue }
                let parts = ARNParts(arn)
                let s: SnapshotRecord
                if let known = byARN(arn).last {
                    s = known
                    // Seen only deleted: inventory is what says it existed.
                    if known.createdEventID == nil { known.source = "inventory" }
                } else {
                    s = SnapshotRecord(identifier: identifier, arn: arn, kind: kind, account: parts?.account ?? doc["account"],
                                       region: parts?.region ?? doc["region"], source: "inventory")
                    add(s)
                }
                if s.resourceIdentifier == nil {
                    s.resourceIdentifier = StateJSON.string(item, isCluster ? "DBClusterIdentifier" : "DBInstanceIdentifier")?.lowercased()
                }
                if s.resourceARN == nil, let id = s.resourceIdentifier {
                    s.resourceARN = Self.rdsARN(kind: kind, identifier: id, region: s.region, account: s.account)
                }
                if s.encrypted == nil { s.encrypted = StateJSON.bool(item, isCluster ? "StorageEncrypted" : "Encrypted") }
                if s.keyRef == nil { s.keyRef = StateJSON.string(item, "KmsKeyId") }
                if s.snapshotType == nil { s.snapshotType = StateJSON.string(item, "SnapshotType") }
                if s.snapshotType == "awsbackup" { s.awsBackup = true }
                if s.createdAt == nil { s.createdAt = StateTime.canonical(item["SnapshotCreateTime"]) }
                if s.sourceSnapshot == nil { s.sourceSnapshot = StateJSON.string(item, "SourceDBSnapshotIdentifier")
                    ?? StateJSON.string(item, "SourceDBClusterSnapshotArn") }
            }
        }
    }
}
