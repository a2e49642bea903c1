/// KMS records in the shapes of the KMS developer guide's CloudTrail examples and the 2024
/// records from a real account (see the real samples in Tests/KMSAuditTests/Fixtures): crypto calls, grants, key lifecycle,
/// policies and aliases.
enum KMSEvents {
    /// How the caller named the key in `requestParameters.keyId`.
    enum KeyRef { case arn, id, alias, aliasARN, absent }

    /// How the record lists the key in `resources[]`.
    enum ResourceStyle {
        case modern, legacy, none
        /// Only the alias ARN (CloudTrail labels it `AWS::KMS::Key` too).
        case aliasOnly
    }

    /// One KMS call: who, on which key, when, how it was named and how it ended.
    struct Call {
        var actor: Actor
        var key: SampleKey
        var time: Int64
        var ref: KeyRef = .arn
        var style: ResourceStyle = .modern
        /// The account whose trail receives this copy (the caller's for a cross-account call).
        var recipient: String
        var error: (code: String, message: String)? = nil
        var eventID: String? = nil
        var shared: CloudTrailRecord.Shared = .none
        /// Source address and agent of a person or program (ignored for service actors).
        var client: (ip: String, agent: String) = (Clients.ips[0], Clients.sdkAgents[0])

        init(actor: Actor, key: SampleKey, time: Int64, recipient: String? = nil) {
            self.actor = actor; self.key = key; self.time = time; self.recipient = recipient ?? key.account
            if key.aliasOnly { ref = .alias; style = .none }
        }

        var keyID: String? {
            switch ref {
            case .arn: return key.arn
            case .id: return key.id
            case .alias: return key.alias
            case .aliasARN: return key.aliasARN
            case .absent: return nil
            }
        }

        /// The envelope with what every KMS record of this call has in common.
        func record(_ name: String, readOnly: Bool) -> CloudTrailRecord {
            var ip = client.ip, agent = client.agent
            var tls: String? = "kms.\(key.region).amazonaws.com"
            switch actor {
            case .role(_, _, let by?), .user(_, let by?):
                ip = by; agent = by; tls = nil
            case .service(let s):
                ip = s; agent = s; tls = nil
            case .awsInternal:
                ip = "AWS Internal"; agent = "AWS Internal"; tls = nil
            default: break
            }
            var r = CloudTrailRecord(actor: actor, time: time, source: "kms.amazonaws.com", name: name, region: key.region,
                                     sourceIP: ip, userAgent: agent, recipient: recipient)
            r.readOnly = readOnly
            r.errorCode = error?.code
            r.errorMessage = error?.message
            r.eventID = eventID
            r.shared = shared
            r.tlsHost = style == .legacy || ip == "AWS Internal" ? nil : tls
            switch style {
            case .modern: r.resources = .key(key)
            case .legacy: r.resources = .legacy([(key.arn, key.account)]); r.version = "1.05"; r.managementEvent = nil
            case .none: r.version = "1.05"
            case .aliasOnly: r.resources = .modern([(key.aliasARN!, key.account, "AWS::KMS::Key")])
            }
            return r
        }

        func writeKeyID(_ w: inout JSONWriter) { if let id = keyID { w.field("keyId", id) } }
    }

    typealias Context = [(String, String)]

    private static func writeContext(_ w: inout JSONWriter, _ context: Context) {
        guard !context.isEmpty else { return }
        w.key("encryptionContext"); w.beginObject()
        for (k, v) in context { w.key(k); w.string(v) }
        w.endObject()
    }

    /// Encrypt, Decrypt, GenerateDataKey, GenerateDataKeyWithoutPlaintext.
    static func crypto(_ w: inout JSONWriter, _ rng: inout SampleRNG, _ name: String, _ c: Call, context: Context) {
        c.record(name, readOnly: true).write(&w, &rng, request: { w in
            w.beginObject()
            switch name {
            case "Decrypt":
                w.field("encryptionAlgorithm", safe: "SYMMETRIC_DEFAULT")
                c.writeKeyID(&w)
            case "Encrypt":
                c.writeKeyID(&w)
                w.field("encryptionAlgorithm", safe: "SYMMETRIC_DEFAULT")
            default:
                c.writeKeyID(&w)
                w.field("keySpec", safe: "AES_256")
            }
            writeContext(&w, context)
            w.endObject()
        })
    }

