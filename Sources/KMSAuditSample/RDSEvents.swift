/// RDS / Neptune management records (`rds.amazonaws.com`; Neptune is logged as RDS, told apart
/// by `engine: "neptune"`), shaped after real 2024 CloudTrail records published in public repositories (Tests/KMSAuditTests/Fixtures): full
/// resource descriptions in responses, RDS-style timestamps (`Nov 3, 2026 3:18:55 PM`), masked
/// passwords. Also AWS Backup's `StartBackupJob`.
enum RDSEvents {
    struct Call {
        var actor: Actor
        var time: Int64
        var region: String
        var recipient: String
        var client: (ip: String, agent: String)
        var error: (code: String, message: String)? = nil
        var eventID: String? = nil

        func record(_ name: String, readOnly: Bool) -> CloudTrailRecord {
            var ip = client.ip, agent = client.agent
            var tls: String? = "rds.\(region).amazonaws.com"
            if case .role(_, _, let by?) = actor { ip = by; agent = by; tls = nil }
            if case .service(let s) = actor { ip = s; agent = s; tls = nil }
            var r = CloudTrailRecord(actor: actor, time: time, source: "rds.amazonaws.com", name: name, region: region,
                                     sourceIP: ip, userAgent: agent, recipient: recipient)
            r.version = "1.08"
            r.readOnly = readOnly
            r.errorCode = error?.code
            r.errorMessage = error?.message
            r.eventID = eventID
            r.tlsHost = tls
            return r
        }
    }

    static let masked = "HIDDEN_DUE_TO_SECURITY_REASONS"

    private static func zones(_ region: String) -> [String] { ["\(region)a", "\(region)b", "\(region)c"] }

    private static func vpc(_ r: DBResource) -> (vpc: String, sg: String, subnets: [String]) {
        let h = UInt64(truncatingIfNeeded: r.account.hashValueStable &+ r.region.hashValueStable)
        return ("vpc-0\(String(h % 0xFFFF_FFFF, radix: 16))",
                "sg-0\(String((h >> 7) % 0xFFFF_FFFF, radix: 16))",
                ["subnet-0\(String((h >> 3) % 0xFFFF_FFF, radix: 16))a", "subnet-0\(String((h >> 5) % 0xFFFF_FFF, radix: 16))b"])
    }

    /// The cluster as RDS describes it in Create/Modify/Delete responses.
    static func writeCluster(_ w: inout JSONWriter, _ r: DBResource, status: String, created: Int64, now: Int64) {
        let net = vpc(r)
        w.beginObject()
        w.field("allocatedStorage", 1)
        w.key("associatedRoles"); w.beginArray(); w.endArray()
        w.key("availabilityZones"); w.beginArray(); for z in zones(r.region) { w.string(z) }; w.endArray()
        w.field("backupRetentionPeriod", r.retention)
        w.field("clusterCreateTime", SampleTime.console(created))
        w.field("copyTagsToSnapshot", true)
        w.field("crossAccountClone", false)
        w.field("dBClusterArn", r.arn)
        w.field("dBClusterIdentifier", r.identifier)
        w.key("dBClusterMembers"); w.beginArray()
        for (i, m) in r.members.enumerated() where (m.createdAt ?? .min) <= now {
            w.beginObject()
            w.field("dBClusterParameterGroupStatus", safe: "in-sync")
            w.field("dBInstanceIdentifier", m.identifier)
            w.field("isClusterWriter", i == 0)
            w.field("promotionTier", 1)
            w.endObject()
        }
        w.endArray()
        w.field("dBClusterParameterGroup", "default.\(r.engine == .neptune ? "neptune1.3" : r.engine.rawValue)")
        w.field("dBSubnetGroup", "default-\(net.vpc)")
        w.field("dbClusterResourceId", r.resourceID)
        w.field("deletionProtection", false)
        w.key("domainMemberships"); w.beginArray(); w.endArray()
        w.field("endpoint", "\(r.identifier).cluster-c8x2mqzk1rtp.\(r.region).\(r.engine == .neptune ? "neptune" : "rds").amazonaws.com")
        w.field("engine", r.engine.rawValue)
        w.field("engineMode", safe: "provisioned")
        w.field("engineVersion", r.engine.version)
        w.field("hostedZoneId", safe: "Z2R2ITUGPM61AM")
        w.field("httpEndpointEnabled", false)
        w.field("iAMDatabaseAuthenticationEnabled", r.engine == .neptune)
        if let k = r.key { w.field("kmsKeyId", k.arn) }
        w.field("masterUsername", r.engine == .neptune ? "admin" : "master")
        w.field("multiAZ", false)
        w.field("networkType", safe: "IPV4")
        w.field("port", r.engine.port)
        w.field("preferredBackupWindow", safe: "03:14-03:44")
        w.field("preferredMaintenanceWindow", safe: "wed:04:17-wed:04:47")
        w.key("readReplicaIdentifiers"); w.beginArray(); w.endArray()
        w.field("readerEndpoint", "\(r.identifier).cluster-ro-c8x2mqzk1rtp.\(r.region).\(r.engine == .neptune ? "neptune" : "rds").amazonaws.com")
        w.field("status", status)
        w.field("storageEncrypted", r.encrypted)
        w.key("tagList"); w.beginArray(); w.endArray()
        w.key("vpcSecurityGroups"); w.beginArray()
        w.beginObject(); w.field("status", safe: "active"); w.field("vpcSecurityGroupId", net.sg); w.endObject()
        w.endArray()
        w.endObject()
    }

