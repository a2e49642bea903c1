/// KMS-006 in the sample: keys whose policies each break the recommended pattern in one way, a
/// key with the seed's own example policy (which must give nothing), and what KMS-006 demands of
/// the policies of the estate's database keys.
///
/// The expectations are reasoned from the policies as written here, statement by statement (the
/// notes say how), never by asking the auditor's evaluator: this is the oracle the rules are
/// checked against.
extension PlantedCases {
    /// When the planted policy keys are created (prod / us-east-1), as fractions of the trail.
    enum PolicyPlan {
        static let keys = 0.160
        static let calls = 0.165
    }

    func plantKeyPolicies() {
        expectEstatePolicies()
        plantPolicyKeys()
    }

    // MARK: The estate's database keys

    /// Every database key of the estate whose policy is known at the trail's end, judged from the
    /// shape of that policy. A shape with no reasoning below stops the generator, so a key added
    /// later cannot silently go unexpected.
    private func expectEstatePolicies() {
        for s in world.streams {
            let p = s.people
            for key in s.databaseKeys {
                let final: JSONNode
                switch key.policy {
                case .unknown: continue  // policy unknown: KMS-006 says nothing
                case .createKeyDefault: final = KeyPolicies.awsDefault(account: key.account)
                case .createKey(let policy), .file(let policy): final = key.replacementPolicy ?? policy
                }
                let text = KeyPolicies.text(final)
                let standard = KeyPolicies.database(account: s.account.id, region: s.region, admins: [p.keyAdmin.arn],
                                                    rdsRoles: [p.neptune.arn, p.dbAdmin.arn], denyRoles: [p.neptune.arn])
                let hardened = KeyPolicies.database(account: s.account.id, region: s.region, admins: [p.keyAdmin.arn],
                                                    rdsRoles: [p.neptune.arn, p.dbAdmin.arn], denyRoles: [p.neptune.arn],
                                                    extra: [KeyPolicies.contractorStatement(p.contractor.arn)], root: false)
                let adminsOnly = KeyPolicies.document(id: "key-admins-only", [KeyPolicies.adminStatement([p.keyAdmin.arn])])
                // Who calls the key through RDS in the planted events (DBAdmin creating its
                // resources or copying snapshots under it); background via-RDS calls (NeptuneFullAccess,
                // DBAdmin) only on keys with `viaRDSFrom`, which every shape below either names
                // itself or excludes.
                if text == KeyPolicies.text(standard) {
                    policyExpect(key, "grant-not-restricted", "low", principal: p.keyAdmin.arn,
                                 note: "The \(key.name) key's policy (the seed's pattern plus the console's key-administrator statement) allows KeyAdmin kms:Create*, which covers kms:CreateGrant, with no kms:ViaService and no kms:GrantIsForAWSResource condition: KeyAdmin can grant itself or anyone use of the key.")
                    policyExpect(key, "no-deny-outside-rds", "low", principal: p.dbAdmin.arn,
                                 note: "DBAdmin is a database principal of the \(key.name) key (its via-RDS statement names it). The account root statement delegates kms:* to the account through IAM and the Deny of non-RDS use names only NeptuneFullAccess, so nothing in the key policy stops DBAdmin's key use outside RDS.")
                } else if text == KeyPolicies.text(hardened) {
                    policyExpect(key, "grant-not-restricted", "low", principal: p.keyAdmin.arn,
                                 note: "The hardened \(key.name) policy still gives KeyAdmin kms:Create* (so kms:CreateGrant) without kms:GrantIsForAWSResource.")
                    policyExpect(key, "not-evaluable", "medium", principal: p.contractor.arn,
                                 note: "Contractor is allowed kms:Decrypt, with no kms:ViaService, only by a statement conditioned on DateGreaterThan aws:CurrentTime, an operator outside the evaluated set; no root statement decides instead, so whether Contractor can decrypt outside RDS is not evaluable. DBAdmin and NeptuneFullAccess are named for the eight actions through RDS; without a root statement nothing delegates, so no no-deny-outside-rds.")
                } else if text == KeyPolicies.text(KeyPolicies.awsDefault(account: key.account)) {
                    precondition(key.viaRDSFrom == nil, "\(key.name): background via-RDS callers would change the expectation")
                    policyExpect(key, "no-deny-outside-rds", "low", principal: p.dbAdmin.arn,
                                 note: "AWS's default policy (CreateKey without a policy) has only the account root statement. DBAdmin used the \(key.name) key through RDS when it created its cluster, so it is a database principal; the root statement lets it use the key through IAM, through RDS (allowed by delegation, so not rds-cannot-use) and outside RDS alike, and no Deny stops the latter.")
                } else if text == KeyPolicies.text(adminsOnly) {
                    precondition(key.viaRDSFrom == nil, "\(key.name): background via-RDS callers would change the expectation")
                    policyExpect(key, "grant-not-restricted", "low", principal: p.keyAdmin.arn,
                                 note: "The \(key.name) key's replacement policy names only KeyAdmin, with kms:Create* (so kms:CreateGrant) and no condition.")
                    policyExpect(key, "rds-cannot-use", "high", principal: p.dbAdmin.arn,
                                 note: "DBAdmin used the \(key.name) key through RDS (DescribeKey, CreateGrant) when search-graph was created. The policy in effect at the end (key administrators only, no root statement) allows DBAdmin none of the eight actions through RDS.")
                } else {
                    preconditionFailure("no KMS-006 expectation for the policy of the \(key.name) key")
                }
            }
        }
    }

