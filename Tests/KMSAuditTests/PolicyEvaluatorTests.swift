import Foundation
import Testing
@testable import KMSAudit

/// Expected values come from IAM/KMS semantics and docs/rules/, not from running the evaluator.
private let acct = "123456789012"
private let keyArn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
private let neptuneRole = "arn:aws:iam::123456789012:role/NeptuneFullAccess"
private let otherRole = "arn:aws:iam::123456789012:role/Reporting"
private let rdsEast = "rds.us-east-1.amazonaws.com"

/// A role (or user) calling `action`, optionally through a service.
private func call(_ action: String, by principal: String = neptuneRole, via: String? = nil,
                  grantForAWS: Bool? = nil, context: [String: String] = [:], session: String? = nil,
                  key: String? = keyArn) -> RequestContext {
    RequestContext(action: action, principalArn: principal, keyArn: key, viaService: via,
                   grantIsForAWSResource: grantForAWS, encryptionContext: context, sessionArn: session)
}

private func seed() throws -> KeyPolicy { try PolicyFixtures.policy("neptune-seed.json") }

/// Wraps one statement with `Principal` = the Neptune role, Action, Resource * and a Condition.
private func rolePolicy(actions: String = #""kms:*""#, condition: String, effect: String = "Allow") throws -> KeyPolicy {
    try PolicyFixtures.policy(statements: """
    {"Sid":"S","Effect":"\(effect)","Principal":{"AWS":"\(neptuneRole)"},"Action":\(actions),"Resource":"*","Condition":\(condition)}
    """)
}

// MARK: - The seed's example policy

@Suite struct PolicyEvaluatorSeedTests {
    static let required = ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:ReEncryptTo",
                           "kms:GenerateDataKeyWithoutPlaintext", "kms:CreateGrant", "kms:ReEncryptFrom", "kms:DescribeKey"]

    @Test(arguments: required)
    func neptuneRoleViaRDSIsAllowedByName(action: String) throws {
        let d = PolicyEvaluator.evaluate(try seed(), call(action, via: rdsEast))
        #expect(d.outcome == .allowed)
        #expect(d.allows.contains(StatementMatch(statementIndex: 1, sid: "Allow use of the key for Neptune", effect: .allow, match: .named)))
        // The role is also in the account, so the root statement applies too, as delegation.
        #expect(d.allows.first { $0.statementIndex == 0 }?.match == .accountRoot)
        #expect(d.strongestAllowMatch == .named)
        #expect(!d.isAllowedOnlyByAccountDelegation)
        #expect(d.denies.isEmpty)
    }

    @Test func neptuneRoleDirectlyIsExplicitlyDeniedByStatement3() throws {
        let d = PolicyEvaluator.evaluate(try seed(), call("Decrypt"))
        #expect(d.outcome == .explicitDeny)
        #expect(d.denies == [StatementMatch(statementIndex: 2, sid: "Deny use of the key for non Neptune", effect: .deny, match: .named)])
        // Statement 1 (root kms:*) still matched; the Deny wins over it.
        #expect(d.allows.map(\.statementIndex) == [0])
    }

    @Test func neptuneRoleViaRDSInAnotherRegionIsDenied() throws {
        let d = PolicyEvaluator.evaluate(try seed(), call("kms:Decrypt", via: "rds.us-west-2.amazonaws.com"))
        #expect(d.outcome == .explicitDeny)
        #expect(d.denies.map(\.statementIndex) == [2])
    }

    @Test func neptuneRoleThroughAnotherServiceIsDenied() throws {
        let d = PolicyEvaluator.evaluate(try seed(), call("kms:Decrypt", via: "ec2.us-east-1.amazonaws.com"))
        #expect(d.outcome == .explicitDeny)
    }

    @Test func anotherRoleOfTheAccountIsAllowedOnlyThroughRootDelegation() throws {
        for via in [nil, rdsEast] {
            let d = PolicyEvaluator.evaluate(try seed(), call("kms:Decrypt", by: otherRole, via: via))
            #expect(d.outcome == .allowed)
            #expect(d.allows == [StatementMatch(statementIndex: 0, sid: "Enable Permissions for root principal", effect: .allow, match: .accountRoot)])
            #expect(d.isAllowedOnlyByAccountDelegation)
        }
    }

    @Test func rootUserDirectlyMatchesOnlyAsAccountNeverByName() throws {
        let ctx = RequestContext(action: "kms:ScheduleKeyDeletion", principalArn: "arn:aws:iam::123456789012:root",
                                 isRootUser: true, keyArn: keyArn)
        let d = PolicyEvaluator.evaluate(try seed(), ctx)
        #expect(d.outcome == .allowed)
        #expect(d.allowMatchKinds == [.accountRoot])
        #expect(d.isAllowedOnlyByAccountDelegation)
    }

    @Test func rdsServiceActingAsItselfIsNotCoveredBySeed() throws {
        // AWSService: no account, so neither the account statement nor the role statements apply.
        let ctx = RequestContext(action: "kms:Decrypt", principalArn: "rds.amazonaws.com",
                                 servicePrincipal: "rds.amazonaws.com", keyArn: keyArn, viaService: nil,
                                 grantIsForAWSResource: true)
        let d = PolicyEvaluator.evaluate(try seed(), ctx)
        #expect(ctx.principalAccount == nil)
        #expect(d.outcome == .implicitDeny)
        #expect(d.allows.isEmpty && d.denies.isEmpty)
    }

    @Test func roleOfAnotherAccountViaRDSIsNotAllowed() throws {
        let d = PolicyEvaluator.evaluate(try seed(), call("kms:Decrypt", by: "arn:aws:iam::444455556666:role/NeptuneFullAccess", via: rdsEast))
        #expect(d.outcome == .implicitDeny)
    }

    @Test func actionOutsideStatement2ViaRDSFallsBackToDelegation() throws {
        // ScheduleKeyDeletion is not in statement 2; via RDS the Deny's condition fails.
        let d = PolicyEvaluator.evaluate(try seed(), call("kms:ScheduleKeyDeletion", via: rdsEast))
        #expect(d.outcome == .allowed)
        #expect(d.isAllowedOnlyByAccountDelegation)
    }

    @Test func sessionArnOfTheNamedRoleStillMatchesByName() throws {
        let d = PolicyEvaluator.evaluate(try seed(), call("Encrypt", via: rdsEast,
                                                         session: "arn:aws:sts::123456789012:assumed-role/NeptuneFullAccess/app-1"))
        #expect(d.outcome == .allowed)
        #expect(d.strongestAllowMatch == .named)
    }
}

