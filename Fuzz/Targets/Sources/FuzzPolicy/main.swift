import FuzzSupport
import Foundation
import KMSAudit

// The key policy parser, then the evaluator on what parses: requests by a user, the account
// root, a service and a principal calling through RDS, and the RDS access-loss comparison of the
// policy against itself and against the policy of the previous input.
let keyArn = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
let contexts: [RequestContext] = [
    RequestContext(action: "kms:Decrypt", principalArn: "arn:aws:iam::111122223333:user/alice", keyArn: keyArn),
    RequestContext(action: "kms:PutKeyPolicy", principalArn: "arn:aws:iam::111122223333:root", isRootUser: true, keyArn: keyArn),
    RequestContext(action: "kms:CreateGrant", principalArn: "arn:aws:sts::444455556666:assumed-role/r/s",
                   keyArn: keyArn, viaService: "rds.us-east-1.amazonaws.com", grantIsForAWSResource: true,
                   encryptionContext: ["aws:rds:db-id": "db-ABC"], sessionArn: "arn:aws:sts::444455556666:assumed-role/r/s"),
    RequestContext(action: "kms:GenerateDataKey", principalArn: "rds.amazonaws.com", servicePrincipal: "rds.amazonaws.com", keyArn: keyArn),
]

/// The previous input's policy, compared with the next one as a policy change would be.
final class Previous: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: KeyPolicy?
    /// Returns the policy kept so far and keeps `next` in its place.
    func swap(_ next: KeyPolicy) -> KeyPolicy? {
        lock.lock(); defer { lock.unlock() }
        let old = stored
        stored = next
        return old
    }
}
let previous = Previous()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPolicy(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    guard let policy = try? KeyPolicy(data: Data(FuzzSupport.bytes(data, size))) else { return 0 }
    for ctx in contexts { _ = PolicyEvaluator.evaluate(policy, ctx) }
    let users = RDSKeyAccess.users(fromViaServiceStatementsOf: policy, keyArn: keyArn)
    _ = RDSKeyAccess.lostAccess(previous: policy, new: policy, users: [], region: "us-east-1", keyArn: keyArn)
    _ = RDSKeyAccess.lostAccess(previous: previous.swap(policy), new: policy, users: users, region: "us-east-1",
                                keyArn: keyArn, encryptionContext: ["aws:rds:db-id": "db-ABC"])
    return 0
}

/// The executable's entry point (see `FuzzSupport.main`).
@_cdecl("fuzz_policy_main")
public func fuzzPolicyMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    FuzzSupport.main(argc, argv, fuzzPolicy)
}
