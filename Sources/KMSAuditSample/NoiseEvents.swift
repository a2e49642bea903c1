/// Background records of services other than KMS, RDS and AWS Backup: the ~65% of an
/// organization trail an auditor of database keys must read past. Shapes follow CloudTrail's
/// documented examples (S3 and DynamoDB data events, EC2/IAM/STS management calls, console
/// sign-ins), sized like real records.
enum NoiseEvents {
    typealias W = JSONWriter

    static func client(_ rng: inout SampleRNG) -> (ip: String, agent: String) {
        (rng.pick(Clients.ips), rng.pick(Clients.sdkAgents))
    }

    private static func base(_ actor: Actor, _ t: Int64, _ source: StaticString, _ name: String, _ s: SampleStream,
                             _ rng: inout SampleRNG, host: String?) -> CloudTrailRecord {
        let c = client(&rng)
        var r = CloudTrailRecord(actor: actor, time: t, source: source, name: name, region: s.region,
                                 sourceIP: c.ip, userAgent: c.agent, recipient: s.account.id)
        r.tlsHost = host
        switch actor {
        case .service(let svc): r.sourceIP = svc; r.userAgent = svc; r.tlsHost = nil
        case .role(_, _, let by?): r.sourceIP = by; r.userAgent = by; r.tlsHost = nil
        default: break
        }
        return r
    }

    static func bucket(_ s: SampleStream, _ n: Int) -> String {
        let region = s.region == "us-east-1" ? "" : "-" + s.region
        return ["acme-\(s.account.name)-assets", "acme-\(s.account.name)-uploads", "acme-\(s.account.name)-reports"][n % 3] + region
    }

    private static func appendObjectKey(_ b: inout [UInt8], _ t: Int64, _ rng: inout SampleRNG) {
        let prefixes: [StaticString] = ["uploads/", "exports/daily/", "thumbnails/", "invoices/"]
        prefixes[rng.below(prefixes.count)].withUTF8Buffer { b.append(contentsOf: $0) }
        let c = SampleTime.civil(t)
        SampleTime.four(&b, c.year); b.append(0x2F); SampleTime.two(&b, c.month); b.append(0x2F); SampleTime.two(&b, c.day); b.append(0x2F)
        FakeID.appendHex(&b, rng.next() >> 8, digits: 14)
        b.append(contentsOf: [0x2E, 0x6A, 0x73, 0x6F, 0x6E])
    }

    /// S3 GetObject / PutObject data events.
    static func s3Object(_ w: inout W, _ rng: inout SampleRNG, _ s: SampleStream, _ t: Int64, put: Bool) {
        let p = s.people
        let actor: Actor = rng.chance(0.7) ? .role(p.appServer, session: rng.below(3), invokedBy: nil)
                                           : .role(p.lambdaExec, session: rng.below(2), invokedBy: nil)
        let b = bucket(s, rng.below(3))
        var keyBytes: [UInt8] = []; keyBytes.reserveCapacity(64)
        appendObjectKey(&keyBytes, t, &rng)
        let key = String(decoding: keyBytes, as: UTF8.self)
        var r = base(actor, t, "s3.amazonaws.com", put ? "PutObject" : "GetObject", s, &rng, host: "\(b).s3.\(s.region).amazonaws.com")
        r.readOnly = !put
        r.managementEvent = false
        r.category = "Data"
        r.resources = .s3Object(bucket: b, key: key, account: s.account.id)
        let bytes = 512 + rng.below(2_000_000)
        let id2 = FakeID.chars(76, FakeID.base64, &rng)
        r.write(&w, &rng, request: { w in
            w.beginObject()
            w.field("bucketName", b)
            w.field("Host", "\(b).s3.\(s.region).amazonaws.com")
            w.field("key", key)
            if put { w.field("x-amz-server-side-encryption", safe: "aws:kms") }
            w.endObject()
        }, response: put ? { w in
            w.beginObject(); w.field("x-amz-server-side-encryption", safe: "aws:kms"); w.field("x-amz-server-side-encryption-bucket-key-enabled", safe: "true"); w.endObject()
        } : nil, additional: { w in
            w.beginObject()
            w.field("SignatureVersion", safe: "SigV4")
            w.field("CipherSuite", safe: "TLS_AES_128_GCM_SHA256")
            w.field("bytesTransferredIn", put ? bytes : 0)
            w.field("SSEApplied", safe: "SSE_KMS")
            w.field("AuthenticationMethod", safe: "AuthHeader")
            w.field("x-amz-id-2", id2)
            w.field("bytesTransferredOut", put ? 0 : bytes)
            w.endObject()
        })
    }

