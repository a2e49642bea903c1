import Foundation
import Testing
@testable import KMSAudit

/// KMS-004's question (docs/rules/DECISIONS.md #9): which required actions does a new policy take
/// away from the principals that use the key through RDS?
@Suite struct PolicyRDSAccessTests {
    let role = "arn:aws:iam::123456789012:role/NeptuneFullAccess"
    let keyArn = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    var user: RDSKeyUser { RDSKeyUser(principalArn: role, account: "123456789012") }

    func seed() throws -> KeyPolicy { try PolicyFixtures.policy("neptune-seed.json") }

    /// The seed without its statement 2 ("Allow use of the key for Neptune").
    func seedWithoutRoleStatement() throws -> KeyPolicy {
        var p = try seed()
        p.statements.remove(at: 1)
        return p
    }

    @Test func requiredActionsAreTheSeedList() {
        #expect(Set(RDSKeyAccess.requiredActions) == [
            "kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:GenerateDataKey",
            "kms:GenerateDataKeyWithoutPlaintext", "kms:CreateGrant", "kms:DescribeKey",
        ])
    }

    @Test func viaRDSContextSetsViaServiceAndGrantFlag() {
        let grant = RDSKeyAccess.viaRDSContext(user: user, action: "CreateGrant", region: "us-east-1")
        #expect(grant.viaService == "rds.us-east-1.amazonaws.com")
        #expect(grant.grantIsForAWSResource == true)
        #expect(grant.callerAccount == "123456789012")
        #expect(RDSKeyAccess.viaRDSContext(user: user, action: "kms:Decrypt", region: "us-east-1").grantIsForAWSResource == nil)
    }

    @Test func unchangedPolicyTakesNothing() throws {
        #expect(RDSKeyAccess.lostAccess(previous: try seed(), new: try seed(), users: [user], region: "us-east-1", keyArn: keyArn).isEmpty)
    }

    @Test func removingTheRoleLeavesOnlyAccountDelegation() throws {
        // The root statement remains, so IAM policies might still let the role in; the key
        // policy itself no longer does. All eight actions are reported.
        let lost = RDSKeyAccess.lostAccess(previous: try seed(), new: try seedWithoutRoleStatement(), users: [user],
                                           region: "us-east-1", keyArn: keyArn)
        #expect(lost.count == 1)
        #expect(lost.first?.user == user)
        #expect(Set(lost.first?.actions ?? []) == Set(RDSKeyAccess.requiredActions))
        #expect(lost.first?.missing.allSatisfy { $0.reason == .onlyViaAccountDelegation && $0.before == .allowed && $0.after == .allowed } == true)
    }

    @Test func removingRoleAndRootStatementsIsNotAllowed() throws {
        let new = try PolicyFixtures.policy(statements:
            #"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:role/KeyAdmin"},"Action":"kms:*","Resource":"*"}"#)
        let lost = RDSKeyAccess.lostAccess(previous: try seed(), new: new, users: [user], region: "us-east-1", keyArn: keyArn)
        #expect(lost.first?.missing.count == 8)
        #expect(lost.first?.missing.allSatisfy { $0.reason == .notAllowed && $0.after == .implicitDeny } == true)
    }

    @Test func explicitDenyOfSomeActionsIsReportedAsDeny() throws {
        var new = try seed()
        new.statements.append(PolicyStatement(index: 3, sid: "NoDecrypt", effect: .deny, principals: [.anyone],
                                              actions: ["kms:Decrypt", "kms:ReEncrypt*"]))
        let lost = RDSKeyAccess.lostAccess(previous: try seed(), new: new, users: [user], region: "us-east-1", keyArn: keyArn)
        #expect(lost.first?.missing.map(\.action) == ["kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo"])
        #expect(lost.first?.missing.allSatisfy { $0.reason == .explicitDeny } == true)
    }

    @Test func movingViaServiceToAnotherRegionCutsRDSOff() throws {
        let text = try PolicyFixtures.text("neptune-seed.json").replacingOccurrences(of: "us-east-1", with: "us-west-2")
        let lost = RDSKeyAccess.lostAccess(previous: try seed(), new: try KeyPolicy(json: text), users: [user],
                                           region: "us-east-1", keyArn: keyArn)
        // The moved Deny (StringNotEquals us-west-2) now matches calls through us-east-1.
        #expect(lost.first?.missing.count == 8)
        #expect(lost.first?.missing.allSatisfy { $0.reason == .explicitDeny } == true)
    }

    @Test func grantConditionOnCreateGrantIsSatisfiedThroughRDS() throws {
        // Scoping CreateGrant with GrantIsForAWSResource (the seed's suggestion) takes nothing from RDS.
        let text = try PolicyFixtures.text("neptune-seed.json")
        var new = try KeyPolicy(json: text)
        new.statements[1].actions.removeAll { $0 == "kms:CreateGrant" }
        new.statements.append(PolicyStatement(sid: "Grants", effect: .allow, principals: [.arn(role)], actions: ["kms:CreateGrant"],
                                              conditions: [ConditionClause(operatorName: "Bool", key: "kms:GrantIsForAWSResource", values: ["true"])]))
        #expect(RDSKeyAccess.lostAccess(previous: try seed(), new: new, users: [user], region: "us-east-1", keyArn: keyArn).isEmpty)
    }

    @Test func withoutObservedUsersThePreviousViaServiceStatementsNameThem() throws {
        #expect(RDSKeyAccess.users(fromViaServiceStatementsOf: try seed()) == [RDSKeyUser(principalArn: role)])
        let lost = RDSKeyAccess.lostAccess(previous: try seed(), new: try seedWithoutRoleStatement(), users: [],
                                           region: "us-east-1", keyArn: keyArn)
        #expect(lost.map(\.user.principalArn) == [role])
    }

    @Test func awsRdsShapeStandsForTheCallerAccount() throws {
        let managed = try PolicyFixtures.policy("aws-rds-managed.json")
        let users = RDSKeyAccess.users(fromViaServiceStatementsOf: managed)
        #expect(users == [RDSKeyUser(principalArn: "arn:aws:iam::111122223333:root", account: "111122223333")])
        #expect(RDSKeyAccess.lostAccess(previous: managed, new: managed, users: [], region: "us-west-2").isEmpty)
        // Replacing it with the default policy leaves only account delegation.
        let lost = RDSKeyAccess.lostAccess(previous: managed, new: .awsDefault(account: "111122223333"), users: [], region: "us-west-2")
        #expect(lost.first?.missing.count == 8)
        #expect(lost.first?.missing.allSatisfy { $0.reason == .onlyViaAccountDelegation } == true)
    }

    @Test func unknownPreviousPolicyCountsOnlyRealLosses() {
        // Previous unknown: default policy (delegation) is not a loss; a policy without the account is.
        let def = KeyPolicy.awsDefault(account: "123456789012")
        #expect(RDSKeyAccess.lostAccess(previous: nil, new: def, users: [user], region: "us-east-1").isEmpty)
        let other = KeyPolicy.awsDefault(account: "444455556666")
        #expect(RDSKeyAccess.lostAccess(previous: nil, new: other, users: [user], region: "us-east-1").first?.missing.count == 8)
    }

    @Test func principalThatThePolicyNeverAllowedLosesNothing() throws {
        // Someone relying on a grant: neither policy allows them, so nothing changed for them.
        let outsider = RDSKeyUser(principalArn: "arn:aws:iam::444455556666:role/x")
        #expect(RDSKeyAccess.lostAccess(previous: try seed(), new: try seedWithoutRoleStatement(), users: [outsider],
                                        region: "us-east-1", keyArn: keyArn).isEmpty)
    }

    @Test func namedSessionIsCheckedAsItsRole() {
        let u = RDSKeyAccess.user(forArn: "arn:aws:sts::123456789012:assumed-role/NeptuneFullAccess/app")
        #expect(u.principalArn == role)
        #expect(u.sessionArn == "arn:aws:sts::123456789012:assumed-role/NeptuneFullAccess/app")
        #expect(u.account == "123456789012")
    }
}
