/// The envelope every CloudTrail record shares, written in CloudTrail's own member order
/// (eventVersion, userIdentity, eventTime, ... , tlsDetails). Event-specific parts
/// (`requestParameters`, `responseElements`, `additionalEventData`) come from closures.
struct CloudTrailRecord {
    /// How `resources[]` is written.
    enum Resources {
        case none
        /// `{"accountId","type","ARN"}` entries (modern records).
        case modern([(arn: String, account: String, type: String)])
        /// Old-style entries: lowercase `arn`, no `type`.
        case legacy([(arn: String, account: String)])
        /// An S3 object and its bucket (objects carry no accountId).
        case s3Object(bucket: String, key: String, account: String)
        /// One non-KMS resource, e.g. a DynamoDB table or an IAM role.
        case one(arn: String, account: String, type: String)
    }

    /// sharedEventID: absent, random, or given (cross-account pairs).
    enum Shared { case none, random, fixed(String) }

    var version: StaticString = "1.09"
    var actor: Actor
    var time: Int64
    var source: StaticString
    var name: String
    var region: String
    var sourceIP: String
    var userAgent: String
    var errorCode: String? = nil
    var errorMessage: String? = nil
    /// nil: a random id; AWS service events have none (`hasRequestID = false`).
    var eventID: String? = nil
    var hasRequestID = true
    var readOnly: Bool? = nil
    var resources: Resources = .none
    var eventType: StaticString = "AwsApiCall"
    var managementEvent: Bool? = true
    var recipient: String
    var shared: Shared = .none
    var category: StaticString = "Management"
    /// `clientProvidedHostHeader` of `tlsDetails`; nil when the call did not come over TLS
    /// from a client (service-to-service calls, old records).
    var tlsHost: String? = nil
    var consoleSession = false

    init(actor: Actor, time: Int64, source: StaticString, name: String, region: String, sourceIP: String,
         userAgent: String, recipient: String) {
        self.actor = actor; self.time = time; self.source = source; self.name = name; self.region = region
        self.sourceIP = sourceIP; self.userAgent = userAgent; self.recipient = recipient
    }

    typealias Body = (inout JSONWriter) -> Void

    /// Writes the record as one JSON object.
    func write(_ w: inout JSONWriter, _ rng: inout SampleRNG, request: Body, response: Body? = nil, additional: Body? = nil) {
        w.beginObject()
        w.field("eventVersion", safe: version)
        actor.write(&w, time: time)
        w.key("eventTime"); w.stringBytes { SampleTime.appendISO(&$0, time) }
        w.field("eventSource", safe: source)
        w.field("eventName", name)
        w.field("awsRegion", region)
        w.field("sourceIPAddress", sourceIP)
        w.field("userAgent", userAgent)
        if let errorCode { w.field("errorCode", errorCode) }
        if let errorMessage { w.field("errorMessage", errorMessage) }
        w.key("requestParameters"); request(&w)
        w.key("responseElements")
        if let response { response(&w) } else { w.null() }
        if let additional { w.key("additionalEventData"); additional(&w) }
        if hasRequestID { w.key("requestID"); w.stringBytes { FakeID.appendUUID(&$0, &rng) } }
        w.key("eventID")
        if let eventID { w.string(eventID) } else { w.stringBytes { FakeID.appendUUID(&$0, &rng) } }
        if let readOnly { w.field("readOnly", readOnly) }
        switch resources {
        case .none: break
        case .modern(let list):
            w.key("resources"); w.beginArray()
            for r in list {
                w.beginObject(); w.field("accountId", r.account); w.field("type", r.type); w.field("ARN", r.arn); w.endObject()
            }
            w.endArray()
        case .legacy(let list):
            w.key("resources"); w.beginArray()
            for r in list { w.beginObject(); w.field("arn", r.arn); w.field("accountId", r.account); w.endObject() }
            w.endArray()
        case .s3Object(let bucket, let key, let account):
            w.key("resources"); w.beginArray()
            w.beginObject(); w.field("type", safe: "AWS::S3::Object"); w.key("ARN")
            w.stringBytes { b in b.append(contentsOf: "arn:aws:s3:::".utf8); b.append(contentsOf: bucket.utf8); b.append(0x2F); b.append(contentsOf: key.utf8) }
            w.endObject()
            w.beginObject(); w.field("accountId", account); w.field("type", safe: "AWS::S3::Bucket"); w.field("ARN", "arn:aws:s3:::" + bucket); w.endObject()
            w.endArray()
        case .one(let arn, let account, let type):
            w.key("resources"); w.beginArray()
            w.beginObject(); w.field("accountId", account); w.field("type", type); w.field("ARN", arn); w.endObject()
            w.endArray()
        }
        w.field("eventType", safe: eventType)
        if let managementEvent { w.field("managementEvent", managementEvent) }
        w.field("recipientAccountId", recipient)
        switch shared {
        case .none: break
        case .random: w.key("sharedEventID"); w.stringBytes { FakeID.appendUUID(&$0, &rng) }
        case .fixed(let id): w.field("sharedEventID", id)
        }
        w.field("eventCategory", safe: category)
        if let tlsHost {
            w.key("tlsDetails"); w.beginObject()
            w.field("tlsVersion", safe: "TLSv1.3")
            w.field("cipherSuite", safe: Clients.tlsSuites[Int(UInt64(time) % 2)])
            w.field("clientProvidedHostHeader", tlsHost)
            w.endObject()
        }
        if consoleSession { w.field("sessionCredentialFromConsole", safe: "true") }
        w.endObject()
    }

    static func null(_ w: inout JSONWriter) { w.null() }
}

extension CloudTrailRecord.Resources {
    static func key(_ k: SampleKey) -> Self { .modern([(k.arn, k.account, "AWS::KMS::Key")]) }
}