    /// The instance as RDS describes it in Create/Modify/Delete responses.
    static func writeInstance(_ w: inout JSONWriter, _ r: DBResource, status: String, created: Int64?) {
        let net = vpc(r)
        w.beginObject()
        w.field("allocatedStorage", r.cluster == nil ? 100 : 1)
        w.key("associatedRoles"); w.beginArray(); w.endArray()
        w.field("autoMinorVersionUpgrade", true)
        if created != nil { w.field("availabilityZone", "\(r.region)b") }
        w.field("backupRetentionPeriod", r.retention)
        w.field("backupTarget", safe: "region")
        w.field("cACertificateIdentifier", safe: "rds-ca-rsa2048-g1")
        w.key("certificateDetails"); w.beginObject(); w.field("cAIdentifier", safe: "rds-ca-rsa2048-g1"); w.endObject()
        w.field("copyTagsToSnapshot", true)
        w.field("customerOwnedIpEnabled", false)
        if let c = r.cluster { w.field("dBClusterIdentifier", c.identifier) }
        w.field("dBInstanceArn", r.arn)
        w.field("dBInstanceClass", r.engine.instanceClass)
        w.field("dBInstanceIdentifier", r.identifier)
        w.field("dBInstanceStatus", status)
        w.key("dBParameterGroups"); w.beginArray()
        w.beginObject(); w.field("dBParameterGroupName", "default.\(r.engine.rawValue)"); w.field("parameterApplyStatus", safe: "in-sync"); w.endObject()
        w.endArray()
        w.key("dBSecurityGroups"); w.beginArray(); w.endArray()
        w.key("dBSubnetGroup"); w.beginObject()
        w.field("dBSubnetGroupDescription", safe: "default")
        w.field("dBSubnetGroupName", "default-\(net.vpc)")
        w.field("subnetGroupStatus", safe: "Complete")
        w.key("subnets"); w.beginArray()
        for (i, s) in net.subnets.enumerated() {
            w.beginObject()
            w.key("subnetAvailabilityZone"); w.beginObject(); w.field("name", zones(r.region)[i]); w.endObject()
            w.field("subnetIdentifier", s)
            w.key("subnetOutpost"); w.beginObject(); w.endObject()
            w.field("subnetStatus", safe: "Active")
            w.endObject()
        }
        w.endArray()
        w.field("vpcId", net.vpc)
        w.endObject()
        w.field("dbInstancePort", 0)
        w.field("dbiResourceId", r.resourceID)
        w.field("dedicatedLogVolume", false)
        w.field("deletionProtection", false)
        w.key("domainMemberships"); w.beginArray(); w.endArray()
        w.field("engine", r.engine.rawValue)
        w.field("engineVersion", r.engine.version)
        w.field("iAMDatabaseAuthenticationEnabled", false)
        if let created { w.field("instanceCreateTime", SampleTime.console(created)) }
        if let k = r.key { w.field("kmsKeyId", k.arn) }
        w.field("licenseModel", r.engine == .mysql ? "general-public-license" : r.engine == .neptune ? "amazon-license" : "postgresql-license")
        w.field("masterUsername", r.engine == .neptune ? "admin" : "dbmaster")
        w.field("monitoringInterval", 0)
        w.field("multiAZ", false)
        w.field("networkType", safe: "IPV4")
        w.key("optionGroupMemberships"); w.beginArray()
        w.beginObject(); w.field("optionGroupName", "default:\(r.engine.rawValue)"); w.field("status", safe: "in-sync"); w.endObject()
        w.endArray()
        w.key("pendingModifiedValues"); w.beginObject()
        if status == "creating" && r.cluster == nil { w.field("masterUserPassword", masked) }
        w.endObject()
        w.field("performanceInsightsEnabled", false)
        w.field("preferredBackupWindow", safe: "09:23-09:53")
        w.field("preferredMaintenanceWindow", safe: "sun:06:55-sun:07:25")
        w.field("publiclyAccessible", false)
        w.key("readReplicaDBInstanceIdentifiers"); w.beginArray(); w.endArray()
        w.field("storageEncrypted", r.encrypted)
        w.field("storageThroughput", 0)
        w.field("storageType", r.cluster == nil ? "gp3" : "aurora")
        w.key("tagList"); w.beginArray(); w.endArray()
        w.key("vpcSecurityGroups"); w.beginArray()
        w.beginObject(); w.field("status", safe: "active"); w.field("vpcSecurityGroupId", net.sg); w.endObject()
        w.endArray()
        w.endObject()
    }