// MARK: - Conditions

@Suite struct PolicyConditionTests {
    @Test(arguments: [(Bool?.some(true), PolicyDecision.Outcome.allowed),
                      (Bool?.some(false), .implicitDeny),
                      (nil, .implicitDeny)])
    func grantIsForAWSResourceOnCreateGrant(flag: Bool?, expected: PolicyDecision.Outcome) throws {
        let p = try rolePolicy(actions: #""kms:CreateGrant""#, condition: #"{"Bool":{"kms:GrantIsForAWSResource":true}}"#)
        let d = PolicyEvaluator.evaluate(p, call("CreateGrant", via: rdsEast, grantForAWS: flag))
        #expect(d.outcome == expected)
        #expect(d.allows.first?.match == (expected == .allowed ? .named : nil))
    }

    @Test func boolAcceptsQuotedValue() throws {
        let p = try rolePolicy(actions: #""kms:CreateGrant""#, condition: #"{"Bool":{"kms:GrantIsForAWSResource":"true"}}"#)
        #expect(PolicyEvaluator.evaluate(p, call("kms:CreateGrant", grantForAWS: true)).outcome == .allowed)
        let falseOnly = try rolePolicy(actions: #""kms:CreateGrant""#, condition: #"{"Bool":{"kms:GrantIsForAWSResource":"false"}}"#)
        #expect(PolicyEvaluator.evaluate(falseOnly, call("kms:CreateGrant", grantForAWS: true)).outcome == .implicitDeny)
        #expect(PolicyEvaluator.evaluate(falseOnly, call("kms:CreateGrant", grantForAWS: false)).outcome == .allowed)
    }

    @Test(arguments: [
        ("rds.us-east-1.amazonaws.com", PolicyDecision.Outcome.allowed),
        ("rds.eu-west-1.amazonaws.com", .allowed),
        ("ec2.us-east-1.amazonaws.com", .implicitDeny),
        ("rds.us-east-1.amazonaws.com.evil.example", .implicitDeny),
    ])
    func viaServiceStringLikeAnyRegion(via: String, expected: PolicyDecision.Outcome) throws {
        let p = try rolePolicy(condition: #"{"StringLike":{"kms:ViaService":"rds.*.amazonaws.com"}}"#)
        let d = PolicyEvaluator.evaluate(p, call("kms:Decrypt", via: via))
        #expect(d.outcome == expected)
        if expected == .allowed { #expect(d.allows.map(\.match) == [.named]) }
    }

    @Test func viaServiceStringLikeAbsentKeyIsFalse() throws {
        let p = try rolePolicy(condition: #"{"StringLike":{"kms:ViaService":"rds.*.amazonaws.com"}}"#)
        #expect(PolicyEvaluator.evaluate(p, call("kms:Decrypt")).outcome == .implicitDeny)
    }

    @Test func viaServiceValuesAreCaseSensitive() throws {
        let p = try rolePolicy(condition: #"{"StringEquals":{"kms:viaservice":"RDS.us-east-1.amazonaws.com"}}"#)
        #expect(PolicyEvaluator.evaluate(p, call("kms:Decrypt", via: rdsEast)).outcome == .implicitDeny)
    }

    @Test func viaServiceArrayIsOr() throws {
        let p = try rolePolicy(condition: #"{"StringEquals":{"kms:ViaService":["rds.us-east-1.amazonaws.com","rds.us-west-2.amazonaws.com"]}}"#)
        #expect(PolicyEvaluator.evaluate(p, call("kms:Decrypt", via: "rds.us-west-2.amazonaws.com")).outcome == .allowed)
        #expect(PolicyEvaluator.evaluate(p, call("kms:Decrypt", via: "rds.eu-west-1.amazonaws.com")).outcome == .implicitDeny)
    }

    @Test func stringNotEqualsDenyAppliesWhenKeyAbsent() throws {
        let p = try rolePolicy(condition: #"{"StringNotEquals":{"kms:ViaService":"rds.us-east-1.amazonaws.com"}}"#, effect: "Deny")
        #expect(PolicyEvaluator.evaluate(p, call("kms:Decrypt")).outcome == .explicitDeny)
        #expect(PolicyEvaluator.evaluate(p, call("kms:Decrypt", via: rdsEast)).outcome == .implicitDeny)
    }

    @Test func stringNotLikeDeny() throws {
        let p = try rolePolicy(condition: #"{"StringNotLike":{"kms:ViaService":"rds.*.amazonaws.com"}}"#, effect: "Deny")
        #expect(PolicyEvaluator.evaluate(p, call("kms:Decrypt", via: "rds.eu-west-1.amazonaws.com")).outcome == .implicitDeny)
        #expect(PolicyEvaluator.evaluate(p, call("kms:Decrypt", via: "s3.eu-west-1.amazonaws.com")).denies.map(\.match) == [.named])
    }

    @Test func ifExistsHoldsWhenKeyAbsentAndTestsWhenPresent() throws {
        let p = try rolePolicy(condition: #"{"StringEqualsIfExists":{"kms:ViaService":"rds.us-east-1.amazonaws.com"}}"#)
        #expect(PolicyEvaluator.evaluate(p, call("kms:Decrypt")).outcome == .allowed)
        #expect(PolicyEvaluator.evaluate(p, call("kms:Decrypt", via: rdsEast)).outcome == .allowed)
        #expect(PolicyEvaluator.evaluate(p, call("kms:Decrypt", via: "ec2.us-east-1.amazonaws.com")).outcome == .implicitDeny)
        let b = try rolePolicy(condition: #"{"BoolIfExists":{"kms:GrantIsForAWSResource":"true"}}"#)
        #expect(PolicyEvaluator.evaluate(b, call("kms:Decrypt")).outcome == .allowed)
        #expect(PolicyEvaluator.evaluate(b, call("kms:CreateGrant", grantForAWS: false)).outcome == .implicitDeny)
    }

    @Test func forAnyValueNeedsAPresentMatchingValue() throws {
        let p = try rolePolicy(condition: #"{"ForAnyValue:StringEquals":{"kms:EncryptionContext:aws:rds:db-id":["db-A","db-B"]}}"#)
        #expect(PolicyEvaluator.evaluate(p, call("kms:Decrypt", context: ["aws:rds:db-id": "db-B"])).outcome == .allowed)
        #expect(PolicyEvaluator.evaluate(p, call("kms:Decrypt", context: ["aws:rds:db-id": "db-C"])).outcome == .implicitDeny)
        #expect(PolicyEvaluator.evaluate(p, call("kms:Decrypt")).outcome == .implicitDeny)
    }

    @Test func forAllValuesIsVacuouslyTrueWhenKeyAbsent() throws {
        // The IAM pitfall: ForAllValues with no value in the request holds.
        let p = try rolePolicy(condition: #"{"ForAllValues:StringEquals":{"kms:EncryptionContext:aws:rds:db-id":"db-A"}}"#)
        #expect(PolicyEvaluator.evaluate(p, call("kms:Decrypt")).outcome == .allowed)
        #expect(PolicyEvaluator.evaluate(p, call("kms:Decrypt", context: ["aws:rds:db-id": "db-A"])).outcome == .allowed)
        #expect(PolicyEvaluator.evaluate(p, call("kms:Decrypt", context: ["aws:rds:db-id": "db-Z"])).outcome == .implicitDeny)
    }

    @Test func encryptionContextDbId() throws {
        let p = try rolePolicy(condition: #"{"StringEquals":{"kms:EncryptionContext:aws:rds:db-id":"db-ANY6I3FNUJC7WQKYS5RFPU7ORM"}}"#)
        let ok = call("kms:Decrypt", via: rdsEast, context: ["aws:rds:db-id": "db-ANY6I3FNUJC7WQKYS5RFPU7ORM", "aws:ebs:id": "vol-1"])
        #expect(PolicyEvaluator.evaluate(p, ok).outcome == .allowed)
        #expect(PolicyEvaluator.evaluate(p, call("kms:Decrypt", via: rdsEast, context: ["aws:rds:db-id": "db-OTHER"])).outcome == .implicitDeny)
        #expect(PolicyEvaluator.evaluate(p, call("kms:Decrypt", via: rdsEast)).outcome == .implicitDeny)
        // Value comparison is case-sensitive under StringEquals.
        #expect(PolicyEvaluator.evaluate(p, call("kms:Decrypt", context: ["aws:rds:db-id": "db-any6i3fnujc7wqkys5rfpu7orm"])).outcome == .implicitDeny)
    }

    @Test func encryptionContextKeyNameIsCaseInsensitive() throws {
        let p = try rolePolicy(condition: #"{"StringLike":{"KMS:EncryptionContext:AWS:RDS:DB-ID":"db-*"}}"#)
        #expect(PolicyEvaluator.evaluate(p, call("kms:Encrypt", context: ["aws:rds:db-id": "db-XYZ"])).outcome == .allowed)
    }

    @Test func severalKeysAndOperatorsAreAnded() throws {
        let p = try rolePolicy(condition: #"""
        {"StringEquals":{"kms:ViaService":"rds.us-east-1.amazonaws.com","kms:CallerAccount":"123456789012"},
         "StringLike":{"kms:EncryptionContext:aws:rds:db-id":"db-*"}}
        """#)
        #expect(PolicyEvaluator.evaluate(p, call("kms:Decrypt", via: rdsEast, context: ["aws:rds:db-id": "db-1"])).outcome == .allowed)
        #expect(PolicyEvaluator.evaluate(p, call("kms:Decrypt", via: rdsEast)).outcome == .implicitDeny)
        #expect(PolicyEvaluator.evaluate(p, call("kms:Decrypt", context: ["aws:rds:db-id": "db-1"])).outcome == .implicitDeny)
    }

    @Test func principalArnStringLikeWithStarPrincipal() throws {
        let p = try PolicyFixtures.policy(statements: #"""
        {"Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:Decrypt","Resource":"*",
         "Condition":{"StringLike":{"aws:PrincipalArn":"arn:aws:iam::123456789012:role/Neptune*"}}}
        """#)
        let d = PolicyEvaluator.evaluate(p, call("kms:Decrypt"))
        #expect(d.outcome == .allowed)
        #expect(d.allows.map(\.match) == [.anyone])
        #expect(PolicyEvaluator.evaluate(p, call("kms:Decrypt", by: otherRole)).outcome == .implicitDeny)
        // A service acting as itself has no aws:PrincipalArn, so StringLike is false.
        let svc = RequestContext(action: "kms:Decrypt", principalArn: "rds.amazonaws.com", servicePrincipal: "rds.amazonaws.com")
        #expect(PolicyEvaluator.evaluate(p, svc).outcome == .implicitDeny)
    }
}

// MARK: - The aws/rds shape: "*" limited by kms:CallerAccount + kms:ViaService

@Suite struct PolicyCallerAccountTests {
    let west = "rds.us-west-2.amazonaws.com"
    let rdsKey = "arn:aws:kms:us-west-2:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321"

    @Test func sameAccountThroughRDSIsAllowedAsAnyone() throws {
        let p = try PolicyFixtures.policy("aws-rds-managed.json")
        for action in ["kms:Decrypt", "kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptFrom", "kms:CreateGrant"] {
            let d = PolicyEvaluator.evaluate(p, call(action, by: "arn:aws:iam::111122223333:role/app", via: west, key: rdsKey))
            #expect(d.outcome == .allowed)
            #expect(d.allows.map(\.match) == [.anyone])
            #expect(!d.isAllowedOnlyByAccountDelegation)
        }
    }

    @Test func callerFromAnotherAccountIsNotAllowed() throws {
        let p = try PolicyFixtures.policy("aws-rds-managed.json")
        let d = PolicyEvaluator.evaluate(p, call("kms:Decrypt", by: "arn:aws:iam::444455556666:role/app", via: west, key: rdsKey))
        #expect(d.outcome == .implicitDeny)
        #expect(d.allows.isEmpty)
    }

    @Test func sameAccountDirectlyGetsOnlyMetadata() throws {
        let p = try PolicyFixtures.policy("aws-rds-managed.json")
        let role = "arn:aws:iam::111122223333:role/app"
        #expect(PolicyEvaluator.evaluate(p, call("kms:Decrypt", by: role, key: rdsKey)).outcome == .implicitDeny)
        let d = PolicyEvaluator.evaluate(p, call("kms:DescribeKey", by: role, key: rdsKey))
        #expect(d.outcome == .allowed)
        #expect(d.allows.map(\.match) == [.accountRoot])
    }

    @Test func explicitCallerAccountOverridesPrincipalAccount() {
        let ctx = RequestContext(action: "Decrypt", principalArn: "arn:aws:iam::111122223333:role/app", callerAccount: "999999999999")
        #expect(ctx.principalAccount == "111122223333")
        #expect(ctx.callerAccount == "999999999999")
        #expect(ctx.action == "kms:Decrypt")
    }
}

// MARK: - Principals, actions, resources

@Suite struct PolicyElementTests {
    @Test func notPrincipalDenyExemptsOnlyTheListedPrincipals() throws {
        let p = try PolicyFixtures.policy(statements:
            #"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"}"#,
            #"{"Sid":"OnlyAdmin","Effect":"Deny","NotPrincipal":{"AWS":["arn:aws:iam::123456789012:role/KeyAdmin","arn:aws:iam::123456789012:root"]},"Action":"kms:ScheduleKeyDeletion","Resource":"*"}"#)
        let other = PolicyEvaluator.evaluate(p, call("kms:ScheduleKeyDeletion", by: otherRole))
        #expect(other.outcome == .explicitDeny)
        #expect(other.denies.map(\.match) == [.anyone])
        let admin = PolicyEvaluator.evaluate(p, call("kms:ScheduleKeyDeletion", by: "arn:aws:iam::123456789012:role/KeyAdmin"))
        #expect(admin.outcome == .allowed)
        #expect(admin.denies.isEmpty)
        // The root user is the account principal itself, which the list names.
        let root = RequestContext(action: "kms:ScheduleKeyDeletion", principalArn: "arn:aws:iam::123456789012:root", isRootUser: true)
        #expect(PolicyEvaluator.evaluate(p, root).outcome == .allowed)
        // Not the action: NotPrincipal does not widen the Deny beyond its Action.
        #expect(PolicyEvaluator.evaluate(p, call("kms:Decrypt", by: otherRole)).outcome == .allowed)
    }

    @Test func notPrincipalAllowCoversEveryoneElse() throws {
        let p = try PolicyFixtures.policy(statements:
            #"{"Effect":"Allow","NotPrincipal":{"AWS":"arn:aws:iam::123456789012:role/Contractor"},"Action":"kms:Decrypt","Resource":"*"}"#)
        #expect(PolicyEvaluator.evaluate(p, call("kms:Decrypt", by: "arn:aws:iam::123456789012:role/Contractor")).outcome == .implicitDeny)
        let d = PolicyEvaluator.evaluate(p, call("kms:Decrypt", by: otherRole))
        #expect(d.outcome == .allowed)
        #expect(d.allows.map(\.match) == [.anyone])
    }

    @Test func notActionDenyForbidsEverythingElse() throws {
        let p = try PolicyFixtures.policy(statements:
            #"{"Effect":"Allow","Principal":{"AWS":"\#(neptuneRole)"},"Action":"kms:*","Resource":"*"}"#,
            #"{"Effect":"Deny","Principal":{"AWS":"\#(neptuneRole)"},"NotAction":["kms:Decrypt","kms:Describe*"],"Resource":"*"}"#)
        #expect(PolicyEvaluator.evaluate(p, call("kms:Decrypt")).outcome == .allowed)
        #expect(PolicyEvaluator.evaluate(p, call("kms:DescribeKey")).outcome == .allowed)
        let enc = PolicyEvaluator.evaluate(p, call("kms:Encrypt"))
        #expect(enc.outcome == .explicitDeny)
        #expect(enc.denies.map(\.statementIndex) == [1])
    }

    @Test(arguments: [
        ("kms:*", "kms:Decrypt", true),
        ("*", "kms:PutKeyPolicy", true),
        ("kms:Generate*", "kms:GenerateDataKeyWithoutPlaintext", true),
        ("kms:Generate*", "kms:Decrypt", false),
        ("kms:ReEncrypt*", "kms:ReEncryptFrom", true),
        ("kms:ReEncrypt*", "kms:ReEncryptTo", true),
        ("KMS:decrypt", "kms:Decrypt", true),
        ("kms:?ncrypt", "kms:Encrypt", true),
        ("kms:?ncrypt", "kms:Decrypt", false),
        ("kms:Encrypt", "kms:EncryptX", false),
        ("s3:*", "kms:Decrypt", false),
    ])
    func actionWildcards(pattern: String, action: String, covered: Bool) throws {
        let p = try PolicyFixtures.policy(statements:
            #"{"Effect":"Allow","Principal":{"AWS":"\#(neptuneRole)"},"Action":"\#(pattern)","Resource":"*"}"#)
        let d = PolicyEvaluator.evaluate(p, call(action))
        #expect(d.outcome == (covered ? .allowed : .implicitDeny))
        #expect(d.allows.map(\.match) == (covered ? [.named] : []))
    }

    @Test(arguments: [
        (#""Resource":"arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab""#, true),
        (#""Resource":"arn:aws:kms:us-east-1:123456789012:key/ffffffff-0000-0000-0000-000000000000""#, false),
        (#""Resource":"arn:aws:kms:*:123456789012:key/*""#, true),
        (#""Resource":"arn:aws:kms:us-east-1:444455556666:key/*""#, false),
        (#""NotResource":"arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab""#, false),
        (#""NotResource":"arn:aws:kms:us-east-1:123456789012:key/other""#, true),
    ])
    func resourceMatching(resource: String, covered: Bool) throws {
        let p = try PolicyFixtures.policy(statements:
            #"{"Effect":"Allow","Principal":{"AWS":"\#(neptuneRole)"},"Action":"kms:Decrypt",\#(resource)}"#)
        #expect(PolicyEvaluator.evaluate(p, call("kms:Decrypt")).outcome == (covered ? .allowed : .implicitDeny))
    }

    @Test func denyWinsOverANamedAllow() throws {
        let p = try PolicyFixtures.policy(statements:
            #"{"Effect":"Allow","Principal":{"AWS":"\#(neptuneRole)"},"Action":"kms:Decrypt","Resource":"*"}"#,
            #"{"Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*"}"#)
        let d = PolicyEvaluator.evaluate(p, call("kms:Decrypt"))
        #expect(d.outcome == .explicitDeny)
        #expect(d.allows.map(\.match) == [.named])
        #expect(d.denies.map(\.match) == [.anyone])
        #expect(!d.isAllowed)
    }

    @Test(arguments: ["rds.amazonaws.com", "rds.us-east-1.amazonaws.com", "RDS.eu-west-1.amazonaws.com"])
    func rdsServicePrincipalInAnyFormIsTheSameService(caller: String) throws {
        let p = try PolicyFixtures.policy(statements:
            #"{"Effect":"Allow","Principal":{"Service":["rds.amazonaws.com"]},"Action":"kms:Decrypt","Resource":"*"}"#,
            #"{"Effect":"Allow","Principal":{"Service":"rds.us-west-2.amazonaws.com"},"Action":"kms:Encrypt","Resource":"*"}"#)
        let ctx = { (a: String) in RequestContext(action: a, principalArn: caller, servicePrincipal: caller) }
        #expect(PolicyEvaluator.evaluate(p, ctx("kms:Decrypt")).allows.map(\.match) == [.service])
        #expect(PolicyEvaluator.evaluate(p, ctx("kms:Encrypt")).allows.map(\.match) == [.service])
        let ec2 = RequestContext(action: "kms:Decrypt", principalArn: "ec2.amazonaws.com", servicePrincipal: "ec2.amazonaws.com")
        #expect(PolicyEvaluator.evaluate(p, ec2).outcome == .implicitDeny)
    }

    @Test func serviceEntryDoesNotMatchARoleCallingThroughThatService() throws {
        let p = try PolicyFixtures.policy(statements:
            #"{"Effect":"Allow","Principal":{"Service":"rds.amazonaws.com"},"Action":"kms:Decrypt","Resource":"*"}"#)
        #expect(PolicyEvaluator.evaluate(p, call("kms:Decrypt", via: rdsEast)).outcome == .implicitDeny)
    }

    @Test func accountEntriesDelegateToThatAccount() throws {
        let p = try PolicyFixtures.policy(statements:
            #"{"Effect":"Allow","Principal":{"AWS":["444455556666"]},"Action":"kms:Decrypt","Resource":"*"}"#)
        let crossRole = PolicyEvaluator.evaluate(p, call("kms:Decrypt", by: "arn:aws:iam::444455556666:role/x"))
        #expect(crossRole.allows.map(\.match) == [.accountRoot])
        let crossAccount = RequestContext(action: "kms:Decrypt", principalArn: "arn:aws:iam::444455556666:root")
        #expect(PolicyEvaluator.evaluate(p, crossAccount).allows.map(\.match) == [.accountRoot])
        #expect(PolicyEvaluator.evaluate(p, call("kms:Decrypt")).outcome == .implicitDeny)
    }

    @Test func sessionPrincipalMatchesOnlyThatSession() throws {
        let s1 = "arn:aws:sts::123456789012:assumed-role/NeptuneFullAccess/s1"
        let p = try PolicyFixtures.policy(statements:
            #"{"Effect":"Allow","Principal":{"AWS":"\#(s1)"},"Action":"kms:Decrypt","Resource":"*"}"#)
        #expect(PolicyEvaluator.evaluate(p, call("kms:Decrypt", session: s1)).allows.map(\.match) == [.named])
        #expect(PolicyEvaluator.evaluate(p, call("kms:Decrypt", session: "arn:aws:sts::123456789012:assumed-role/NeptuneFullAccess/s2")).outcome == .implicitDeny)
    }

    @Test func federatedAndCanonicalPrincipalsNeverMatchAnEventPrincipal() throws {
        let p = try PolicyFixtures.policy(statements:
            #"{"Effect":"Allow","Principal":{"Federated":"arn:aws:iam::123456789012:saml-provider/corp","CanonicalUser":"\#(neptuneRole)"},"Action":"kms:*","Resource":"*"}"#)
        #expect(PolicyEvaluator.evaluate(p, call("kms:Decrypt")).outcome == .implicitDeny)
    }

    @Test func emptyStatementListDeniesImplicitly() throws {
        let p = try KeyPolicy(json: #"{"Statement": []}"#)
        #expect(PolicyEvaluator.evaluate(p, call("kms:Decrypt")).outcome == .implicitDeny)
    }

    @Test func defaultPolicyAllowsTheAccountOnlyByDelegation() {
        let p = KeyPolicy.awsDefault(account: acct)
        let d = PolicyEvaluator.evaluate(p, call("kms:PutKeyPolicy", by: otherRole))
        #expect(d.outcome == .allowed)
        #expect(d.isAllowedOnlyByAccountDelegation)
        #expect(PolicyEvaluator.evaluate(p, call("kms:Decrypt", by: "arn:aws:iam::444455556666:role/x")).outcome == .implicitDeny)
    }
}

// MARK: - Not evaluable (docs/rules/DECISIONS.md #6)

@Suite struct PolicyNotEvaluableTests {
    let namedAllow = #"{"Sid":"Named","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/NeptuneFullAccess"},"Action":"kms:Decrypt","Resource":"*"}"#
    let dateAllow = #"{"Sid":"Dated","Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"DateGreaterThan":{"aws:CurrentTime":"2024-01-01T00:00:00Z"}}}"#
    let ipDeny = #"{"Sid":"IpDeny","Effect":"Deny","Principal":"*","Action":"kms:*","Resource":"*","Condition":{"StringNotLike":{"aws:SourceIp":"10.*"}}}"#

    @Test func unknownOperatorAloneLeavesOutcomeNotEvaluable() throws {
        let d = PolicyEvaluator.evaluate(try PolicyFixtures.policy(statements: dateAllow), call("kms:Decrypt"))
        #expect(d.outcome == .notEvaluable)
        #expect(d.notEvaluable == [NotEvaluableStatement(statementIndex: 0, sid: "Dated", effect: .allow, match: .anyone,
                                                         reasons: [.unsupportedOperator("DateGreaterThan")])])
        #expect(!d.isAllowed)
    }

    @Test func otherAllowDecidesAndUnknownIsStillReported() throws {
        let d = PolicyEvaluator.evaluate(try PolicyFixtures.policy(statements: dateAllow, namedAllow), call("kms:Decrypt"))
        #expect(d.outcome == .allowed)
        #expect(d.allows.map(\.match) == [.named])
        #expect(d.notEvaluable.map(\.sid) == ["Dated"])
    }

    @Test func unknownKeyInDenyBlocksAnAllowedVerdict() throws {
        let d = PolicyEvaluator.evaluate(try PolicyFixtures.policy(statements: namedAllow, ipDeny), call("kms:Decrypt"))
        #expect(d.outcome == .notEvaluable)
        #expect(d.notEvaluable.first?.reasons == [.unsupportedKey(key: "aws:SourceIp", operatorName: "StringNotLike")])
        #expect(d.allows.map(\.sid) == ["Named"])
    }

    @Test func unknownDenyWithoutAnyAllowIsStillImplicitDeny() throws {
        let d = PolicyEvaluator.evaluate(try PolicyFixtures.policy(statements: ipDeny), call("kms:Decrypt"))
        #expect(d.outcome == .implicitDeny)
        #expect(d.notEvaluable.map(\.effect) == [.deny])
    }

    @Test func applicableDenyDecidesDespiteUnknownAllow() throws {
        let deny = #"{"Effect":"Deny","Principal":{"AWS":"\#(neptuneRole)"},"Action":"kms:Decrypt","Resource":"*"}"#
        let d = PolicyEvaluator.evaluate(try PolicyFixtures.policy(statements: dateAllow, deny), call("kms:Decrypt"))
        #expect(d.outcome == .explicitDeny)
        #expect(d.notEvaluable.count == 1)
    }

    @Test func aFailingKnownConditionDecidesTheStatement() throws {
        // false AND unknown is false: the statement simply does not apply.
        let p = try PolicyFixtures.policy(statements: #"""
        {"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*",
         "Condition":{"StringEquals":{"kms:ViaService":"rds.us-east-1.amazonaws.com"},"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}
        """#)
        let d = PolicyEvaluator.evaluate(p, call("kms:Decrypt"))
        #expect(d.outcome == .implicitDeny)
        #expect(d.notEvaluable.isEmpty)
        // Through RDS the known clause holds, so the unknown one decides: not evaluable.
        let via = PolicyEvaluator.evaluate(p, call("kms:Decrypt", via: rdsEast))
        #expect(via.outcome == .notEvaluable)
        #expect(via.notEvaluable.first?.reasons == [.unsupportedOperator("IpAddress")])
    }

    @Test func unknownStatementForSomeoneElseIsIgnored() throws {
        let p = try PolicyFixtures.policy(statements: #"""
        {"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/Other"},"Action":"kms:Decrypt","Resource":"*",
         "Condition":{"DateLessThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}}
        """#)
        let d = PolicyEvaluator.evaluate(p, call("kms:Decrypt"))
        #expect(d.outcome == .implicitDeny)
        #expect(d.notEvaluable.isEmpty)
    }
}
