/// The accounts of the sample organization and the principals acting in them. Every
/// `userIdentity.type` CloudTrail writes appears somewhere: IAMUser, AssumedRole, Root,
/// AWSService, AWSAccount, FederatedUser, SAMLUser, WebIdentityUser, Unknown, and AWS's own
/// service events (no type, `invokedBy: "AWS Internal"`).
struct SampleAccount {
    let id: String
    let name: String
    var root: String { "arn:aws:iam::\(id):root" }
}

/// An IAM role; calls made with it show up as `AssumedRole` sessions.
final class SampleRole {
    let account: String
    let name: String
    /// `/` or e.g. `/aws-reserved/sso.amazonaws.com/`.
    let path: String
    let roleID: String
    let sessions: [String]
    let hash: UInt64

    init(account: String, name: String, path: String = "/", sessions: [String], rng: inout SampleRNG) {
        self.account = account; self.name = name; self.path = path; self.sessions = sessions
        roleID = "AROA" + FakeID.chars(17, FakeID.upperAlnum, &rng)
        hash = rng.next()
    }

    var arn: String { "arn:aws:iam::\(account):role\(path)\(name)" }
    func sessionARN(_ s: Int) -> String { "arn:aws:sts::\(account):assumed-role/\(name)/\(sessions[s])" }
}

/// An IAM user with a long-term access key.
final class SampleUser {
    let account: String
    let name: String
    let userID: String
    let accessKey: String

    init(account: String, name: String, rng: inout SampleRNG) {
        self.account = account; self.name = name
        userID = "AIDA" + FakeID.chars(17, FakeID.upperAlnum, &rng)
        accessKey = "AKIA" + FakeID.chars(16, FakeID.upperAlnum, &rng)
    }

    var arn: String { "arn:aws:iam::\(account):user/\(name)" }
}

/// Who made a call, as CloudTrail's `userIdentity` will say.
enum Actor {
    /// An assumed-role session; `invokedBy` when a service (RDS, S3...) called on its behalf.
    case role(SampleRole, session: Int, invokedBy: String?)
    case user(SampleUser, invokedBy: String?)
    /// The account's root user, signed in to the console.
    case root(account: String)
    /// An AWS service acting on its own (`type: AWSService`).
    case service(String)
    /// The key owner's copy of a call from another account: only the caller's account and id.
    case awsAccount(account: String, principalID: String)
    /// A `GetFederationToken` session of an IAM user.
    case federated(SampleUser, name: String)
    case saml(account: String, userName: String)
    case webIdentity(account: String, subject: String)
    /// An identity CloudTrail cannot type (IAM Identity Center sign-ins).
    case unknown(account: String, userName: String)
    /// AWS itself (`DeleteKey` at the end of the waiting period, `RotateKey`): no `type`.
    case awsInternal(account: String)

    /// The principal docs/rules/README.md derives from this identity (for expected findings).
    var principal: String {
        switch self {
        case .role(let r, _, _): return r.arn
        case .user(let u, _): return u.arn
        case .root(let a): return "arn:aws:iam::\(a):root"
        case .service(let s): return s
        case .awsAccount(let a, _): return "arn:aws:iam::\(a):root"
        case .federated(let u, let n): return "arn:aws:sts::\(u.account):federated-user/\(n)"
        case .saml(_, let n): return n
        case .webIdentity(_, let s): return s
        case .unknown(_, let n): return n
        case .awsInternal: return "AWS Internal"
        }
    }