    /// AWS Config reading bucket settings (AWSService identity).
    static func s3Config(_ w: inout W, _ rng: inout SampleRNG, _ s: SampleStream, _ t: Int64) {
        let names = ["GetBucketAcl", "GetBucketPolicy", "GetBucketEncryption", "GetBucketVersioning", "GetBucketLogging"]
        let name = rng.pick(names)
        let b = bucket(s, rng.below(3))
        var r = base(.service("config.amazonaws.com"), t, "s3.amazonaws.com", name, s, &rng, host: nil)
        r.readOnly = true
        r.resources = .one(arn: "arn:aws:s3:::" + b, account: s.account.id, type: "AWS::S3::Bucket")
        let id2 = FakeID.chars(76, FakeID.base64, &rng)
        r.write(&w, &rng, request: { w in
            w.beginObject()
            w.field("bucketName", b)
            w.field("Host", "\(b).s3.\(s.region).amazonaws.com")
            w.key(String(name.dropFirst(9)).lowercased()); w.safe("")
            w.endObject()
        }, additional: { w in
            w.beginObject()
            w.field("SignatureVersion", safe: "SigV4")
            w.field("CipherSuite", safe: "TLS_AES_128_GCM_SHA256")
            w.field("bytesTransferredIn", 0)
            w.field("AuthenticationMethod", safe: "AuthHeader")
            w.field("x-amz-id-2", id2)
            w.field("bytesTransferredOut", 0)
            w.endObject()
        })
    }

    /// EC2 Describe* calls by people, pipelines and instances.
    static func ec2Describe(_ w: inout W, _ rng: inout SampleRNG, _ s: SampleStream, _ t: Int64) {
        let p = s.people
        let actor: Actor
        switch rng.below(5) {
        case 0: actor = .user(p.ciUser, invokedBy: nil)
        case 1: actor = .role(p.ssoReadOnly, session: 0, invokedBy: nil)
        case 2: actor = .role(p.deployRole, session: 0, invokedBy: nil)
        case 3: actor = .role(p.ssoAdmin, session: rng.below(2), invokedBy: nil)
        default: actor = .role(p.appServer, session: rng.below(3), invokedBy: nil)
        }
        let names = ["DescribeInstances", "DescribeSecurityGroups", "DescribeVolumes", "DescribeSubnets", "DescribeNetworkInterfaces", "DescribeTags"]
        let name = rng.pick(names)
        var r = base(actor, t, "ec2.amazonaws.com", name, s, &rng, host: "ec2.\(s.region).amazonaws.com")
        r.readOnly = true
        r.version = "1.10"
        let n = rng.below(4)
        r.write(&w, &rng, request: { w in
            w.beginObject()
            switch name {
            case "DescribeInstances":
                w.key("instancesSet"); w.beginObject(); w.endObject()
                w.key("filterSet"); w.beginObject(); w.key("items"); w.beginArray()
                w.beginObject(); w.field("name", safe: "tag:Environment"); w.key("valueSet"); w.beginObject(); w.key("items"); w.beginArray()
                w.beginObject(); w.field("value", s.account.name); w.endObject(); w.endArray(); w.endObject(); w.endObject()
                w.beginObject(); w.field("name", safe: "instance-state-name"); w.key("valueSet"); w.beginObject(); w.key("items"); w.beginArray()
                w.beginObject(); w.field("value", safe: "running"); w.endObject(); w.endArray(); w.endObject(); w.endObject()
                w.endArray(); w.endObject()
            case "DescribeVolumes":
                w.key("volumeSet"); w.beginObject(); w.endObject()
                w.key("filterSet"); w.beginObject(); w.endObject()
                w.field("maxResults", 500)
            default:
                w.key("filterSet"); w.beginObject(); w.key("items"); w.beginArray()
                w.beginObject(); w.field("name", safe: "vpc-id"); w.key("valueSet"); w.beginObject(); w.key("items"); w.beginArray()
                w.beginObject(); w.field("value", "vpc-0\(String(UInt64(bitPattern: Int64(s.account.id.hashValueStable)) % 0xFFFFFFF, radix: 16))"); w.endObject()
                w.endArray(); w.endObject(); w.endObject(); w.endArray(); w.endObject()
                if n > 1 { w.field("maxResults", 1000) }
            }
            w.endObject()
        })
    }

