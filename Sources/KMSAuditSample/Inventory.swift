/// The side files an auditor is given next to the trail, describing the estate as it stood
/// when the trail begins: `aws kms get-key-policy` output for the one key whose policy is
/// known only that way, and `aws rds describe-db-clusters` / `describe-db-instances` /
/// `aws kms list-aliases` output per account and region (AWS CLI JSON, 4-space indent).
enum Inventory {
    static func write(world: SampleWorld, outDir: String) throws -> Int {
        var files = 0
        let before = world.clock.start
        for s in world.streams {
            let dir = "\(outDir)/inventory/\(s.account.id)/\(s.region)"
            try SampleFiles.makeDirectories(dir)
            let old = s.resources.filter { $0.createdBeforeTrail }
            let clusters = old.filter { $0.kind == .cluster }.map { cluster($0, before: before) }
            let instances = old.filter { $0.kind == .instance }.map { instance($0, before: before) }
            try SampleFiles.write(JSONNode.object([("DBClusters", .array(clusters))]).render(.cli) + "\n", to: "\(dir)/describe-db-clusters.json")
            try SampleFiles.write(JSONNode.object([("DBInstances", .array(instances))]).render(.cli) + "\n", to: "\(dir)/describe-db-instances.json")
            let aliases: [JSONNode] = s.keys.filter { $0.createdAt == nil && $0.alias != nil }
                .sorted { $0.alias! < $1.alias! }
                .map { k in
                    .object([
                        ("AliasName", .string(k.alias!)), ("AliasArn", .string(k.aliasARN!)), ("TargetKeyId", .string(k.id)),
                        ("CreationDate", .string(SampleTime.cli(before - 86_400 * (k.awsManaged ? 600 : 200), micros: 412_000))),
                        ("LastUpdatedDate", .string(SampleTime.cli(before - 86_400 * (k.awsManaged ? 600 : 200), micros: 412_000))),
                    ])
                }
            try SampleFiles.write(JSONNode.object([("Aliases", .array(aliases))]).render(.cli) + "\n", to: "\(dir)/list-aliases.json")
            files += 3
            for k in s.keys {
                guard case .file(let policy) = k.policy else { continue }
                let pdir = "\(outDir)/policies/\(s.account.id)/\(s.region)"
                try SampleFiles.makeDirectories(pdir)
                let doc = JSONNode.object([("Policy", .string(KeyPolicies.text(policy))), ("PolicyName", "default")])
                try SampleFiles.write(doc.render(.cli) + "\n", to: "\(pdir)/\(k.id).json")
                files += 1
            }
        }
        files += try SeedControlInventory.write(world: world, outDir: outDir)
        return files
    }

    private static func cluster(_ r: DBResource, before: Int64) -> JSONNode {
        let created = before - 86_400 * 90
        let host = r.engine == .neptune ? "neptune" : "rds"
        var m: [(String, JSONNode)] = [
            ("AllocatedStorage", 1),
            ("AvailabilityZones", .array(["a", "b", "c"].map { .string(r.region + $0) })),
            ("BackupRetentionPeriod", .int(r.retention)),
            ("DBClusterIdentifier", .string(r.identifier)),
            ("DBClusterParameterGroup", .string(r.engine == .neptune ? "default.neptune1.3" : "default.\(r.engine.rawValue)")),
            ("DBSubnetGroup", "default"),
            ("Status", "available"),
            ("EarliestRestorableTime", .string(SampleTime.cli(before - 86_400 * Int64(r.retention), micros: 101_000))),
            ("Endpoint", .string("\(r.identifier).cluster-c8x2mqzk1rtp.\(r.region).\(host).amazonaws.com")),
            ("ReaderEndpoint", .string("\(r.identifier).cluster-ro-c8x2mqzk1rtp.\(r.region).\(host).amazonaws.com")),
            ("MultiAZ", .bool(r.members.count > 1)),
            ("Engine", .string(r.engine.rawValue)),
            ("EngineVersion", .string(r.engine.version)),
            ("LatestRestorableTime", .string(SampleTime.cli(before - 300, micros: 0))),
            ("Port", .int(r.engine.port)),
            ("MasterUsername", "admin"),
            ("PreferredBackupWindow", "03:14-03:44"),
            ("PreferredMaintenanceWindow", "wed:04:17-wed:04:47"),
            ("ReadReplicaIdentifiers", []),
            ("DBClusterMembers", .array(r.members.filter { $0.createdBeforeTrail }.enumerated().map { i, mem in
                .object([("DBInstanceIdentifier", .string(mem.identifier)), ("IsClusterWriter", .bool(i == 0)),
                         ("DBClusterParameterGroupStatus", "in-sync"), ("PromotionTier", 1)])
            })),
            ("VpcSecurityGroups", [.object([("VpcSecurityGroupId", "sg-0b7c2e91d4a35f608"), ("Status", "active")])]),
            ("HostedZoneId", "Z2R2ITUGPM61AM"),
            ("StorageEncrypted", .bool(r.encrypted)),
        ]
        if let k = r.key { m.append(("KmsKeyId", .string(k.arn))) }
        m += [
            ("DbClusterResourceId", .string(r.resourceID)),
            ("DBClusterArn", .string(r.arn)),
            ("AssociatedRoles", []),
            ("IAMDatabaseAuthenticationEnabled", .bool(r.engine == .neptune)),
            ("ClusterCreateTime", .string(SampleTime.cli(created, micros: 512_000))),
            ("EngineMode", "provisioned"),
            ("DeletionProtection", false),
            ("CrossAccountClone", false),
            ("TagList", []),
        ]
        return .object(m)
    }