    /// Writes `"userIdentity": {...}`. Session credentials rotate hourly, so the access key id
    /// and `creationDate` follow the event's hour.
    func write(_ w: inout JSONWriter, time: Int64) {
        w.key("userIdentity")
        w.beginObject()
        switch self {
        case .role(let r, let s, let invokedBy):
            w.field("type", safe: "AssumedRole")
            w.field("principalId", r.roleID + ":" + r.sessions[s])
            w.field("arn", r.sessionARN(s))
            w.field("accountId", r.account)
            Actor.writeSessionKey(&w, r.hash &+ UInt64(s), time: time)
            w.key("sessionContext"); w.beginObject()
            w.key("sessionIssuer"); w.beginObject()
            w.field("type", safe: "Role")
            w.field("principalId", r.roleID)
            w.field("arn", r.arn)
            w.field("accountId", r.account)
            w.field("userName", r.name)
            w.endObject()
            w.key("webIdFederationData"); w.beginObject(); w.endObject()
            Actor.writeAttributes(&w, time: time, mfa: false)
            w.endObject()
            if let invokedBy { w.field("invokedBy", invokedBy) }
        case .user(let u, let invokedBy):
            w.field("type", safe: "IAMUser")
            w.field("principalId", u.userID)
            w.field("arn", u.arn)
            w.field("accountId", u.account)
            w.field("accessKeyId", u.accessKey)
            w.field("userName", u.name)
            if let invokedBy { w.field("invokedBy", invokedBy) }
        case .root(let a):
            w.field("type", safe: "Root")
            w.field("principalId", a)
            w.field("arn", "arn:aws:iam::\(a):root")
            w.field("accountId", a)
            Actor.writeSessionKey(&w, 0x5EED_F00D, time: time)
            w.key("sessionContext"); w.beginObject()
            Actor.writeAttributes(&w, time: time, mfa: true)
            w.endObject()
        case .service(let s):
            w.field("type", safe: "AWSService")
            w.field("invokedBy", s)
        case .awsAccount(let a, let pid):
            w.field("type", safe: "AWSAccount")
            w.field("principalId", pid)
            w.field("accountId", a)
        case .federated(let u, let n):
            w.field("type", safe: "FederatedUser")
            w.field("principalId", "\(u.account):\(n)")
            w.field("arn", "arn:aws:sts::\(u.account):federated-user/\(n)")
            w.field("accountId", u.account)
            Actor.writeSessionKey(&w, 0xFED0_0001, time: time)
            w.key("sessionContext"); w.beginObject()
            w.key("sessionIssuer"); w.beginObject()
            w.field("type", safe: "IAMUser")
            w.field("principalId", u.userID)
            w.field("arn", u.arn)
            w.field("accountId", u.account)
            w.field("userName", u.name)
            w.endObject()
            w.key("webIdFederationData"); w.beginObject(); w.endObject()
            Actor.writeAttributes(&w, time: time, mfa: false)
            w.endObject()
        case .saml(_, let n):
            w.field("type", safe: "SAMLUser")
            w.field("principalId", "r8Fq0MUBtj2zk5KwXa1pDEaGLmc=:" + n)
            w.field("userName", n)
            w.field("identityProvider", "r8Fq0MUBtj2zk5KwXa1pDEaGLmc=")
        case .webIdentity(let a, let subject):
            w.field("type", safe: "WebIdentityUser")
            w.field("principalId", "arn:aws:iam::\(a):oidc-provider/token.actions.githubusercontent.com:sts.amazonaws.com:" + subject)
            w.field("userName", subject)
            w.field("identityProvider", "arn:aws:iam::\(a):oidc-provider/token.actions.githubusercontent.com")
        case .unknown(let a, let n):
            w.field("type", safe: "Unknown")
            w.field("principalId", a)
            w.field("arn", safe: "")
            w.field("accountId", a)
            w.field("accessKeyId", safe: "")
            w.field("userName", n)
        case .awsInternal(let a):
            w.field("accountId", a)
            w.field("invokedBy", safe: "AWS Internal")
        }
        w.endObject()
    }

    /// `ASIA...` temporary key id that changes every hour.
    private static func writeSessionKey(_ w: inout JSONWriter, _ salt: UInt64, time: Int64) {
        var rng = SampleRNG(seed: salt, stream: UInt64(time / 3600))
        w.key("accessKeyId")
        w.stringBytes { b in
            b.append(contentsOf: [0x41, 0x53, 0x49, 0x41])
            FakeID.appendChars(&b, 16, from: FakeID.upperAlnum, &rng)
        }
    }

    private static func writeAttributes(_ w: inout JSONWriter, time: Int64, mfa: Bool) {
        w.key("attributes"); w.beginObject()
        w.key("creationDate")
        w.stringBytes { SampleTime.appendISO(&$0, time - time % 3600) }
        w.field("mfaAuthenticated", safe: mfa ? "true" : "false")
        w.endObject()
    }
}

/// Source addresses and user agents of people and programs (AWS services use their own
/// DNS name for both).
enum Clients {
    /// Corporate egress, VPN, CI runners and EC2 NAT gateways.
    static let ips: [String] = [
        "52.94.133.131", "54.239.98.17", "3.218.180.44", "34.228.77.201", "18.206.112.9",
        "98.113.24.187", "71.185.50.214", "81.134.202.29", "213.205.198.77", "140.82.112.4",
        "20.42.65.90", "44.210.15.132", "35.171.44.8", "100.26.91.163", "52.207.10.77",
    ]
    static let sdkAgents: [String] = [
        "aws-cli/2.17.60 md/awscrt#0.21.2 ua/2.0 os/linux#6.1.109-118.189.amzn2023.x86_64 md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off",
        "Boto3/1.35.36 md/Botocore#1.35.36 ua/2.0 os/linux#5.10.226-214.880.amzn2.x86_64 md/arch#x86_64 lang/python#3.12.6 md/pyimpl#CPython exec-env/AWS_Lambda_python3.12 cfg/retry-mode#legacy Botocore/1.35.36",
        "aws-sdk-java/2.28.16 Linux/6.1.109-118.189.amzn2023.x86_64 OpenJDK_64-Bit_Server_VM/21.0.4+7-LTS Java/21.0.4 vendor/Amazon.com_Inc. md/internal exec-env/AWS_ECS_FARGATE io/sync http/Apache cfg/retry-mode/standard",
        "aws-sdk-go-v2/1.30.5 os/linux lang/go#1.22.7 md/GOOS#linux md/GOARCH#amd64 api/kms#1.35.7",
        "APN/1.0 HashiCorp/1.0 Terraform/1.9.5 (+https://www.terraform.io) terraform-provider-aws/5.70.0 (+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.31.0 os/linux lang/go#1.22.7 md/GOOS#linux md/GOARCH#amd64",
        "aws-cli/2.18.2 md/awscrt#0.22.0 ua/2.0 os/macos#23.6.0 md/arch#arm64 lang/python#3.12.6 md/pyimpl#CPython cfg/retry-mode#standard md/installer#exe md/prompt#off",
    ]
    static let consoleAgent = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36"
    static let tlsSuites: [StaticString] = ["TLS_AES_128_GCM_SHA256", "TLS_AES_256_GCM_SHA384", "ECDHE-RSA-AES128-GCM-SHA256"]
}
