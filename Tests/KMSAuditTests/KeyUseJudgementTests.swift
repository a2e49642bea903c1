import Foundation
import Testing
@testable import KMSAudit

/// KMS-002's category for one call (`KeyUseEvaluation.judge`), for the cases the decisions on
/// `NotPrincipal`, named-but-conditions-fail and other accounts settle (docs/rules/DECISIONS.md
/// #17, #18, #19). Expected categories come from those decisions and decision 1's order.
private let key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
private let neptune = "arn:aws:iam::123456789012:role/NeptuneFullAccess"
private let reporting = "arn:aws:iam::123456789012:role/Reporting"
private let keyAdmin = "arn:aws:iam::123456789012:role/KeyAdmin"
private let partner = "arn:aws:iam::444455556666:role/Partner"
private let root = #"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"kms:*","Resource":"*"}"#

private func event(_ principal: String, _ name: String = "Decrypt", viaRDS: Bool = false, succeeded: Bool = true,
                   type: String = "AssumedRole") -> KeyUseEvent {
    KeyUseEvent(principal: principal, principalType: type, principalAccount: RequestContext.account(ofArn: principal),
                invokedBy: viaRDS ? "rds.amazonaws.com" : nil, eventName: name, succeeded: succeeded, viaRDS: viaRDS,
                region: "us-east-1")
}

private func category(_ e: KeyUseEvent, _ policy: KeyPolicy) -> String {
    KeyUseEvaluation.judge(e, keyARN: key, policy: policy, granted: false, allowListed: false).category
}