    /// CreateDBCluster; `requestKey` is how the caller named the key (nil: none passed).
    static func createCluster(_ w: inout JSONWriter, _ rng: inout SampleRNG, _ c: Call, _ r: DBResource, requestKey: String?) {
        let net = vpc(r)
        c.record("CreateDBCluster", readOnly: false).write(&w, &rng, request: { w in
            w.beginObject()
            w.field("backupRetentionPeriod", r.retention)
            w.field("dBClusterIdentifier", r.identifier)
            w.field("dBSubnetGroupName", "default-\(net.vpc)")
            w.field("deletionProtection", false)
            w.field("engine", r.engine.rawValue)
            w.field("engineVersion", r.engine.version)
            if let requestKey { w.field("kmsKeyId", requestKey) }
            if r.engine != .neptune { w.field("masterUserPassword", masked); w.field("masterUsername", "master") }
            w.field("storageEncrypted", r.encrypted)
            w.key("vpcSecurityGroupIds"); w.beginArray(); w.string(net.sg); w.endArray()
            w.endObject()
        }, response: { w in writeCluster(&w, r, status: "creating", created: c.time, now: c.time) })
    }

    static func createInstance(_ w: inout JSONWriter, _ rng: inout SampleRNG, _ c: Call, _ r: DBResource, requestKey: String?) {
        c.record("CreateDBInstance", readOnly: false).write(&w, &rng, request: { w in
            w.beginObject()
            if r.cluster == nil { w.field("allocatedStorage", 100) }
            if r.cluster == nil { w.field("backupRetentionPeriod", r.retention) }
            if let cl = r.cluster { w.field("dBClusterIdentifier", cl.identifier) }
            w.field("dBInstanceClass", r.engine.instanceClass)
            w.field("dBInstanceIdentifier", r.identifier)
            w.field("engine", r.engine.rawValue)
            if let requestKey { w.field("kmsKeyId", requestKey) }
            if r.cluster == nil {
                w.field("masterUserPassword", masked); w.field("masterUsername", "dbmaster")
                w.field("storageEncrypted", r.encrypted)
            }
            w.endObject()
        }, response: { w in writeInstance(&w, r, status: "creating", created: nil) })
    }