    /// STS: services assuming their roles, SAML and web-identity federation, GetCallerIdentity.
    static func sts(_ w: inout W, _ rng: inout SampleRNG, _ s: SampleStream, _ t: Int64, kind: Int) {
        let p = s.people
        let services: [(String, SampleRole)] = [("lambda.amazonaws.com", p.lambdaExec), ("ec2.amazonaws.com", p.appServer),
                                                 ("backup.amazonaws.com", p.backupRole), ("glue.amazonaws.com", p.analyticsETL)]
        let (svc, role) = services[rng.below(services.count)]
        let expiration = SampleTime.console(t + 3600, kmsComma: true)
        let newKey = "ASIA" + FakeID.chars(16, FakeID.upperAlnum, &rng)
        switch kind {
        case 0:
            var r = base(.service(svc), t, "sts.amazonaws.com", "AssumeRole", s, &rng, host: nil)
            r.readOnly = true
            r.shared = .random
            r.resources = .one(arn: role.arn, account: s.account.id, type: "AWS::IAM::Role")
            let session = rng.pick(role.sessions)
            r.write(&w, &rng, request: { w in
                w.beginObject(); w.field("roleArn", role.arn); w.field("roleSessionName", session); w.endObject()
            }, response: { w in
                w.beginObject()
                w.key("credentials"); w.beginObject()
                w.field("accessKeyId", newKey); w.field("expiration", expiration)
                w.endObject()
                w.key("assumedRoleUser"); w.beginObject()
                w.field("assumedRoleId", role.roleID + ":" + session)
                w.field("arn", "arn:aws:sts::\(s.account.id):assumed-role/\(role.name)/\(session)")
                w.endObject()
                w.endObject()
            })
        case 1:
            let users = ["jane.doe@acme.example", "analyst.kim@acme.example", "ops.oncall@acme.example"]
            let user = rng.pick(users)
            let target = p.ssoAdmin
            var r = base(.saml(account: s.account.id, userName: user), t, "sts.amazonaws.com", "AssumeRoleWithSAML", s, &rng, host: nil)
            r.userAgent = Clients.consoleAgent
            r.readOnly = true
            r.resources = .one(arn: target.arn, account: s.account.id, type: "AWS::IAM::Role")
            r.write(&w, &rng, request: { w in
                w.beginObject()
                w.field("sAMLAssertionID", "_" + String(UInt64(bitPattern: t).multipliedReportingOverflow(by: 2654435761).partialValue, radix: 16))
                w.field("roleSessionName", user)
                w.field("principalArn", "arn:aws:iam::\(s.account.id):saml-provider/AWSSSO_6a1f0c9e2b7d4a15_DO_NOT_DELETE")
                w.field("roleArn", target.arn)
                w.field("durationSeconds", 3600)
                w.endObject()
            }, response: { w in
                w.beginObject()
                w.key("credentials"); w.beginObject(); w.field("accessKeyId", newKey); w.field("expiration", expiration); w.endObject()
                w.key("assumedRoleUser"); w.beginObject()
                w.field("assumedRoleId", target.roleID + ":" + user)
                w.field("arn", "arn:aws:sts::\(s.account.id):assumed-role/\(target.name)/\(user)")
                w.endObject()
                w.field("subject", user); w.field("subjectType", safe: "persistent")
                w.field("issuer", safe: "https://portal.sso.us-east-1.amazonaws.com/saml/assertion/MTIzNDU2Nzg5MDEy")
                w.field("audience", safe: "https://signin.aws.amazon.com/saml")
                w.field("nameQualifier", safe: "r8Fq0MUBtj2zk5KwXa1pDEaGLmc=")
                w.endObject()
            })
        case 2:
            let subject = "repo:acme/\(["orders-api", "graph-loader", "infra"][rng.below(3)]):ref:refs/heads/main"
            let target = p.deployRole
            var r = base(.webIdentity(account: s.account.id, subject: subject), t, "sts.amazonaws.com", "AssumeRoleWithWebIdentity", s, &rng, host: "sts.amazonaws.com")
            r.readOnly = true
            r.resources = .one(arn: target.arn, account: s.account.id, type: "AWS::IAM::Role")
            r.write(&w, &rng, request: { w in
                w.beginObject(); w.field("roleArn", target.arn); w.field("roleSessionName", safe: "GitHubActions"); w.field("durationSeconds", 3600); w.endObject()
            }, response: { w in
                w.beginObject()
                w.key("credentials"); w.beginObject(); w.field("accessKeyId", newKey); w.field("expiration", expiration); w.endObject()
                w.field("subjectFromWebIdentityToken", subject)
                w.key("assumedRoleUser"); w.beginObject()
                w.field("assumedRoleId", target.roleID + ":GitHubActions")
                w.field("arn", "arn:aws:sts::\(s.account.id):assumed-role/\(target.name)/GitHubActions")
                w.endObject()
                w.field("provider", "arn:aws:iam::\(s.account.id):oidc-provider/token.actions.githubusercontent.com")
                w.field("audience", safe: "sts.amazonaws.com")
                w.endObject()
            })
        default:
            let actor: Actor = rng.chance(0.5) ? .user(p.ciUser, invokedBy: nil) : .role(p.deployRole, session: 0, invokedBy: nil)
            var r = base(actor, t, "sts.amazonaws.com", "GetCallerIdentity", s, &rng, host: "sts.\(s.region).amazonaws.com")
            r.readOnly = true
            r.write(&w, &rng, request: CloudTrailRecord.null)
        }
    }