private func policy(_ statements: String...) throws -> KeyPolicy {
    try KeyPolicy(json: #"{"Version":"2012-10-17","Statement":["# + statements.joined(separator: ",") + "]}")
}

@Suite struct KeyUseJudgementTests {
    @Test func theSeedsRoleThroughRDSIsIntendedAndDirectSuccessIsDrift() throws {
        let seed = try PolicyFixtures.policy("neptune-seed.json")
        #expect(category(event(neptune, viaRDS: true), seed) == "intended")
        #expect(category(event(neptune, succeeded: true), seed) == "policy-drift")
        #expect(category(event(reporting), seed) == "root-delegation")
    }

    /// #18: the Allow naming NeptuneFullAccess requires RDS; a direct call is not intended by it,
    /// the Deny takes the root delegation away, so nothing intends it. (Before #18 this was
    /// treated as intended because the role is named somewhere.)
    @Test func namedButConditionsFailIsNotNamed() throws {
        let seed = try PolicyFixtures.policy("neptune-seed.json")
        #expect(category(event(neptune, succeeded: false), seed) == "not-named")
        let noRoot = try policy(#"{"Effect":"Allow","Principal":{"AWS":"\#(neptune)"},"Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"rds.us-east-1.amazonaws.com"}}}"#)
        #expect(category(event(neptune, succeeded: false), noRoot) == "not-named")
        #expect(category(event(neptune, viaRDS: true), noRoot) == "intended")
    }

    @Test func namedWithConditionsHoldingButDeniedStaysIntended() throws {
        let p = try policy(
            #"{"Effect":"Allow","Principal":{"AWS":"\#(neptune)"},"Action":"kms:Decrypt","Resource":"*"}"#,
            #"{"Sid":"Freeze","Effect":"Deny","Principal":{"AWS":"\#(neptune)"},"Action":"kms:Decrypt","Resource":"*"}"#)
        #expect(category(event(neptune, succeeded: false), p) == "intended")
        #expect(category(event(neptune, succeeded: true), p) == "policy-drift")
    }

    /// #6: a Deny that cannot be evaluated leaves a succeeded call's drift undecided; a denied
    /// call cannot drift, so the named Allow decides it.
    @Test func unevaluableDenyDecidesOnlySucceededCalls() throws {
        let p = try policy(
            #"{"Effect":"Allow","Principal":{"AWS":"\#(neptune)"},"Action":"kms:Decrypt","Resource":"*"}"#,
            #"{"Effect":"Deny","Principal":{"AWS":"\#(neptune)"},"Action":"kms:Decrypt","Resource":"*","Condition":{"NotIpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}"#)
        #expect(category(event(neptune, succeeded: true), p) == "not-evaluable")
        #expect(category(event(neptune, succeeded: false), p) == "intended")
    }

    /// #3 and #18: `"*"` whose conditions hold is the intent, even when a Deny also matches.
    @Test func anyoneWithHoldingConditionsIsIntendedEvenWhenDenied() throws {
        let p = try policy(
            #"{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"123456789012"}}}"#,
            #"{"Effect":"Deny","Principal":{"AWS":"\#(reporting)"},"Action":"kms:Decrypt","Resource":"*"}"#)
        #expect(category(event(reporting, succeeded: false), p) == "intended")
        #expect(category(event(keyAdmin), p) == "intended")
    }

    /// #17: an Allow's NotPrincipal list names nobody; a principal of another account listed
    /// there (so excluded) is named by nothing: cross-account.
    @Test func notPrincipalAllowListNamesNobody() throws {
        let p = try policy(root, #"{"Effect":"Allow","NotPrincipal":{"AWS":"\#(partner)"},"Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:CallerAccount":"123456789012"}}}"#)
        #expect(category(event(partner, succeeded: false), p) == "cross-account")
        // Everyone else it covers (conditions holding) is intended.
        #expect(category(event(reporting), p) == "intended")
    }

    /// #17: a Deny with NotPrincipal applies to everyone it does not list.
    @Test func notPrincipalDenyAppliesToEveryoneNotListed() throws {
        let p = try policy(root, #"{"Sid":"Only KeyAdmin deletes","Effect":"Deny","NotPrincipal":{"AWS":"\#(keyAdmin)"},"Action":"kms:ScheduleKeyDeletion","Resource":"*"}"#)
        #expect(category(event(reporting, "ScheduleKeyDeletion", succeeded: true), p) == "policy-drift")
        #expect(category(event(reporting, "ScheduleKeyDeletion", succeeded: false), p) == "not-named")
        #expect(category(event(keyAdmin, "ScheduleKeyDeletion"), p) == "root-delegation")
    }

    /// #19: another account named by its root ARN delegates to that account: its principals are
    /// not cross-account, and calls only that statement allows are root-delegation.
    @Test func anotherAccountNamedByRootDelegates() throws {
        let p = try policy(root, #"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"kms:Decrypt","Resource":"*"}"#)
        #expect(category(event(partner), p) == "root-delegation")
        // The same account named by its bare id.
        let bare = try policy(root, #"{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"kms:Decrypt","Resource":"*"}"#)
        #expect(category(event(partner), bare) == "root-delegation")
    }

    @Test func anotherAccountNamedButConditionsFailIsNotNamedNotCrossAccount() throws {
        let p = try policy(root, #"{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"kms:ViaService":"rds.us-east-1.amazonaws.com"}}}"#)
        #expect(category(event(partner, succeeded: false), p) == "not-named")
        #expect(category(event(partner, viaRDS: true), p) == "root-delegation")
    }

    /// Only an Allow names: a principal of another account that only a Deny mentions is named by
    /// nothing that intends it.
    @Test func anotherAccountNamedOnlyInADenyIsCrossAccount() throws {
        let p = try policy(root, #"{"Effect":"Deny","Principal":{"AWS":"\#(partner)"},"Action":"kms:*","Resource":"*"}"#)
        #expect(category(event(partner, succeeded: false), p) == "cross-account")
    }

    @Test func unnamedOwnAccountPrincipalWithoutRootIsNotNamed() throws {
        let p = try policy(#"{"Effect":"Allow","Principal":{"AWS":"\#(neptune)"},"Action":"kms:*","Resource":"*"}"#)
        #expect(category(event(reporting, succeeded: false), p) == "not-named")
    }
}