    /// ModifyDBInstance / ModifyDBCluster changing the class or a maintenance setting; the
    /// response is the resulting state.
    static func modify(_ w: inout JSONWriter, _ rng: inout SampleRNG, _ c: Call, _ r: DBResource, created: Int64) {
        let cluster = r.kind == .cluster
        c.record(cluster ? "ModifyDBCluster" : "ModifyDBInstance", readOnly: false).write(&w, &rng, request: { w in
            w.beginObject()
            w.field("applyImmediately", true)
            w.field(cluster ? "dBClusterIdentifier" : "dBInstanceIdentifier", r.identifier)
            if cluster { w.field("preferredMaintenanceWindow", safe: "wed:04:17-wed:04:47") } else { w.field("cACertificateIdentifier", safe: "rds-ca-rsa2048-g1") }
            w.endObject()
        }, response: { w in
            if cluster { writeCluster(&w, r, status: "available", created: created, now: c.time) }
            else { writeInstance(&w, r, status: "modifying", created: created) }
        })
    }

    static func delete(_ w: inout JSONWriter, _ rng: inout SampleRNG, _ c: Call, _ r: DBResource, created: Int64, skipFinalSnapshot: Bool?) {
        let cluster = r.kind == .cluster
        c.record(cluster ? "DeleteDBCluster" : "DeleteDBInstance", readOnly: false).write(&w, &rng, request: { w in
            w.beginObject()
            w.field(cluster ? "dBClusterIdentifier" : "dBInstanceIdentifier", r.identifier)
            if let skip = skipFinalSnapshot {
                if !cluster { w.field("deleteAutomatedBackups", skip) }
                if !skip { w.field("finalDBSnapshotIdentifier", "\(r.identifier)-final") }
                w.field("skipFinalSnapshot", skip)
            }
            w.endObject()
        }, response: { w in
            if cluster { writeCluster(&w, r, status: "deleting", created: created, now: c.time) }
            else { writeInstance(&w, r, status: "deleting", created: created) }
        })
    }

    /// CreateDBClusterSnapshot / CreateDBSnapshot.
    static func snapshot(_ w: inout JSONWriter, _ rng: inout SampleRNG, _ c: Call, _ r: DBResource, id: String, automated: Bool = false) {
        let cluster = r.kind == .cluster
        let arn = "arn:aws:rds:\(r.region):\(r.account):\(cluster ? "cluster-snapshot" : "snapshot"):\(id)"
        c.record(cluster ? "CreateDBClusterSnapshot" : "CreateDBSnapshot", readOnly: false).write(&w, &rng, request: { w in
            w.beginObject()
            w.field(cluster ? "dBClusterIdentifier" : "dBInstanceIdentifier", r.identifier)
            w.field(cluster ? "dBClusterSnapshotIdentifier" : "dBSnapshotIdentifier", id)
            w.endObject()
        }, response: { w in
            writeSnapshot(&w, r, id: id, arn: arn, key: r.key, time: c.time, type: automated ? "awsbackup" : "manual", source: nil)
        })
    }

    /// CopyDBClusterSnapshot / CopyDBSnapshot, re-encrypting under `key`.
    static func copySnapshot(_ w: inout JSONWriter, _ rng: inout SampleRNG, _ c: Call, _ r: DBResource, source: String,
                             target: String, key: SampleKey) {
        let cluster = r.kind == .cluster
        let kind = cluster ? "cluster-snapshot" : "snapshot"
        let sourceARN = "arn:aws:rds:\(r.region):\(r.account):\(kind):\(source)"
        let arn = "arn:aws:rds:\(r.region):\(r.account):\(kind):\(target)"
        c.record(cluster ? "CopyDBClusterSnapshot" : "CopyDBSnapshot", readOnly: false).write(&w, &rng, request: { w in
            w.beginObject()
            w.field("copyTags", true)
            w.field("kmsKeyId", key.arn)
            w.field(cluster ? "sourceDBClusterSnapshotIdentifier" : "sourceDBSnapshotIdentifier", sourceARN)
            w.field(cluster ? "targetDBClusterSnapshotIdentifier" : "targetDBSnapshotIdentifier", target)
            w.endObject()
        }, response: { w in
            writeSnapshot(&w, r, id: target, arn: arn, key: key, time: c.time, type: "manual", source: sourceARN)
        })
    }