    /// IAM reads (IAM is global: these land in us-east-1 only).
    static func iam(_ w: inout W, _ rng: inout SampleRNG, _ s: SampleStream, _ t: Int64) {
        let p = s.people
        let actor: Actor = rng.chance(0.5) ? .role(p.ssoAdmin, session: rng.below(2), invokedBy: nil) : .role(p.securityAuditor, session: rng.below(2), invokedBy: nil)
        let names = ["GetRole", "ListAttachedRolePolicies", "ListRolePolicies", "GetAccountSummary", "ListRoles", "GetPolicyVersion"]
        let name = rng.pick(names)
        let role = [p.dbAdmin, p.neptune, p.appServer, p.keyAdmin][rng.below(4)]
        var r = base(actor, t, "iam.amazonaws.com", name, s, &rng, host: "iam.amazonaws.com")
        r.readOnly = true
        r.write(&w, &rng, request: { w in
            w.beginObject()
            switch name {
            case "GetRole", "ListAttachedRolePolicies", "ListRolePolicies": w.field("roleName", role.name)
            case "GetPolicyVersion":
                w.field("policyArn", "arn:aws:iam::\(s.account.id):policy/\(role.name)-kms-access"); w.field("versionId", safe: "v3")
            case "ListRoles": w.field("maxItems", 100)
            default: break
            }
            w.endObject()
        })
    }

