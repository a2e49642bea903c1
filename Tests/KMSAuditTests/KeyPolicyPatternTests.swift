import Foundation
import Testing
@testable import KMSAudit

/// KMS-006 through the real policy evaluator: each case is a policy (and the principals seen
/// using the key through RDS) and the exact set of "category principal" it must give. Expected
/// sets come from IAM semantics and the rule's definition (docs/rules/KMS-006.md), reasoned per
/// statement in the comments, not from running the code.
private let key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
private let neptune = "arn:aws:iam::123456789012:role/NeptuneFullAccess"
private let dbAdmin = "arn:aws:iam::123456789012:role/DBAdmin"
private let app = "arn:aws:iam::123456789012:role/AppServer"
private let keyAdmin = "arn:aws:iam::123456789012:role/KeyAdmin"
private let partner = "arn:aws:iam::444455556666:role/Partner"
private let eightActions = #"["kms:Encrypt","kms:Decrypt","kms:GenerateDataKey","kms:ReEncryptTo","kms:GenerateDataKeyWithoutPlaintext","kms:CreateGrant","kms:ReEncryptFrom","kms:DescribeKey"]"#

private let root = #"{"Sid":"Root","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"}"#
private func seedAllow(_ region: String = "us-east-1", actions: String = eightActions, who: String = neptune) -> String {
    #"{"Sid":"Allow use of the key for Neptune","Effect":"Allow","Principal":{"AWS":"\#(who)"},"Action":\#(actions),"Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"rds.\#(region).amazonaws.com"}}}"#
}
private func seedDeny(_ region: String = "us-east-1") -> String {
    #"{"Sid":"Deny use of the key for non Neptune","Effect":"Deny","Principal":{"AWS":"\#(neptune)"},"Action":["kms:*"],"Resource":"*","Condition":{"StringNotEquals":{"kms:ViaService":"rds.\#(region).amazonaws.com"}}}"#
}
/// An extra statement for `principal` (JSON value) with `actions` and an optional condition.
private func allow(_ principal: String, _ actions: String, condition: String? = nil, sid: String = "Extra", effect: String = "Allow",
                   principalKey: String = "Principal") -> String {
    #"{"Sid":"\#(sid)","Effect":"\#(effect)","\#(principalKey)":\#(principal),"Action":\#(actions),"Resource":"*"\#(condition.map { #","Condition":\#($0)"# } ?? "")}"#
}
private func aws(_ arn: String) -> String { #"{"AWS":"\#(arn)"}"# }

private func policy(_ statements: String...) throws -> KeyPolicy {
    try KeyPolicy(json: #"{"Version":"2012-10-17","Statement":["# + statements.joined(separator: ",") + "]}")
}

private func judge(_ p: KeyPolicy, key k: String = key, db: [String] = []) -> [PolicyJudgement] {
    KeyPolicyPattern.judge(policy: p, keyARN: k, databasePrincipals: db)
}

private func found(_ p: KeyPolicy, key k: String = key, db: [String] = []) -> Set<String> {
    Set(judge(p, key: k, db: db).map { "\($0.category.rawValue) \($0.principal)" })
}

@Suite struct KeyPolicyPatternSeedTests {
    /// The seed's own example gives nothing: the root delegation statement is exempt;
    /// NeptuneFullAccess may do the eight actions through RDS by name; the Deny stops its every
    /// use outside RDS (so no usable-outside-rds, no no-deny-outside-rds); grant-not-restricted
    /// needs CreateGrant allowed without kms:ViaService, which the Deny stops too; every other
    /// principal of the account is allowed only through the root delegation.
    @Test func theSeedsExamplePolicyGivesNoFindingAtAll() throws {
        let seed = try PolicyFixtures.policy("neptune-seed.json")
        #expect(judge(seed).isEmpty)
        // Also when the role was seen using the key through RDS.
        #expect(judge(seed, db: [neptune]).isEmpty)
    }

    @Test func theSeedWithItsOptionalGrantConditionGivesNothing() throws {
        let p = try policy(root, seedAllow(), seedDeny(),
                           allow(aws(neptune), #"["kms:CreateGrant"]"#, condition: #"{"Bool":{"kms:GrantIsForAWSResource":"true"}}"#))
        #expect(found(p, db: [neptune]).isEmpty)
    }

    @Test func anotherRoleUsingTheSeedKeyThroughRDSIsDelegatedWithNoDeny() throws {
        // DBAdmin (seen through RDS) is allowed only by the root statement: not rds-cannot-use
        // (delegation counts as allowed), but nothing denies it outside RDS.
        let seed = try PolicyFixtures.policy("neptune-seed.json")
        #expect(found(seed, db: [neptune, dbAdmin]) == ["no-deny-outside-rds \(dbAdmin)"])
    }

    @Test func missingActionsAreListedAsNotAllowedByAnyStatement() throws {
        let p = try policy(seedAllow(actions: #"["kms:Encrypt","kms:Decrypt"]"#), seedDeny())
        let j = judge(p)
        #expect(j.count == 1)
        let cannot = try #require(j.first)
        #expect(cannot.category == .rdsCannotUse)
        #expect(cannot.principal == neptune)
        // Six actions are not allowed by any statement (implicitly denied).
        #expect(cannot.actions == ["kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey",
                                   "kms:GenerateDataKeyWithoutPlaintext", "kms:CreateGrant", "kms:DescribeKey"])
        #expect(cannot.statements.isEmpty)
        #expect(cannot.outcomes["kms:CreateGrant"] == "not allowed")
    }
}

@Suite struct KeyPolicyPatternCategoryTests {
    @Test func rdsCannotUseWhenAnActionIsMissingWithoutRoot() throws {
        let seven = #"["kms:Encrypt","kms:Decrypt","kms:GenerateDataKey","kms:ReEncryptTo","kms:GenerateDataKeyWithoutPlaintext","kms:ReEncryptFrom","kms:DescribeKey"]"#
        let p = try policy(seedAllow(actions: seven), seedDeny())
        let j = judge(p)
        #expect(Set(j.map { "\($0.category.rawValue) \($0.principal)" }) == ["rds-cannot-use \(neptune)"])
        #expect(j.first?.actions == ["kms:CreateGrant"])
    }

    @Test func rdsCannotUseByAnExplicitDenyDespiteTheRootStatement() throws {
        let p = try policy(root, seedAllow(), seedDeny(),
                           allow(aws(neptune), #""kms:CreateGrant""#, sid: "No grants", effect: "Deny"))
        let j = judge(p)
        #expect(Set(j.map { "\($0.category.rawValue) \($0.principal)" }) == ["rds-cannot-use \(neptune)"])
        #expect(j.first?.statements.map(\.index) == [3])
        #expect(j.first?.statements.map(\.sid) == ["No grants"])
        #expect(j.first?.outcomes["kms:CreateGrant"] == "denied")
    }

    @Test func viaServiceNamingAnotherRegionWithItsDenyCutsRDSOff() throws {
        // The key is in us-east-1; RDS calls as rds.us-east-1.amazonaws.com, which the Deny
        // (StringNotEquals rds.us-west-2) matches for all eight actions.
        let p = try policy(root, seedAllow("us-west-2"), seedDeny("us-west-2"))
        let j = judge(p)
        #expect(Set(j.map { "\($0.category.rawValue) \($0.principal)" }) == ["rds-cannot-use \(neptune)"])
        #expect(j.first?.actions.count == 8)
    }

    @Test func viaServiceNamingAnotherRegionWithoutRootIsNotAllowed() throws {
        let p = try policy(seedAllow("eu-west-1"))
        #expect(found(p) == ["rds-cannot-use \(neptune)"])
    }

    @Test func viaServiceNamingAnotherRegionWithRootIsDelegatedButUndenied() throws {
        // RDS in us-east-1 gets the actions only through the root delegation (not rds-cannot-use,
        // docs/rules/DECISIONS.md #37), and nothing denies the role outside RDS.
        let p = try policy(root, seedAllow("eu-west-1"))
        #expect(found(p) == ["no-deny-outside-rds \(neptune)"])
    }

    @Test func usableOutsideRDSAlone() throws {
        let p = try policy(root, seedAllow(), seedDeny(), allow(aws(app), #"["kms:Decrypt"]"#))
        let j = judge(p)
        #expect(Set(j.map { "\($0.category.rawValue) \($0.principal)" }) == ["usable-outside-rds \(app)"])
        #expect(j.first?.actions == ["kms:Decrypt"])
        #expect(j.first?.statements.map(\.index) == [3])
    }

    @Test func grantNotRestrictedAlone() throws {
        let p = try policy(root, seedAllow(), seedDeny(), allow(aws(app), #"["kms:CreateGrant","kms:ListGrants","kms:RevokeGrant"]"#))
        #expect(found(p) == ["grant-not-restricted \(app)"])
    }

    @Test func grantRestrictedToAWSResourcesGivesNothing() throws {
        let p = try policy(root, seedAllow(), seedDeny(),
                           allow(aws(app), #"["kms:CreateGrant","kms:ListGrants","kms:RevokeGrant"]"#,
                                 condition: #"{"Bool":{"kms:GrantIsForAWSResource":true}}"#))
        #expect(found(p).isEmpty)
    }

    @Test func kmsCreateWildcardCoversCreateGrant() throws {
        let admin = #"["kms:Create*","kms:Describe*","kms:Enable*","kms:List*","kms:Put*","kms:Update*","kms:Revoke*","kms:Disable*","kms:Get*","kms:Delete*","kms:ScheduleKeyDeletion","kms:CancelKeyDeletion"]"#
        let p = try policy(root, seedAllow(), seedDeny(), allow(aws(keyAdmin), admin))
        #expect(found(p) == ["grant-not-restricted \(keyAdmin)"])
    }

    @Test func kmsCreateWildcardWithTheGrantConditionGivesNothing() throws {
        let p = try policy(root, seedAllow(), seedDeny(),
                           allow(aws(keyAdmin), #"["kms:Create*"]"#, condition: #"{"Bool":{"kms:GrantIsForAWSResource":"true"}}"#))
        #expect(found(p).isEmpty)
    }

    @Test func kmsStarGivesBothUsableAndGrant() throws {
        let p = try policy(root, seedAllow(), seedDeny(), allow(aws(app), #""kms:*""#))
        let j = judge(p)
        #expect(Set(j.map { "\($0.category.rawValue) \($0.principal)" }) == ["usable-outside-rds \(app)", "grant-not-restricted \(app)"])
        #expect(j.first { $0.category == .usableOutsideRDS }?.actions == KeyPolicyPattern.cryptographicActions)
    }

    @Test func listedNonCryptographicActionsGiveNothing() throws {
        let p = try policy(root, seedAllow(), seedDeny(), allow(aws(app), #"["kms:DescribeKey","kms:ListGrants","kms:GetKeyPolicy"]"#))
        #expect(found(p).isEmpty)
    }

    @Test func reEncryptWildcardIsCryptographicUse() throws {
        let p = try policy(root, seedAllow(), seedDeny(), allow(aws(app), #""kms:ReEncrypt*""#))
        let j = judge(p)
        #expect(Set(j.map { "\($0.category.rawValue) \($0.principal)" }) == ["usable-outside-rds \(app)"])
        #expect(j.first?.actions == ["kms:ReEncryptFrom", "kms:ReEncryptTo"])
    }

    @Test func wildcardsInTheDatabaseStatementExpand() throws {
        let p = try policy(seedAllow(actions: #"["kms:Encrypt","kms:Decrypt","kms:ReEncrypt*","kms:GenerateDataKey*","kms:CreateGrant","kms:Describe*"]"#),
                           seedDeny())
        #expect(found(p).isEmpty)
    }

    @Test func noDenyOutsideRDSAlone() throws {
        let p = try policy(root, seedAllow())
        let j = judge(p)
        #expect(Set(j.map { "\($0.category.rawValue) \($0.principal)" }) == ["no-deny-outside-rds \(neptune)"])
        #expect(j.first?.statements.map(\.sid) == ["Root"])
        #expect(j.first?.actions == KeyPolicyPattern.keyUseActions)
    }

    @Test func explicitDenyAgainstAnAllowStopsUseOutsideRDS() throws {
        let p = try policy(root, allow(aws(app), #"["kms:Decrypt","kms:Encrypt"]"#),
                           allow(aws(app), #""kms:*""#, condition: #"{"StringNotEquals":{"kms:ViaService":"rds.us-east-1.amazonaws.com"}}"#,
                                 sid: "Deny app", effect: "Deny"))
        #expect(found(p).isEmpty)
    }

    @Test func explicitDenyOfGrantsForNonAWSResourcesLeavesRDSItsGrants() throws {
        let p = try policy(root, seedAllow(), seedDeny(),
                           allow(aws(neptune), #""kms:CreateGrant""#, condition: #"{"Bool":{"kms:GrantIsForAWSResource":"false"}}"#,
                                 sid: "No grants for people", effect: "Deny"))
        #expect(found(p).isEmpty)
    }
}

@Suite struct KeyPolicyPatternDelegationTests {
    @Test func delegationOnlyDatabasePrincipalIsNotRDSCannotUse() throws {
        // AWS's default policy: the root statement alone. NeptuneFullAccess, seen through RDS, is
        // allowed the eight actions only by delegation (#37): not rds-cannot-use, but undenied.
        let p = KeyPolicy.awsDefault(account: "123456789012")
        #expect(found(p, db: [neptune]) == ["no-deny-outside-rds \(neptune)"])
        #expect(found(p).isEmpty)  // no database principal, and root delegation is exempt
    }

    @Test func delegationOnlyDatabasePrincipalWithADenyGivesNothing() throws {
        // Only the seed's Deny names the role (so it is a database principal); the root statement
        // lets it through RDS, the Deny stops it outside.
        let p = try policy(root, seedDeny())
        #expect(found(p).isEmpty)
    }

    @Test func anotherAccountNamedByRootARNForRDSUseGivesNothing() throws {
        // 444455556666's principals may use the key through RDS by delegation; outside RDS the
        // statement's condition fails, so nothing is delegated there.
        let p = try policy(root, seedAllow(), seedDeny(), seedAllow(who: "arn:aws:iam::444455556666:root"))
        #expect(found(p, db: [partner]).isEmpty)
    }

    @Test func anotherAccountNamedByRootARNWithoutConditionIsNoDenyForItsDatabasePrincipal() throws {
        let p = try policy(root, seedAllow(), seedDeny(), allow(aws("444455556666"), #"["kms:Decrypt","kms:GenerateDataKey*","kms:DescribeKey","kms:CreateGrant","kms:Encrypt","kms:ReEncrypt*"]"#))
        // Partner (seen through RDS) is delegated everything it needs: not rds-cannot-use; the
        // delegation also holds outside RDS and nothing denies it. An account root is never
        // usable-outside-rds or grant-not-restricted itself.
        #expect(found(p, db: [partner]) == ["no-deny-outside-rds \(partner)"])
        #expect(found(p).isEmpty)
    }

    @Test func anotherAccountsRoleNamedDirectlyIsUsableOutsideRDS() throws {
        let p = try policy(root, seedAllow(), seedDeny(), allow(aws(partner), #""kms:Decrypt""#))
        #expect(found(p) == ["usable-outside-rds \(partner)"])
    }

    @Test func configuredDatabasePrincipalNotAllowedIsRDSCannotUse() throws {
        let p = try policy(seedAllow(), seedDeny())
        #expect(found(p, db: [dbAdmin]) == ["rds-cannot-use \(dbAdmin)"])
    }

    @Test func assumedRoleSessionOfTheDatabaseRoleCountsAsTheRole() throws {
        let session = "arn:aws:sts::123456789012:assumed-role/NeptuneFullAccess/graph-loader"
        let p = try policy(seedAllow(who: session), seedDeny())
        // The statement names a session of the role: the role is the database principal, and the
        // session's ARN matches it through RDS.
        #expect(found(p).isEmpty)
    }
}

@Suite struct KeyPolicyPatternAnyoneTests {
    @Test func anyoneWithACallerAccountConditionIsUsableOutsideRDSAsStar() throws {
        let p = try policy(root, seedAllow(), seedDeny(),
                           allow(#""*""#, #"["kms:Decrypt","kms:DescribeKey"]"#, condition: #"{"StringEquals":{"kms:CallerAccount":"123456789012"}}"#))
        let j = judge(p)
        #expect(Set(j.map { "\($0.category.rawValue) \($0.principal)" }) == ["usable-outside-rds *"])
        #expect(j.first?.statements.map(\.index) == [3])
    }

    @Test func anyoneWithAPrincipalArnConditionIsStillReportedAsStar() throws {
        let p = try policy(root, seedAllow(), seedDeny(),
                           allow(aws("*"), #""kms:Decrypt""#, condition: #"{"StringEquals":{"aws:PrincipalArn":"\#(app)"}}"#))
        let j = judge(p)
        #expect(Set(j.map { "\($0.category.rawValue) \($0.principal)" }) == ["usable-outside-rds *"])
        #expect(j.first?.principalsTested == [app])
    }

    @Test func anyoneThroughRDSOnlyIsTheAWSManagedPatternAndGivesNothing() throws {
        let managed = try PolicyFixtures.policy("aws-rds-managed.json")
        let k = "arn:aws:kms:us-west-2:111122223333:key/0a1b2c3d-1111-2222-3333-444455556666"
        #expect(found(managed, key: k, db: ["arn:aws:iam::111122223333:role/App"]).isEmpty)
    }

    @Test func anyoneWithoutConditionsIsUsableAndGrantsAsStar() throws {
        let p = try policy(root, seedAllow(), seedDeny(), allow(#""*""#, #""kms:*""#))
        // NeptuneFullAccess stays denied outside RDS by its Deny; everyone else is let in by "*".
        #expect(found(p, db: [neptune]) == ["usable-outside-rds *", "grant-not-restricted *"])
    }

    @Test func anyoneAllowedToGrantOnlyForAWSResourcesGivesNothing() throws {
        let p = try policy(root, seedAllow(), seedDeny(),
                           allow(#""*""#, #""kms:CreateGrant""#, condition: #"{"Bool":{"kms:GrantIsForAWSResource":"true"},"StringEquals":{"kms:CallerAccount":"123456789012"}}"#))
        #expect(found(p).isEmpty)
    }

    @Test func notPrincipalAllowNamesNobodyAndIsReportedAsStar() throws {
        let p = try policy(root, seedAllow(), seedDeny(), allow(aws(keyAdmin), #""kms:Decrypt""#, principalKey: "NotPrincipal"))
        #expect(found(p) == ["usable-outside-rds *"])
    }

    @Test func notPrincipalDenyStopsEveryoneNotListed() throws {
        let p = try policy(root, allow(aws(app), #""kms:Decrypt""#),
                           allow(#"{"AWS":["\#(neptune)","\#(keyAdmin)"]}"#, #""kms:Decrypt""#, sid: "Only listed", effect: "Deny",
                                 principalKey: "NotPrincipal"))
        #expect(found(p).isEmpty)
    }

    @Test func notPrincipalDenyExemptsTheListedPrincipal() throws {
        let p = try policy(root, allow(aws(app), #""kms:Decrypt""#),
                           allow(#"{"AWS":["\#(app)","\#(keyAdmin)"]}"#, #""kms:Decrypt""#, sid: "Only listed", effect: "Deny",
                                 principalKey: "NotPrincipal"))
        #expect(found(p) == ["usable-outside-rds \(app)"])
    }

    @Test func servicePrincipalsOtherThanRDSAreJudged() throws {
        let p = try policy(root, seedAllow(), seedDeny(),
                           allow(#"{"Service":"backup.amazonaws.com"}"#, #""kms:Decrypt""#),
                           allow(#"{"Service":"rds.amazonaws.com"}"#, #""kms:Decrypt""#))
        #expect(found(p) == ["usable-outside-rds backup.amazonaws.com"])
    }
}

@Suite struct KeyPolicyPatternConditionTests {
    @Test func unknownOperatorIsNotEvaluable() throws {
        let p = try policy(root, seedAllow(), seedDeny(),
                           allow(aws(app), #""kms:Decrypt""#, condition: #"{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#))
        let j = judge(p)
        #expect(Set(j.map { "\($0.category.rawValue) \($0.principal)" }) == ["not-evaluable \(app)"])
        #expect(j.first?.undecided == ["usable-outside-rds"])
        #expect(j.first?.statements.first?.notEvaluable.first?.contains("IpAddress") == true)
    }

    @Test func unknownConditionKeyIsNotEvaluable() throws {
        let p = try policy(root, seedAllow(), seedDeny(),
                           allow(aws(app), #""kms:Decrypt""#, condition: #"{"StringEquals":{"aws:SourceVpc":"vpc-0abc"}}"#))
        #expect(found(p) == ["not-evaluable \(app)"])
    }

    @Test func ifExistsOnAnUnknownKeyHoldsInTheMadeUpRequest() throws {
        let p = try policy(root, seedAllow(), seedDeny(),
                           allow(aws(app), #""kms:Decrypt""#, condition: #"{"StringEqualsIfExists":{"aws:SourceVpc":"vpc-0abc"}}"#))
        #expect(found(p) == ["usable-outside-rds \(app)"])
    }

    @Test func ifExistsOnAnUnknownOperatorHoldsInTheMadeUpRequest() throws {
        let p = try policy(root, seedAllow(), seedDeny(),
                           allow(aws(app), #""kms:Decrypt""#, condition: #"{"DateGreaterThanIfExists":{"aws:CurrentTime":"2026-01-01T00:00:00Z"}}"#))
        #expect(found(p) == ["usable-outside-rds \(app)"])
    }

    @Test func ifExistsOnViaServiceHoldsOutsideRDS() throws {
        // StringEqualsIfExists kms:ViaService: a direct call has no ViaService, so it is allowed.
        // The statement's condition names RDS, so AppServer is a database principal too, and the
        // root statement delegates its use outside RDS with no Deny.
        let p = try policy(root, seedAllow(), seedDeny(),
                           allow(aws(app), #""kms:Decrypt""#, condition: #"{"StringEqualsIfExists":{"kms:ViaService":"rds.us-east-1.amazonaws.com"}}"#))
        #expect(found(p) == ["usable-outside-rds \(app)", "no-deny-outside-rds \(app)"])
    }

    @Test func encryptionContextConditionIsAbsentFromTheMadeUpRequest() throws {
        // Only the four keys are in the request: StringEquals on an encryption context key fails.
        let p = try policy(root, seedAllow(), seedDeny(),
                           allow(aws(app), #""kms:Decrypt""#, condition: #"{"StringEquals":{"kms:EncryptionContext:aws:rds:db-id":"db-ABC"}}"#))
        #expect(found(p).isEmpty)
    }

    @Test func unknownConditionOnTheDatabaseStatementWithoutRootIsNotEvaluable() throws {
        let p = try policy(
            #"{"Sid":"Neptune from the VPC","Effect":"Allow","Principal":{"AWS":"\#(neptune)"},"Action":\#(eightActions),"Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"rds.us-east-1.amazonaws.com","aws:SourceVpc":"vpc-0abc"}}}"#,
            seedDeny())
        let j = judge(p)
        #expect(Set(j.map { "\($0.category.rawValue) \($0.principal)" }) == ["not-evaluable \(neptune)"])
        #expect(j.first?.undecided == ["rds-cannot-use"])
        #expect(j.first?.actions.count == 8)
    }

    @Test func unknownConditionOnTheDatabaseStatementWithRootIsDecidedByDelegation() throws {
        // The root statement allows the eight actions through RDS whatever the unevaluable one
        // says (#37), and the Deny stops use outside RDS: nothing left to decide.
        let p = try policy(root,
            #"{"Sid":"Neptune from the VPC","Effect":"Allow","Principal":{"AWS":"\#(neptune)"},"Action":\#(eightActions),"Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"rds.us-east-1.amazonaws.com","aws:SourceVpc":"vpc-0abc"}}}"#,
            seedDeny())
        #expect(found(p).isEmpty)
    }

    @Test func unevaluableDenyLeavesBothRDSUseAndNoDenyUndecided() throws {
        let p = try policy(root, seedAllow(),
                           allow(aws(neptune), #""kms:*""#, condition: #"{"StringNotEquals":{"aws:SourceVpc":"vpc-0abc"}}"#, sid: "VPC only", effect: "Deny"))
        let j = judge(p)
        #expect(Set(j.map { "\($0.category.rawValue) \($0.principal)" }) == ["not-evaluable \(neptune)"])
        #expect(Set(j.first?.undecided ?? []) == ["rds-cannot-use", "no-deny-outside-rds"])
        #expect(j.first?.statements.map(\.sid) == ["VPC only"])
    }

    @Test func unevaluableDenyAgainstANamedAllowIsNotEvaluable() throws {
        let p = try policy(root, allow(aws(app), #""kms:Decrypt""#),
                           allow(aws(app), #""kms:Decrypt""#, condition: #"{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}"#, sid: "Office only", effect: "Deny"))
        #expect(found(p) == ["not-evaluable \(app)"])
    }

    @Test func theSameInputGivesTheSameJudgementsInTheSameOrder() throws {
        let p = try policy(root, seedAllow(), allow(#""*""#, #""kms:*""#), allow(aws(app), #""kms:Create*""#))
        let a = judge(p, db: [dbAdmin, neptune]), b = judge(p, db: [dbAdmin, neptune])
        #expect(a == b)
        #expect(!a.isEmpty)
    }
}