    private static func writeSnapshot(_ w: inout JSONWriter, _ r: DBResource, id: String, arn: String, key: SampleKey?,
                                      time: Int64, type: String, source: String?) {
        let cluster = r.kind == .cluster
        w.beginObject()
        w.field("allocatedStorage", cluster ? 1 : 100)
        w.key("availabilityZones"); w.beginArray(); for z in zones(r.region) { w.string(z) }; w.endArray()
        w.field(cluster ? "dBClusterIdentifier" : "dBInstanceIdentifier", r.identifier)
        w.field(cluster ? "dBClusterSnapshotArn" : "dBSnapshotArn", arn)
        w.field(cluster ? "dBClusterSnapshotIdentifier" : "dBSnapshotIdentifier", id)
        w.field(cluster ? "dbClusterResourceId" : "dbiResourceId", r.resourceID)
        w.field("engine", r.engine.rawValue)
        w.field("engineVersion", r.engine.version)
        w.field("iAMDatabaseAuthenticationEnabled", false)
        if let key { w.field("kmsKeyId", key.arn) }
        w.field("percentProgress", 0)
        w.field("port", r.engine.port)
        w.field("snapshotCreateTime", SampleTime.console(time))
        w.field("snapshotType", type)
        if let source { w.field(cluster ? "sourceDBClusterSnapshotArn" : "sourceDBSnapshotIdentifier", source) }
        w.field("status", safe: "creating")
        w.field("storageEncrypted", key != nil)
        w.key("tagList"); w.beginArray(); w.endArray()
        w.field("vpcId", vpc(r).vpc)
        w.endObject()
    }

    /// Describe* and other read-only calls (the response is never logged).
    static func describe(_ w: inout JSONWriter, _ rng: inout SampleRNG, _ c: Call, _ name: String, member: (StaticString, String)?) {
        c.record(name, readOnly: true).write(&w, &rng, request: { w in
            w.beginObject()
            if let member { w.key(member.0); w.string(member.1) }
            w.field("maxRecords", 100)
            w.endObject()
        })
    }

    /// A call the caller's IAM policy refused (`errorCode: AccessDenied`, as RDS writes it).
    static func denied(_ w: inout JSONWriter, _ rng: inout SampleRNG, _ c: Call, _ name: String, principalARN: String, target: String) {
        var c = c
        c.error = ("AccessDenied", "User: \(principalARN) is not authorized to perform: rds:\(name) on resource: \(target) because no identity-based policy allows the rds:\(name) action")
        c.record(name, readOnly: false).write(&w, &rng, request: { w in
            w.beginObject(); w.field("dBSnapshotIdentifier", target.split(separator: ":").last.map(String.init) ?? target); w.endObject()
        })
    }

    /// AWS Backup starting a job for a resource (eventSource backup.amazonaws.com).
    static func startBackupJob(_ w: inout JSONWriter, _ rng: inout SampleRNG, _ c: Call, _ r: DBResource, role: SampleRole) {
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
            w.field("startWindowMinutes", 480)
            w.field("completeWindowMinutes", 10080)
            w.key("lifecycle"); w.beginObject(); w.field("deleteAfterDays", 35); w.endObject()
            w.endObject()
        }, response: { w in
            w.beginObject()
            w.field("backupJobId", jobID)
            w.field("creationDate", SampleTime.console(c.time))
            w.field("isParent", false)
            w.endObject()
        })
    }
}

extension String {
    /// A hash that is the same in every process (Swift's `hashValue` is randomly seeded).
    var hashValueStable: Int {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for b in utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        return Int(truncatingIfNeeded: h)
    }
}