    /// Lambda invocations (data events) and configuration reads.
    static func lambda(_ w: inout W, _ rng: inout SampleRNG, _ s: SampleStream, _ t: Int64) {
        let p = s.people
        let fn = "arn:aws:lambda:\(s.region):\(s.account.id):function:\(["orders-api", "thumbnailer", "nightly-report", "graph-ingest"][rng.below(4)])"
        if rng.chance(0.8) {
            var r = base(.role(p.appServer, session: rng.below(3), invokedBy: nil), t, "lambda.amazonaws.com", "Invoke", s, &rng,
                         host: "lambda.\(s.region).amazonaws.com")
            r.readOnly = false
            r.managementEvent = false
            r.category = "Data"
            r.version = "1.08"
            r.resources = .one(arn: fn, account: s.account.id, type: "AWS::Lambda::Function")
            r.write(&w, &rng, request: { w in
                w.beginObject(); w.field("functionName", fn); w.field("invocationType", safe: "RequestResponse"); w.endObject()
            }, additional: { w in
                w.beginObject(); w.field("functionVersion", fn + ":$LATEST"); w.endObject()
            })
        } else {
            var r = base(.role(p.deployRole, session: 0, invokedBy: nil), t, "lambda.amazonaws.com", "GetFunction20150331v2", s, &rng,
                         host: "lambda.\(s.region).amazonaws.com")
            r.readOnly = true
            r.write(&w, &rng, request: { w in w.beginObject(); w.field("functionName", fn); w.endObject() })
        }
    }

    /// DynamoDB item reads and writes (data events).
    static func dynamodb(_ w: inout W, _ rng: inout SampleRNG, _ s: SampleStream, _ t: Int64) {
        let p = s.people
        let table = ["orders", "sessions", "feature-flags", "idempotency-keys"][rng.below(4)]
        let arn = "arn:aws:dynamodb:\(s.region):\(s.account.id):table/\(table)"
        let name = ["GetItem", "PutItem", "Query", "UpdateItem"][rng.below(4)]
        var r = base(.role(p.lambdaExec, session: rng.below(2), invokedBy: nil), t, "dynamodb.amazonaws.com", name, s, &rng,
                     host: "dynamodb.\(s.region).amazonaws.com")
        r.readOnly = name == "GetItem" || name == "Query"
        r.managementEvent = false
        r.category = "Data"
        r.version = "1.09"
        r.resources = .one(arn: arn, account: s.account.id, type: "AWS::DynamoDB::Table")
        let id = rng.next() % 100_000_000
        r.write(&w, &rng, request: { w in
            w.beginObject()
            w.field("tableName", table)
            if name == "Query" {
                w.field("keyConditionExpression", safe: "pk = :pk")
                w.field("limit", 50)
            } else {
                w.key("key"); w.beginObject(); w.key("pk"); w.stringBytes { b in b.append(contentsOf: "ORDER#".utf8); JSONWriter.appendInt(&b, Int(id)) }; w.endObject()
            }
            w.endObject()
        })
    }

