import Foundation
import GRDB
import Testing
@testable import KMSAudit

/// KMS-002 through `check`, for a key whose policy tests the encryption context: the context is the
/// one part of a call key-use evaluation takes from the record itself (`raw`), not from the
/// covering `events_key_time` (StateSchema.v18KeyUseIndex). Real records (Fixtures/state), ingested
/// and checked for real.
@Suite struct EncryptionContextEvaluationTests {
    static let kms = StateBuilderTests.kms
    static let key = StateBuilderTests.keyA
    static let role = "arn:aws:iam::111122223333:role/ProjectDev"

    /// Alice administers the key; the role may decrypt only data of the database `db-A`.
    static let policy = """
        {"Version":"2012-10-17","Statement":[
        {"Sid":"Admin","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:user/Alice"},"Action":"kms:*","Resource":"*"},
        {"Sid":"OneDatabase","Effect":"Allow","Principal":{"AWS":"\(role)"},"Action":"kms:Decrypt","Resource":"*",
         "Condition":{"StringEquals":{"kms:EncryptionContext:aws:rds:db-id":"db-A"}}}]}
        """

    /// A direct Decrypt of the key by the role, with the given encryption context.
    static func decrypt(_ id: String, at time: String, context: [String: String]?) throws -> Real {
        try Real.record("\(kms)/alias-ct.example1.json").with([
            "eventID": id, "eventTime": time, "eventName": "Decrypt",
            "requestParameters.keyId": key, "requestParameters.keySpec": nil,
            "requestParameters.encryptionContext": context,
        ])
    }

    @Test func theRecordsEncryptionContextDecidesTheCall() throws {
        let s = try StateScenario()
        let put = try Real.record("\(Self.kms)/ct-put-key-policy.example1.json")  // 2022-09-01T20:06:16Z, key A
            .with(["requestParameters.policy": Self.policy])
        s.add(put,
              try Self.decrypt("ec-db-a", at: "2022-09-02T00:00:00Z", context: ["aws:rds:db-id": "db-A"]),
              try Self.decrypt("ec-db-b", at: "2022-09-02T00:00:01Z", context: ["aws:rds:db-id": "db-B"]),
              try Self.decrypt("ec-none", at: "2022-09-02T00:00:02Z", context: nil))
        try s.build()
        var options = CheckOptions()
        options.config.databaseKeys = [Self.key]
        _ = try CheckRunner.run(s.database, options)

        try s.database.queue.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT event_id, category, policy_source FROM key_use_evaluations WHERE key_arn = ? ORDER BY event_id
                """, arguments: [Self.key]).map { "\($0["event_id"] as String) \($0["category"] as String) \($0["policy_source"] as String)" }
            // db-A's call is what the statement allows (intended: not stored); the other database's
            // and the context-less call are the role's, named only by a statement whose condition
            // fails for them (#18: not-named).
            #expect(rows == ["ec-db-b not-named PutKeyPolicy", "ec-none not-named PutKeyPolicy"])
        }
    }
}
