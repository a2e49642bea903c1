import Foundation
import Testing
@testable import KMSAudit

/// Fixture access and small builders shared by the Policy*Tests files.
enum PolicyFixtures {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/policy")

    static func text(_ name: String) throws -> String {
        try String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)
    }

    static func policy(_ name: String) throws -> KeyPolicy { try KeyPolicy(json: text(name)) }

    /// A one-statement-per-element policy from JSON fragments, to keep tests readable.
    static func policy(statements: String...) throws -> KeyPolicy {
        try KeyPolicy(json: #"{"Version":"2012-10-17","Statement":["# + statements.joined(separator: ",") + "]}")
    }
}

@Suite struct PolicyParsingTests {
    @Test func seedPolicyParsesAllThreeStatements() throws {
        let p = try PolicyFixtures.policy("neptune-seed.json")
        #expect(p.version == "2012-10-17")
        #expect(p.id == "key-consolepolicy-3")
        #expect(p.statements.count == 3)
        let (root, use, deny) = (p.statements[0], p.statements[1], p.statements[2])
        #expect(root.sid == "Enable Permissions for root principal")
        #expect(root.effect == .allow)
        #expect(root.principals == [.account(id: "123456789012", text: "arn:aws:iam::123456789012:root")])
        #expect(root.actions == ["kms:*"])
        #expect(root.resources == ["*"])
        #expect(use.principals == [.arn("arn:aws:iam::123456789012:role/NeptuneFullAccess")])
        #expect(use.actions.count == 8)
        #expect(use.conditions == [ConditionClause(operatorName: "StringEquals", key: "kms:ViaService",
                                                   values: ["rds.us-east-1.amazonaws.com"])])
        #expect(deny.effect == .deny)
        #expect(deny.index == 2)
        #expect(deny.conditions.first?.parsedOperator == ConditionOperator(base: .stringNotEquals))
        #expect(!deny.isNotPrincipal && !deny.isNotAction && !deny.isNotResource)
    }

    @Test func singleStatementObjectIsAccepted() throws {
        let p = try KeyPolicy(json: #"""
        {"Statement": {"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "kms:*", "Resource": "*"}}
        """#)
        #expect(p.statements.count == 1)
        #expect(p.version == nil)
        #expect(p.statements[0].principals == [.account(id: "111122223333", text: "111122223333")])
    }

    @Test func getKeyPolicyOutputIsUnwrapped() throws {
        let wrapped = try PolicyFixtures.policy("get-key-policy-output.json")
        let plain = try PolicyFixtures.policy("neptune-seed.json")
        #expect(wrapped.policyName == "default")
        #expect(wrapped.statements == plain.statements)
    }

    @Test func realWorldPutKeyPolicyEventPolicyParses() throws {
        let data = Data(try PolicyFixtures.text("ct-put-key-policy.example1.json").utf8)
        let record = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let params = try #require(record["requestParameters"] as? [String: Any])
        let policyText = try #require(params["policy"] as? String)
        let p = try KeyPolicy(json: policyText)
        #expect(p.id == "key-default-1")
        #expect(p.statements.count == 1)
        #expect(p.statements[0].sid == "Enable IAM User Permissions")
        #expect(p.namedPrincipals == [.account(id: "111122223333", text: "arn:aws:iam::111122223333:root")])
        // It is exactly AWS's default policy for that account.
        #expect(p.statements == KeyPolicy.awsDefault(account: "111122223333").statements)
    }

    @Test func principalForms() throws {
        let p = try PolicyFixtures.policy(statements:
            #"{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*"}"#,
            #"{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*"}"#,
            #"{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::111122223333:user/Alice","444455556666","arn:aws-us-gov:iam::777788889999:root"]},"Action":"kms:Decrypt","Resource":"*"}"#,
            #"{"Effect":"Allow","Principal":{"Service":"rds.amazonaws.com","Federated":"cognito-identity.amazonaws.com","CanonicalUser":"79a59df9"},"Action":"kms:Decrypt","Resource":"*"}"#)
        #expect(p.statements[0].principals == [.anyone])
        #expect(p.statements[1].principals == [.anyone])
        #expect(p.statements[2].principals == [
            .arn("arn:aws:iam::111122223333:user/Alice"),
            .account(id: "444455556666", text: "444455556666"),
            .account(id: "777788889999", text: "arn:aws-us-gov:iam::777788889999:root"),
        ])
        #expect(Set(p.statements[3].principals) == [
            .service("rds.amazonaws.com"), .federated("cognito-identity.amazonaws.com"), .canonicalUser("79a59df9"),
        ])
    }

    @Test func conditionValuesKeepBooleansNumbersAndArrays() throws {
        let p = try PolicyFixtures.policy(statements: #"""
        {"Effect":"Allow","Principal":"*","Action":"kms:CreateGrant","Resource":"*",
         "Condition":{"Bool":{"kms:GrantIsForAWSResource":true},
                      "StringEquals":{"kms:CallerAccount":[111122223333, "444455556666"]}}}
        """#)
        let c = p.statements[0].conditions
        #expect(c.count == 2)
        #expect(c.contains(ConditionClause(operatorName: "Bool", key: "kms:GrantIsForAWSResource", values: ["true"])))
        #expect(c.contains(ConditionClause(operatorName: "StringEquals", key: "kms:CallerAccount",
                                           values: ["111122223333", "444455556666"])))
    }

    @Test func operatorNamesParse() {
        #expect(ConditionOperator("StringLike") == ConditionOperator(base: .stringLike))
        #expect(ConditionOperator("StringNotEqualsIfExists") == ConditionOperator(base: .stringNotEquals, ifExists: true))
        #expect(ConditionOperator("ForAllValues:StringLike") == ConditionOperator(base: .stringLike, qualifier: .forAllValues))
        #expect(ConditionOperator("ForAnyValue:StringEqualsIfExists")
                == ConditionOperator(base: .stringEquals, qualifier: .forAnyValue, ifExists: true))
        #expect(ConditionOperator("DateGreaterThan") == nil)
        #expect(ConditionOperator("ArnLike") == nil)
        #expect(ConditionOperator("Null") == nil)
        #expect(ConditionOperator("ForSomeValues:StringLike") == nil)
    }

    /// Each malformed policy must be refused with the right kind of error, never half-read.
    @Test(arguments: [
        ("not json", "notJSON"),
        ("{\"Statement\": [", "notJSON"),
        ("[]", "shape"),
        (#"{"Version":"2012-10-17"}"#, "shape"),
        (#"{"Statement":"Allow everything"}"#, "shape"),
        (#"{"Policy": {"Statement": []}}"#, "shape"),
        (#"{"Statement":[{"Effect":"Permit","Principal":"*","Action":"kms:*","Resource":"*"}]}"#, "statement"),
        (#"{"Statement":[{"Principal":"*","Action":"kms:*","Resource":"*"}]}"#, "statement"),
        (#"{"Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}"#, "statement"),
        (#"{"Statement":[{"Effect":"Allow","Principal":"*","Resource":"*"}]}"#, "statement"),
        (#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","NotAction":"kms:Decrypt","Resource":"*"}]}"#, "statement"),
        (#"{"Statement":[{"Effect":"Allow","Principal":"arn:aws:iam::111122223333:root","Action":"kms:*","Resource":"*"}]}"#, "statement"),
        (#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":42,"Resource":"*"}]}"#, "statement"),
        (#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":["StringEquals"]}]}"#, "statement"),
        (#"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringEquals":{"kms:ViaService":{"a":1}}}}]}"#, "statement"),
        (#"{"Statement":[42]}"#, "statement"),
    ])
    func malformedPoliciesAreRefused(text: String, kind: String) {
        do {
            _ = try KeyPolicy(json: text)
            Issue.record("parsed a malformed policy: \(text)")
        } catch let e as PolicyParseError {
            switch (e, kind) {
            case (.notJSON, "notJSON"), (.shape, "shape"), (.statement, "statement"): break
            default: Issue.record("wrong error \(e) for \(text), wanted \(kind)")
            }
            #expect(!e.reason.isEmpty)
        } catch {
            Issue.record("untyped error \(error)")
        }
    }

    @Test func statementErrorNamesTheStatement() {
        #expect(throws: PolicyParseError.statement(index: 1, sid: "Second",
                                                   reason: "Effect must be \"Allow\" or \"Deny\", not \"Grant\"")) {
            try PolicyFixtures.policy(statements:
                #"{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*"}"#,
                #"{"Sid":"Second","Effect":"Grant","Principal":"*","Action":"kms:*","Resource":"*"}"#)
        }
    }

    @Test func effectCaseIsNotSignificant() throws {
        let p = try PolicyFixtures.policy(statements: #"{"Effect":"deny","Principal":"*","Action":"kms:*","Resource":"*"}"#)
        #expect(p.statements[0].effect == .deny)
    }

    @Test func eventNamesMapToPolicyActions() {
        #expect(RequestContext.policyActions(forEventName: "Decrypt") == ["kms:Decrypt"])
        #expect(RequestContext.policyActions(forEventName: "ReEncrypt") == ["kms:ReEncryptFrom", "kms:ReEncryptTo"])
        #expect(RequestContext.normalizedAction("KMS:GenerateDataKey") == "kms:GenerateDataKey")
        #expect(RequestContext.normalizedAction("kms:CreateGrant") == "kms:CreateGrant")
    }

    @Test func oversizedTextIsRefusedUnread() {
        let big = String(repeating: " ", count: KeyPolicy.maxTextBytes + 1)
        #expect(throws: PolicyParseError.tooLarge(bytes: KeyPolicy.maxTextBytes + 1, limit: KeyPolicy.maxTextBytes)) {
            try KeyPolicy(json: big)
        }
    }

    @Test func hostileTextFailsCleanly() {
        // Deep nesting inside a condition value: refused with an error, not a crash.
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect(throws: PolicyParseError.self) {
            try KeyPolicy(json: #"{"Statement":[{"Effect":"Allow","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringLike":{"kms:ViaService":"# + deep + "}}}]}")
        }
        #expect(throws: PolicyParseError.self) { try KeyPolicy(json: "") }
        #expect(throws: PolicyParseError.self) { try KeyPolicy(json: #"{"Policy": "{\"Policy\": 1}"}"#) }
    }

    @Test func pathologicalWildcardStaysFast() {
        let pattern = String(repeating: "*a", count: 200) + "b"
        let text = String(repeating: "a", count: 5_000)
        #expect(!Wildcard.matches(pattern, text))
        #expect(Wildcard.matches("rds.*.amazonaws.com", "rds.us-east-1.amazonaws.com"))
        #expect(Wildcard.matches("a?c*", "abc"))
        #expect(!Wildcard.matches("a?c", "ac"))
    }

    @Test func awsDefaultPolicyGivesTheAccountKmsStar() {
        let p = KeyPolicy.awsDefault(account: "111122223333")
        #expect(p.statements.count == 1)
        #expect(p.statements[0].effect == .allow)
        #expect(p.statements[0].actions == ["kms:*"])
        #expect(p.namedPrincipals == [.account(id: "111122223333", text: "arn:aws:iam::111122223333:root")])
        #expect(!p.hasRDSViaServiceCondition)
    }

    @Test func principalListingForReports() throws {
        let p = try PolicyFixtures.policy("neptune-seed.json")
        #expect(p.namedPrincipals == [
            .account(id: "123456789012", text: "arn:aws:iam::123456789012:root"),
            .arn("arn:aws:iam::123456789012:role/NeptuneFullAccess"),
        ])
        let refs = p.principalReferences
        #expect(refs.count == 3)
        #expect(refs.map(\.statementIndex) == [0, 1, 2])
        #expect(refs[2].effect == .deny)
        #expect(refs[2].sid == "Deny use of the key for non Neptune")
    }

    @Test func databaseKeyDetectionFromViaService() throws {
        #expect(try PolicyFixtures.policy("neptune-seed.json").hasRDSViaServiceCondition)
        #expect(try PolicyFixtures.policy("aws-rds-managed.json").rdsViaServiceValues == ["rds.us-west-2.amazonaws.com"])
        let like = try PolicyFixtures.policy(statements: #"""
        {"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*",
         "Condition":{"StringLike":{"KMS:ViaService":["ec2.*.amazonaws.com","rds.*.amazonaws.com"]}}}
        """#)
        #expect(like.rdsViaServiceValues == ["rds.*.amazonaws.com"])
        let ebs = try PolicyFixtures.policy(statements: #"""
        {"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*",
         "Condition":{"StringEquals":{"kms:ViaService":"ec2.us-east-1.amazonaws.com"}}}
        """#)
        #expect(!ebs.hasRDSViaServiceCondition)
    }
}