    /// CloudWatch Logs, CloudWatch metrics, SSM parameters and Secrets Manager reads.
    static func ops(_ w: inout W, _ rng: inout SampleRNG, _ s: SampleStream, _ t: Int64) {
        let p = s.people
        switch rng.below(4) {
        case 0:
            let group = "/aws/lambda/\(["orders-api", "thumbnailer", "nightly-report"][rng.below(3)])"
            var r = base(.role(p.lambdaExec, session: rng.below(2), invokedBy: nil), t, "logs.amazonaws.com", "CreateLogStream", s, &rng,
                         host: "logs.\(s.region).amazonaws.com")
            r.readOnly = false
            let c = SampleTime.civil(t)
            let hex = FakeID.hex(32, &rng)
            r.write(&w, &rng, request: { w in
                w.beginObject(); w.field("logGroupName", group)
                w.field("logStreamName", "\(c.year)/\(c.month < 10 ? "0" : "")\(c.month)/\(c.day < 10 ? "0" : "")\(c.day)/[$LATEST]\(hex)")
                w.endObject()
            })
        case 1:
            var r = base(.role(p.ssoReadOnly, session: 0, invokedBy: nil), t, "monitoring.amazonaws.com", "GetMetricData", s, &rng,
                         host: "monitoring.\(s.region).amazonaws.com")
            r.readOnly = true
            r.write(&w, &rng, request: { w in
                w.beginObject()
                w.key("metricDataQueries"); w.beginArray()
                w.beginObject(); w.field("id", safe: "cpu"); w.key("metricStat"); w.beginObject()
                w.key("metric"); w.beginObject(); w.field("namespace", safe: "AWS/RDS"); w.field("metricName", safe: "CPUUtilization"); w.endObject()
                w.field("period", 300); w.field("stat", safe: "Average"); w.endObject(); w.field("returnData", true); w.endObject()
                w.endArray()
                w.key("startTime"); w.stringBytes { SampleTime.appendISO(&$0, t - 10_800) }
                w.key("endTime"); w.stringBytes { SampleTime.appendISO(&$0, t) }
                w.endObject()
            })
        case 2:
            var r = base(.role(p.appServer, session: rng.below(3), invokedBy: nil), t, "ssm.amazonaws.com", "GetParameter", s, &rng,
                         host: "ssm.\(s.region).amazonaws.com")
            r.readOnly = true
            let name = "/\(s.account.name)/\(["orders", "graph", "billing"][rng.below(3)])/\(["db-endpoint", "feature-flags", "api-base-url"][rng.below(3)])"
            r.write(&w, &rng, request: { w in w.beginObject(); w.field("name", name); w.field("withDecryption", false); w.endObject() })
        default:
            var r = base(.role(p.lambdaExec, session: rng.below(2), invokedBy: nil), t, "secretsmanager.amazonaws.com", "GetSecretValue", s, &rng,
                         host: "secretsmanager.\(s.region).amazonaws.com")
            r.readOnly = true
            let secret = "arn:aws:secretsmanager:\(s.region):\(s.account.id):secret:\(["orders-db-credentials", "graph-api-token", "stripe-webhook"][rng.below(3)])-\(FakeID.chars(6, FakeID.alnum, &rng))"
            r.write(&w, &rng, request: { w in w.beginObject(); w.field("secretId", secret); w.endObject() })
        }
    }

    /// Console sign-ins: IAM users, the root user, Identity Center (typed `Unknown`).
    static func signin(_ w: inout W, _ rng: inout SampleRNG, _ s: SampleStream, _ t: Int64, who: Int) {
        let p = s.people
        let actor: Actor
        switch who % 3 {
        case 0: actor = .user(p.alice, invokedBy: nil)
        case 1: actor = .unknown(account: s.account.id, userName: "jane.doe@acme.example")
        default: actor = .root(account: s.account.id)
        }
        var r = base(actor, t, "signin.amazonaws.com", "ConsoleLogin", s, &rng, host: "signin.aws.amazon.com")
        r.region = "us-east-1"
        r.userAgent = Clients.consoleAgent
        r.eventType = "AwsConsoleSignIn"
        r.readOnly = false
        r.write(&w, &rng, request: CloudTrailRecord.null, response: { w in
            w.beginObject(); w.field("ConsoleLogin", safe: "Success"); w.endObject()
        }, additional: { w in
            w.beginObject()
            w.field("LoginTo", safe: "https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true")
            w.field("MobileVersion", safe: "No")
            w.field("MFAUsed", safe: "Yes")
            w.endObject()
        })
    }

    /// A federated user (GetFederationToken) listing a bucket.
    static func federated(_ w: inout W, _ rng: inout SampleRNG, _ s: SampleStream, _ t: Int64) {
        let p = s.people
        let b = bucket(s, 2)
        var r = base(.federated(p.broker, name: ["partner-upload", "report-viewer"][rng.below(2)]), t, "s3.amazonaws.com", "ListObjects", s, &rng,
                     host: "\(b).s3.\(s.region).amazonaws.com")
        r.readOnly = true
        r.resources = .one(arn: "arn:aws:s3:::" + b, account: s.account.id, type: "AWS::S3::Bucket")
        r.write(&w, &rng, request: { w in
            w.beginObject(); w.field("bucketName", b); w.field("Host", "\(b).s3.\(s.region).amazonaws.com")
            w.field("prefix", safe: "exports/daily/"); w.field("list-type", safe: "2"); w.endObject()
        })
    }
}