    private static func instance(_ r: DBResource, before: Int64) -> JSONNode {
        let created = before - 86_400 * 140
        let host = r.engine == .neptune ? "neptune" : "rds"
        var m: [(String, JSONNode)] = [
            ("DBInstanceIdentifier", .string(r.identifier)),
            ("DBInstanceClass", .string(r.engine.instanceClass)),
            ("Engine", .string(r.engine.rawValue)),
            ("DBInstanceStatus", "available"),
            ("MasterUsername", .string(r.engine == .neptune ? "admin" : "dbmaster")),
            ("Endpoint", .object([("Address", .string("\(r.identifier).c8x2mqzk1rtp.\(r.region).\(host).amazonaws.com")),
                                  ("Port", .int(r.engine.port)), ("HostedZoneId", "Z2R2ITUGPM61AM")])),
            ("AllocatedStorage", .int(r.cluster == nil ? 100 : 1)),
            ("InstanceCreateTime", .string(SampleTime.cli(created, micros: 233_000))),
            ("PreferredBackupWindow", "09:23-09:53"),
            ("BackupRetentionPeriod", .int(r.retention)),
            ("DBSecurityGroups", []),
            ("VpcSecurityGroups", [.object([("VpcSecurityGroupId", "sg-0b7c2e91d4a35f608"), ("Status", "active")])]),
            ("DBParameterGroups", [.object([("DBParameterGroupName", .string("default.\(r.engine.rawValue)")), ("ParameterApplyStatus", "in-sync")])]),
            ("AvailabilityZone", .string(r.region + "b")),
            ("PreferredMaintenanceWindow", "sun:06:55-sun:07:25"),
            ("PendingModifiedValues", .object([])),
            ("MultiAZ", false),
            ("EngineVersion", .string(r.engine.version)),
            ("AutoMinorVersionUpgrade", true),
            ("ReadReplicaDBInstanceIdentifiers", []),
            ("LicenseModel", .string(r.engine == .mysql ? "general-public-license" : r.engine == .neptune ? "amazon-license" : "postgresql-license")),
            ("PubliclyAccessible", false),
            ("StorageType", .string(r.cluster == nil ? "gp3" : "aurora")),
            ("DbInstancePort", 0),
        ]
        if let c = r.cluster { m.append(("DBClusterIdentifier", .string(c.identifier))) }
        m.append(("StorageEncrypted", .bool(r.encrypted)))
        if let k = r.key { m.append(("KmsKeyId", .string(k.arn))) }
        m += [
            ("DbiResourceId", .string(r.resourceID)),
            ("CACertificateIdentifier", "rds-ca-rsa2048-g1"),
            ("CopyTagsToSnapshot", true),
            ("MonitoringInterval", 0),
            ("DBInstanceArn", .string(r.arn)),
            ("IAMDatabaseAuthenticationEnabled", false),
            ("PerformanceInsightsEnabled", false),
            ("DeletionProtection", false),
            ("TagList", []),
        ]
        return .object(m)
    }
}