    /// DescribeKey, GetKeyRotationStatus, ListResourceTags, ListGrants, GetKeyPolicy.
    static func read(_ w: inout JSONWriter, _ rng: inout SampleRNG, _ name: String, _ c: Call) {
        c.record(name, readOnly: true).write(&w, &rng, request: { w in
            w.beginObject()
            c.writeKeyID(&w)
            if name == "GetKeyPolicy" { w.field("policyName", safe: "default") }
            if name == "ListGrants" || name == "ListResourceTags" { w.field("limit", 100) }
            w.endObject()
        })
    }

    /// The operations RDS asks for when it creates a grant for a DB resource.
    static let rdsGrantOperations: [StaticString] = [
        "Decrypt", "Encrypt", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom", "ReEncryptTo",
        "CreateGrant", "RetireGrant", "DescribeKey",
    ]

    static func createGrant(_ w: inout JSONWriter, _ rng: inout SampleRNG, _ c: Call, grantee: String,
                            operations: [StaticString], grantID: String) {
        c.record("CreateGrant", readOnly: false).write(&w, &rng, request: { w in
            w.beginObject()
            c.writeKeyID(&w)
            w.field("granteePrincipal", grantee)
            w.field("retiringPrincipal", grantee)
            w.key("operations"); w.beginArray(); for o in operations { w.safe(o) }; w.endArray()
            w.endObject()
        }, response: c.error != nil ? nil : { w in
            w.beginObject(); w.field("grantId", grantID); w.field("keyId", c.key.arn); w.endObject()
        })
    }

    /// RetireGrant: `requestParameters` null, the grant id in `additionalEventData`, the key only
    /// in `resources[]`.
    static func retireGrant(_ w: inout JSONWriter, _ rng: inout SampleRNG, _ c: Call, grantID: String) {
        c.record("RetireGrant", readOnly: false).write(&w, &rng, request: CloudTrailRecord.null, additional: { w in
            w.beginObject(); w.field("grantId", grantID); w.endObject()
        })
    }

    static func revokeGrant(_ w: inout JSONWriter, _ rng: inout SampleRNG, _ c: Call, grantID: String) {
        c.record("RevokeGrant", readOnly: false).write(&w, &rng, request: { w in
            w.beginObject(); c.writeKeyID(&w); w.field("grantId", grantID); w.endObject()
        })
    }

    /// CreateKey; `policy` nil means the caller passed none (AWS's default policy applies).
    static func createKey(_ w: inout JSONWriter, _ rng: inout SampleRNG, _ c: Call, description: String, policy: String?) {
        var c = c
        c.ref = .absent
        c.record("CreateKey", readOnly: false).write(&w, &rng, request: { w in
            w.beginObject()
            w.field("description", description)
            w.field("keyUsage", safe: "ENCRYPT_DECRYPT")
            w.field("keySpec", safe: "SYMMETRIC_DEFAULT")
            w.field("customerMasterKeySpec", safe: "SYMMETRIC_DEFAULT")
            w.field("origin", safe: "AWS_KMS")
            w.field("bypassPolicyLockoutSafetyCheck", false)
            if let policy { w.field("policy", policy) }
            w.endObject()
        }, response: { w in
            w.beginObject(); w.key("keyMetadata"); w.beginObject()
            w.field("AWSAccountId", c.key.account)
            w.field("keyId", c.key.id)
            w.field("arn", c.key.arn)
            w.field("creationDate", SampleTime.console(c.time, kmsComma: true))
            w.field("enabled", true)
            w.field("description", description)
            w.field("keyUsage", safe: "ENCRYPT_DECRYPT")
            w.field("keyState", safe: "Enabled")
            w.field("origin", safe: "AWS_KMS")
            w.field("keyManager", safe: "CUSTOMER")
            w.field("customerMasterKeySpec", safe: "SYMMETRIC_DEFAULT")
            w.field("keySpec", safe: "SYMMETRIC_DEFAULT")
            w.key("encryptionAlgorithms"); w.beginArray(); w.safe("SYMMETRIC_DEFAULT"); w.endArray()
            w.field("multiRegion", false)
            w.endObject(); w.endObject()
        })
    }