    // MARK: Planted policies

    private func plantPolicyKeys() {
        let s = world.stream(world.prod, "us-east-1"), p = s.people
        let account = s.account.id, region = s.region
        // Key ids from their own fixed stream: the same ARNs whatever the run's seed.
        var ids = SampleRNG(seed: 0x4B4D_5330_3036, stream: 6)
        func key(_ name: String, _ policy: JSONNode) -> SampleKey {
            SampleKey(name: name, account: account, region: region, id: FakeID.uuid(&ids), alias: nil, purpose: .database,
                      createdAt: at(PolicyPlan.keys), policy: .createKey(policy))
        }
        let neptune = p.neptune.arn
        let seedAllow = KeyPolicies.viaRDSAllow([neptune], region: region)
        let seedDeny = KeyPolicies.nonRDSDeny([neptune], region: region)
        let root = KeyPolicies.rootStatement(account)

        let conforming = key("policy-seed", KeyPolicies.document(id: "key-consolepolicy-3", [root, seedAllow, seedDeny]))
        let wrongRegion = key("policy-wrong-region", KeyPolicies.document(id: "key-consolepolicy-3", [
            root, KeyPolicies.viaRDSAllow([neptune], region: "us-west-2"), KeyPolicies.nonRDSDeny([neptune], region: "us-west-2"),
        ]))
        let appDecrypt = key("policy-app-decrypt", KeyPolicies.document(id: "key-consolepolicy-3", [
            root, seedAllow, seedDeny,
            .object([("Sid", "Allow use of the key"), ("Effect", "Allow"), ("Principal", KeyPolicies.principal([p.appServer.arn])),
                     ("Action", ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"]),
                     ("Resource", "*")]),
        ]))
        let anyone = key("policy-anyone", KeyPolicies.document(id: "key-consolepolicy-3", [
            root, seedAllow, seedDeny,
            .object([("Sid", "Allow decrypt by the account"), ("Effect", "Allow"), ("Principal", .object([("AWS", "*")])),
                     ("Action", ["kms:Decrypt", "kms:DescribeKey"]), ("Resource", "*"),
                     ("Condition", .object([("StringEquals", .object([("kms:CallerAccount", .string(account))]))]))]),
        ]))
        let openGrants = key("policy-open-grants", KeyPolicies.document(id: "key-consolepolicy-3", [
            root, seedAllow, seedDeny,
            .object([("Sid", "Allow attachment of persistent resources"), ("Effect", "Allow"),
                     ("Principal", KeyPolicies.principal([p.appServer.arn])),
                     ("Action", ["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"]), ("Resource", "*")]),
        ]))
        let noDeny = key("policy-no-deny", KeyPolicies.document(id: "key-consolepolicy-3", [root, seedAllow]))
        let unevaluable = key("policy-source-ip", KeyPolicies.document(id: "key-consolepolicy-3", [
            root, seedAllow, seedDeny,
            .object([("Sid", "Allow ETL decrypt from the VPC"), ("Effect", "Allow"),
                     ("Principal", KeyPolicies.principal([p.analyticsETL.arn])), ("Action", "kms:Decrypt"), ("Resource", "*"),
                     ("Condition", .object([("IpAddress", .object([("aws:SourceIp", "10.0.0.0/8")]))]))]),
        ]))

        // CreateKey only (no alias, no EnableKeyRotation: the policies have no key-administrator
        // statement, so KeyAdmin's later calls would be KMS-002 root-delegation). KMS-002 never
        // judges CreateKey (docs/rules/DECISIONS.md #2).
        let all = [conforming, wrongRegion, appDecrypt, anyone, openGrants, noDeny, unevaluable]
        for (i, k) in all.enumerated() {
            let t = k.createdAt! + Int64(i) * 30
            guard case .createKey(let policy) = k.policy else { continue }
            emit(s, t) { w, rng, id in
                KMSEvents.createKey(&w, &rng, self.call(self.keyAdmin(s), k, t, id), description: "KMS-006 sample: \(k.name)",
                                    policy: KeyPolicies.text(policy))
            }
        }

        // The conforming key in use: NeptuneFullAccess through RDS, named for it, so no finding.
        let t0 = at(PolicyPlan.calls)
        let viaNeptune: Actor = .role(p.neptune, session: 0, invokedBy: "rds.amazonaws.com")
        emit(s, t0) { w, rng, id in KMSEvents.read(&w, &rng, "DescribeKey", self.call(viaNeptune, conforming, t0, id)) }
        emit(s, t0 + 1) { w, rng, id in
            KMSEvents.crypto(&w, &rng, "GenerateDataKeyWithoutPlaintext", self.call(viaNeptune, conforming, t0 + 1, id),
                             context: [("aws:rds:db-id", "db-KMS006SEEDPOLICYEXAMPLE000")])
        }

        // Wrong region: RDS in us-east-1 calls on NeptuneFullAccess's behalf and is refused.
        emit(s, t0 + 60, tags: ["wrong-region-002"]) { w, rng, id in
            var c = self.call(viaNeptune, wrongRegion, t0 + 60, id)
            c.error = ("AccessDeniedException", "User: \(p.neptune.sessionARN(0)) is not authorized to perform: kms:GenerateDataKeyWithoutPlaintext on resource: \(wrongRegion.arn) with an explicit deny in a resource-based policy")
            KMSEvents.crypto(&w, &rng, "GenerateDataKeyWithoutPlaintext", c, context: [("aws:rds:db-id", "db-KMS006WRONGREGION000000000")])
        }
        policyExpect(wrongRegion, "rds-cannot-use", "high", principal: neptune,
                     note: "The policy copies the seed's pattern with rds.us-west-2.amazonaws.com, but the key is in us-east-1: RDS calls it as rds.us-east-1.amazonaws.com, which the Allow does not cover and the Deny (StringNotEquals rds.us-west-2) matches. NeptuneFullAccess is denied all eight actions through RDS in the key's region; the account root statement does not help against a Deny.")
        expect("wrong-region-002", "KMS-002", "not-named", "high", key: wrongRegion, principal: neptune,
               note: "NeptuneFullAccess's via-RDS GenerateDataKeyWithoutPlaintext in us-east-1 was refused. The only statement naming it for use has a kms:ViaService condition (rds.us-west-2) that does not hold for the call, so no statement intends it for this call (docs/rules/DECISIONS.md #18); the root statement's delegation is overridden by the Deny, so not root-delegation.")

        policyExpect(appDecrypt, "usable-outside-rds", "medium", principal: p.appServer.arn,
                     note: "Statement \"Allow use of the key\" gives AppServer kms:Encrypt, kms:Decrypt, kms:ReEncrypt* and kms:GenerateDataKey* with no condition: it can decrypt the database's data without RDS. NeptuneFullAccess keeps the seed's Allow and Deny, so it gives nothing.")
        policyExpect(anyone, "usable-outside-rds", "medium", principal: "*",
                     note: "Statement \"Allow decrypt by the account\" gives Principal \"*\" kms:Decrypt whenever kms:CallerAccount is the key's account, with no kms:ViaService: anyone in the account can decrypt outside RDS. The finding's principal is the literal * (docs/rules/DECISIONS.md #36). NeptuneFullAccess is still denied outside RDS.")
        policyExpect(openGrants, "grant-not-restricted", "low", principal: p.appServer.arn,
                     note: "Statement \"Allow attachment of persistent resources\" is the console's statement without its Bool kms:GrantIsForAWSResource true condition: AppServer may create grants on the key outside RDS, for anyone.")

        // No Deny: DBAdmin also uses the key through RDS, allowed only by the root statement.
        let viaDBAdmin = dbAdmin(s, viaRDS: true)
        emit(s, t0 + 120, tags: ["no-deny-002"]) { w, rng, id in KMSEvents.read(&w, &rng, "DescribeKey", self.call(viaDBAdmin, noDeny, t0 + 120, id)) }
        policyExpect(noDeny, "no-deny-outside-rds", "low", principal: neptune,
                     note: "The seed's pattern without its Deny: the account root statement delegates kms:* to the account, so an IAM policy could let NeptuneFullAccess use the key outside RDS, and nothing in the key policy stops it.")
        policyExpect(noDeny, "no-deny-outside-rds", "low", principal: p.dbAdmin.arn,
                     note: "DBAdmin used the key through RDS (DescribeKey), so it is a database principal. Allowed only through the root statement's delegation, which counts as allowed for rds-cannot-use (docs/rules/DECISIONS.md #37), and no Deny stops its use outside RDS.")
        expect("no-deny-002", "KMS-002", "root-delegation", "medium", key: noDeny, principal: p.dbAdmin.arn,
               note: "DBAdmin's via-RDS DescribeKey on the policy-no-deny key is allowed only by the account root statement: the Neptune statement does not name DBAdmin.")

        policyExpect(unevaluable, "not-evaluable", "medium", principal: p.analyticsETL.arn,
                     note: "AnalyticsETL is allowed kms:Decrypt without kms:ViaService only by a statement conditioned on IpAddress aws:SourceIp, an operator outside the evaluated set; the root statement's delegation does not decide usable-outside-rds, so it is not evaluable.")
    }

    /// A KMS-006 expectation: one per (key, principal, category); its event count is the number of
    /// policy versions judged, the one in effect at the trail's end.
    private func policyExpect(_ key: SampleKey, _ category: String, _ severity: String, principal: String, note: String) {
        let tag = "kms006|\(key.arn)|\(principal)|\(category)"
        counted[tag, default: []].insert("policy-version-at-end")
        expect(tag, "KMS-006", category, severity, key: key, principal: principal, note: note)
    }
}
