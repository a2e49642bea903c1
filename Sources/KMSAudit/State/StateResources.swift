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
    /// (they show the resulting state; Modify requests hold only what changed).
    func buildResources(_ events: [RDSEvent]) throws {
        func incarnations(_ arn: String) -> [ResourceRecord] { resourcesByARN[arn] ?? [] }
        func add(_ r: ResourceRecord) {
            resources.append(r)
            resourcesByARN[r.arn, default: []].append(r)
        }

        for ev in events {
            let isCluster = ev.name.contains("DBCluster")
            let kind = isCluster ? "cluster" : "instance"
            let req = ev.request, resp = ev.response
            let idKey = isCluster ? "dBClusterIdentifier" : "dBInstanceIdentifier"
            guard let rawID = StateJSON.string(resp, idKey) ?? StateJSON.string(req, idKey)
                ?? StateJSON.string(req, "targetDBInstanceIdentifier") else { continue }
            let identifier = rawID.lowercased()
            let arnKey = isCluster ? "dBClusterArn" : "dBInstanceArn"
            guard let arn = (StateJSON.string(resp, arnKey)?.lowercased())
                ?? Self.rdsARN(kind: kind, identifier: identifier, region: ev.region, account: ev.account) else { continue }
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
            if let v = StateJSON.bool(resp, "storageEncrypted") ?? StateJSON.bool(req, "storageEncrypted") { r.encrypted = v }
            if let v = StateJSON.string(resp, "kmsKeyId") ?? StateJSON.string(req, "kmsKeyId") { r.keyRef = v }
            let pending = StateJSON.dict(resp, "pendingModifiedValues")
            if let v = StateJSON.int(pending, "backupRetentionPeriod") ?? StateJSON.int(resp, "backupRetentionPeriod")
                ?? StateJSON.int(req, "backupRetentionPeriod") {
                r.retention = v
            }
            if !isCluster, let v = StateJSON.string(resp, "dBClusterIdentifier") ?? StateJSON.string(req, "dBClusterIdentifier") {
                r.clusterIdentifier = v.lowercased()
            }
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
                                   status: StateJSON.string(resp, "status") ?? StateJSON.string(resp, "dBInstanceStatus")))
        }

        try applyResourceInventory(add: add)

        // Members take encryption and backups from their cluster (RULES.md Decision 10).
        for r in resources where r.kind == "instance" {
            guard let clusterID = r.clusterIdentifier,
                  let clusterARN = Self.rdsARN(kind: "cluster", identifier: clusterID, region: r.region, account: r.account)
            else { continue }
            r.clusterARN = clusterARN
            guard let cluster = resource(arn: clusterARN, at: r.createdAt) else { continue }
            r.encrypted = cluster.encrypted ?? r.encrypted
            r.keyRef = cluster.keyRef ?? r.keyRef
            r.retention = cluster.retention ?? r.retention
        }
        for r in resources {
            // Encrypted without kmsKeyId: the account's aws/rds key (RULES.md Terms "DB resource").
            if r.encrypted == true, r.keyRef == nil { r.keyRef = "alias/aws/rds" }
            let at = r.changes.first(where: { $0.keyRef != nil && $0.time != nil })?.time ?? r.createdAt
            r.keyARN = r.encrypted == false ? nil
                : aliases.resolveKeyRef(r.keyRef, region: r.region, account: r.account, at: at)
        }

        let insert = try db.cachedStatement(sql: """
            INSERT INTO db_resources (arn, identifier, kind, engine, account, region, cluster_identifier, cluster_arn,
                resource_id, storage_encrypted, kms_key_ref, kms_key_arn, backup_retention_period, created_at,
                created_event_id, last_event_at, deleted_at, deleted_event_id, skip_final_snapshot,
                final_snapshot_identifier, source)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        let insertChange = try db.cachedStatement(sql: """
            INSERT INTO db_resource_changes (db_resource_id, arn, event_time, event_name, event_id, file_id, principal,
                backup_retention_period, storage_encrypted, kms_key_ref, kms_key_arn, status)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for r in resources {
            let source = r.fromEvents && r.fromInventory ? "events+inventory" : r.fromEvents ? "events" : "inventory"
            try insert.execute(arguments: [
                r.arn, r.identifier, r.kind, r.engine, r.account, r.region, r.clusterIdentifier, r.clusterARN,
                r.resourceID, r.encrypted, r.keyRef, r.keyARN, r.retention, r.createdAt, r.createdEventID,
                r.lastEventAt, r.deletedAt, r.deletedEventID, r.skipFinalSnapshot, r.finalSnapshotIdentifier, source,
            ])
            r.id = db.lastInsertedRowID
            for c in r.changes.sorted(by: { ($0.time ?? "") < ($1.time ?? "") }) {
                let keyRef = c.keyRef ?? (c.encrypted == true ? r.keyRef : nil)
                let keyARN = c.encrypted == false ? nil
                    : aliases.resolveKeyRef(keyRef, region: r.region, account: r.account, at: c.time ?? r.createdAt)
                try insertChange.execute(arguments: [r.id, r.arn, c.time, c.eventName, c.eventID, c.fileID, c.principal,
                                                     c.retention, c.encrypted, keyRef, keyARN, c.status])
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
                if r.encrypted == nil { r.encrypted = encrypted }
                if r.keyRef == nil { r.keyRef = keyRef }
                if r.retention == nil { r.retention = retention }
                if !isCluster, r.clusterIdentifier == nil {
                    r.clusterIdentifier = StateJSON.string(item, "DBClusterIdentifier")?.lowercased()
                }
                if r.createdAt == nil {
                    r.createdAt = StateTime.canonical(item[isCluster ? "ClusterCreateTime" : "InstanceCreateTime"])
                }
                r.changes.insert(.init(time: nil, eventName: "inventory", eventID: nil, fileID: doc["file_id"],
                                       principal: nil, retention: retention, encrypted: encrypted, keyRef: keyRef,
                                       status: StateJSON.string(item, "Status") ?? StateJSON.string(item, "DBInstanceStatus")),
                                 at: 0)
            }
        }
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
    func buildSnapshots(_ events: [RDSEvent], backupJobs: [RDSEvent]) throws {
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

        // One timeline: snapshot events, backup jobs and final snapshots of deletes.
        enum Item { case event(RDSEvent), finalSnapshot(ResourceRecord) }
        var timeline: [(time: String, order: Int64, item: Item)] = events.map { ($0.time, $0.rowID, .event($0)) }
        timeline += backupJobs.map { ($0.time, $0.rowID, .event($0)) }
        for r in resources where r.deletedAt != nil && r.skipFinalSnapshot != true && r.finalSnapshotIdentifier != nil {
            timeline.append((r.deletedAt!, Int64.max, .finalSnapshot(r)))
        }
        timeline.sort { ($0.time, $0.order) < ($1.time, $1.order) }

        for entry in timeline {
            switch entry.item {
            case .finalSnapshot(let r):
                let identifier = r.finalSnapshotIdentifier!.lowercased()
                guard let arn = Self.rdsARN(kind: r.kind == "cluster" ? "cluster-snapshot" : "snapshot",
                                            identifier: identifier, region: r.region, account: r.account) else { continue }
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
                      let rp = ARNParts(resourceARN) else { continue }
                let kind = rp.resource.hasPrefix("cluster:") ? "cluster" : rp.resource.hasPrefix("db:") ? "instance" : nil
                guard let kind else { continue }
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
                else { continue }
                let identifier = rawID.lowercased()
                guard let arn = StateJSON.string(resp, isCluster ? "dBClusterSnapshotArn" : "dBSnapshotArn")?.lowercased()
                    ?? Self.rdsARN(kind: isCluster ? "cluster-snapshot" : "snapshot", identifier: identifier,
                                   region: ev.region, account: ev.account) else { continue }
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
                    continue
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