    static func putKeyPolicy(_ w: inout JSONWriter, _ rng: inout SampleRNG, _ c: Call, policy: String) {
        c.record("PutKeyPolicy", readOnly: false).write(&w, &rng, request: { w in
            w.beginObject()
            c.writeKeyID(&w)
            w.field("policyName", safe: "default")
            w.field("policy", policy)
            w.field("bypassPolicyLockoutSafetyCheck", false)
            w.endObject()
        })
    }

    /// CreateAlias / UpdateAlias / DeleteAlias: resources list the alias ARN and the key ARN.
    static func alias(_ w: inout JSONWriter, _ rng: inout SampleRNG, _ name: String, _ c: Call, alias: String) {
        var r = c.record(name, readOnly: false)
        let aliasARN = "arn:aws:kms:\(c.key.region):\(c.key.account):\(alias)"
        r.resources = .modern([(c.key.arn, c.key.account, "AWS::KMS::Key"), (aliasARN, c.key.account, "AWS::KMS::Key")])
        r.write(&w, &rng, request: { w in
            w.beginObject()
            w.field("aliasName", alias)
            if name != "DeleteAlias" { w.field("targetKeyId", c.key.id) }
            w.endObject()
        })
    }

    /// DisableKey, EnableKey, CancelKeyDeletion, EnableKeyRotation.
    static func lifecycle(_ w: inout JSONWriter, _ rng: inout SampleRNG, _ name: String, _ c: Call) {
        c.record(name, readOnly: false).write(&w, &rng, request: { w in
            w.beginObject(); c.writeKeyID(&w)
            if name == "EnableKeyRotation" { w.field("rotationPeriodInDays", 365) }
            w.endObject()
        }, response: name == "EnableKey" || name == "EnableKeyRotation" ? nil : { w in
            w.beginObject(); w.field("keyId", c.key.arn); w.endObject()
        })
    }

    static func scheduleKeyDeletion(_ w: inout JSONWriter, _ rng: inout SampleRNG, _ c: Call, days: Int) {
        c.record("ScheduleKeyDeletion", readOnly: false).write(&w, &rng, request: { w in
            w.beginObject(); c.writeKeyID(&w); w.field("pendingWindowInDays", days); w.endObject()
        }, response: { w in
            w.beginObject()
            w.field("keyId", c.key.arn)
            w.field("keyState", safe: "PendingDeletion")
            w.field("deletionDate", SampleTime.console(c.time + Int64(days) * 86_400, kmsComma: true))
            w.field("pendingWindowInDays", days)
            w.endObject()
        })
    }

    /// DeleteKey at the end of the waiting period: an AWS service event without `type`.
    static func deleteKey(_ w: inout JSONWriter, _ rng: inout SampleRNG, _ c: Call) {
        var r = c.record("DeleteKey", readOnly: false)
        r.eventType = "AwsServiceEvent"
        r.hasRequestID = false
        r.write(&w, &rng, request: CloudTrailRecord.null)
    }

    /// ListAliases / ListKeys: no key involved.
    static func list(_ w: inout JSONWriter, _ rng: inout SampleRNG, _ name: String, actor: Actor, time: Int64,
                     region: String, recipient: String, client: (ip: String, agent: String)) {
        var r = CloudTrailRecord(actor: actor, time: time, source: "kms.amazonaws.com", name: name, region: region,
                                 sourceIP: client.ip, userAgent: client.agent, recipient: recipient)
        r.readOnly = true
        r.tlsHost = "kms.\(region).amazonaws.com"
        r.write(&w, &rng, request: { w in w.beginObject(); w.field("limit", 100); w.endObject() })
    }
}
