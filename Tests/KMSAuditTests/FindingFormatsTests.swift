import Foundation
import Testing
@testable import KMSAudit

/// OCSF and ASFF through the real binary on a `kmsaudit sample` trail: every finding checked
/// against the published OCSF schema (Python's ocsf-json-schema + jsonschema) and against
/// ASFF's required fields and limits.
@Suite(.serialized) struct FindingFormatsTests {
    /// One audited sample trail per test run: a suppression on one finding, and a user rule whose
    /// texts are far over ASFF's limits (multi-byte and hostile characters included).
    struct Audited {
        var dir: URL
        var suppressedFingerprint: String
        var json: [[String: Any]]
    }

    static let longRuleID = "USR-900"

    static func audited(_ name: String = #function) throws -> Audited {
        let dir = try TestSupport.temporaryDirectory(name)
        let sample = try TestSupport.kmsaudit(["sample", "--out", "trail", "--events", "3000", "--seed", "7", "--days", "2"], in: dir)
        try #require(sample.status == 0, "sample: \(sample.stderr)")
        let rules = dir.appendingPathComponent("rules")
        try FileManager.default.createDirectory(at: rules, withIntermediateDirectories: true)
        let title = String(repeating: "Ünïcødé title <script>alert(1)</script> =cmd|' ", count: 12)
        let explanation = String(repeating: "Explanation with 🔑 emoji and \"quotes\" and line\\nbreaks. ", count: 60)
        let remediation = String(repeating: "- remediation step with ✓ marks; ", count: 40)
        try TestSupport.write("""
            -- id: \(longRuleID)
            -- title: \(title)
            -- severity: low
            -- controls: Internal policy KP-7
            -- explanation: \(explanation)
            -- remediation: \(remediation)
            SELECT 'low' AS severity, key_arn, 'user-rule' AS category FROM keys ORDER BY key_arn LIMIT 2;
            """, to: rules.appendingPathComponent("long.sql"))
        let first = try TestSupport.kmsaudit(["audit", "trail", "--db", "a.sqlite", "--report-dir", "out", "--rules", "rules",
                                              "--quiet"], in: dir)
        try #require(first.status == 1, "audit: \(first.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("out/latest.json")))
        let findings = try #require((report as? [String: Any])?["findings"] as? [[String: Any]])
        let target = try #require(findings.first { $0["rule_id"] as? String == "KMS-002" })
        let fingerprint = try #require(target["fingerprint"] as? String)
        try TestSupport.write("""
            suppressions:
              - rule: KMS-002
                fingerprint: \(fingerprint)
                reason: "Accepted for the test (ticket T-1)"
            """, to: dir.appendingPathComponent("config.yaml"))
        let check = try TestSupport.kmsaudit(["check", "--db", "a.sqlite", "--config", "config.yaml", "--rules", "rules"], in: dir)
        try #require(check.status == 1, "check: \(check.stderr)")
        let json = try TestSupport.kmsaudit(["report", "--db", "a.sqlite", "--format", "json", "--events-per-finding", "0"], in: dir)
        let reloaded = try #require((try JSONSerialization.jsonObject(with: json.stdoutData) as? [String: Any])?["findings"] as? [[String: Any]])
        return Audited(dir: dir, suppressedFingerprint: fingerprint, json: reloaded)
    }

    @Test func ocsfValidatesAgainstThePublishedSchemaForEveryFinding() throws {
        let audited = try Self.audited()
        let out = audited.dir.appendingPathComponent("findings.ocsf.json")
        let report = try TestSupport.kmsaudit(["report", "--db", "a.sqlite", "--format", "ocsf", "--out", out.path], in: audited.dir)
        try #require(report.status == 0, "\(report.stderr)")
        let script = TestSupport.fixture("formats/validate_ocsf.py")
        let validation = try TestSupport.run("/usr/bin/env", ["python3", script.path, out.path])
        #expect(validation.status == 0, "OCSF schema validation failed:\n\(validation.stdout)\(validation.stderr)")
        #expect(validation.stdout.contains("\(audited.json.count) events, 0 errors"), "\(validation.stdout)")
        #expect(validation.stdout.contains("class 2003"), "no Compliance Finding validated")
        #expect(validation.stdout.contains("class 2004"), "no Detection Finding validated")

        let events = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: out)) as? [[String: Any]])
        #expect(events.count == audited.json.count)
        let byFingerprint = Dictionary(uniqueKeysWithValues: audited.json.map { ($0["fingerprint"] as! String, $0) })
        for event in events {
            let info = try #require(event["finding_info"] as? [String: Any])
            let uid = try #require(info["uid"] as? String)
            let finding = try #require(byFingerprint[uid], "finding_info.uid \(uid) is no fingerprint of the run")
            let rule = finding["rule_id"] as! String
            let expectedClass = ["KMS-001", "KMS-002", "KMS-004", Self.longRuleID].contains(rule) ? 2004 : 2003
            #expect(event["class_uid"] as? Int == expectedClass, "\(rule)")
            #expect(event["type_uid"] as? Int == expectedClass * 100 + 1)
            #expect((event["metadata"] as? [String: Any])?["version"] as? String == "1.3.0")
            let cloud = try #require(event["cloud"] as? [String: Any])
            #expect(cloud["provider"] as? String == "AWS")
            let account = (cloud["account"] as? [String: Any])?["uid"] as? String
            #expect(account?.count == 12 && account!.allSatisfy(\.isNumber), "\(rule): account \(account ?? "nil")")
            #expect(cloud["region"] is String, "\(rule): no region")
            let severity = ["info": 1, "low": 2, "medium": 3, "high": 4, "critical": 5][finding["severity"] as! String]
            #expect(event["severity_id"] as? Int == severity)
            #expect((event["time"] as? Int ?? 0) > 1_600_000_000_000, "time is epoch milliseconds")
            let resources = (event["resources"] as? [[String: Any]] ?? []).compactMap { $0["uid"] as? String }
            if let key = finding["key_arn"] as? String {
                #expect(resources.contains(key), "\(rule): key ARN missing from resources")
            }
            if let resource = finding["resource"] as? String {
                #expect(resources.contains(resource), "\(rule): resource missing from resources")
            }
            let suppressed = uid == audited.suppressedFingerprint
            #expect(event["status_id"] as? Int == (suppressed ? 3 : 1))
            if suppressed { #expect(event["status_detail"] as? String == "Accepted for the test (ticket T-1)") }
            let controls = finding["controls"] as? [String] ?? []
            if expectedClass == 2003 {
                let compliance = try #require(event["compliance"] as? [String: Any])
                #expect(compliance["requirements"] as? [String] == controls)
                #expect(compliance["status_id"] as? Int == 3)
                #expect((compliance["standards"] as? [String])?.isEmpty == false)
            } else {
                #expect((event["unmapped"] as? [String: Any])?["controls"] as? [String] == controls)
                let events = finding["evidence_events"] as? [[String: Any]] ?? []
                #expect((event["evidences"] as? [Any])?.count ?? 0 == events.count, "\(rule): evidence events")
            }
        }
        // The LOG rules' findings say where they are from, through their evidence.
        #expect(events.contains { ($0["unmapped"] as? [String: Any])?["rule_id"] as? String == "KMS-003" })
    }

    @Test func asffHasEveryRequiredFieldWithinItsLimits() throws {
        let audited = try Self.audited()
        let result = try TestSupport.kmsaudit(["report", "--db", "a.sqlite", "--format", "asff"], in: audited.dir)
        try #require(result.status == 0, "\(result.stderr)")
        let findings = try #require(try JSONSerialization.jsonObject(with: result.stdoutData) as? [[String: Any]])
        #expect(findings.count == audited.json.count)
        let byFingerprint = Dictionary(uniqueKeysWithValues: audited.json.map { ($0["fingerprint"] as! String, $0) })
        let namespaces = ["Software and Configuration Checks", "TTPs", "Effects", "Unusual Behaviors",
                          "Sensitive Data Identifications"]
        var ids = Set<String>()
        var sawLong = false
        for f in findings {
            for field in ["SchemaVersion", "Id", "ProductArn", "GeneratorId", "AwsAccountId", "Types", "CreatedAt",
                          "UpdatedAt", "Severity", "Title", "Description", "Resources"] {
                #expect(f[field] != nil, "ASFF field \(field) missing")
            }
            #expect(f["SchemaVersion"] as? String == "2018-10-08")
            let id = try #require(f["Id"] as? String)
            #expect(ids.insert(id).inserted, "duplicate Id \(id)")
            let account = try #require(f["AwsAccountId"] as? String)
            #expect(account.count == 12 && account.allSatisfy(\.isNumber))
            let arn = try #require(f["ProductArn"] as? String)
            let region = try #require(f["Region"] as? String)
            #expect(arn == "arn:aws:securityhub:\(region):\(account):product/\(account)/default")
            let types = try #require(f["Types"] as? [String])
            #expect(!types.isEmpty)
            for type in types {
                #expect(namespaces.contains(String(type.split(separator: "/").first ?? "")), "type \(type)")
                #expect(type.split(separator: "/").count >= 2, "type \(type) has no category")
            }
            for time in ["CreatedAt", "UpdatedAt"] {
                let text = try #require(f[time] as? String)
                #expect(TimeFormats.parseISO8601(text) != nil, "\(time) \(text)")
            }
            #expect((f["CreatedAt"] as! String) <= (f["UpdatedAt"] as! String))
            let label = (f["Severity"] as? [String: Any])?["Label"] as? String
            #expect(["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"].contains(label ?? ""))
            let title = try #require(f["Title"] as? String)
            let description = try #require(f["Description"] as? String)
            let remediation = try #require(((f["Remediation"] as? [String: Any])?["Recommendation"] as? [String: Any])?["Text"] as? String)
            #expect(title.utf16.count <= 256 && description.utf16.count <= 1024 && remediation.utf16.count <= 512)
            let resources = try #require(f["Resources"] as? [[String: Any]])
            #expect(!resources.isEmpty)
            for r in resources {
                #expect(["AwsKmsKey", "AwsRdsDbCluster", "AwsRdsDbInstance", "Other"].contains(r["Type"] as? String ?? ""))
                #expect((r["Id"] as? String)?.isEmpty == false)
            }
            let rule = (f["ProductFields"] as? [String: String])?["kmsaudit/RuleId"]
            let fingerprint = try #require((f["ProductFields"] as? [String: String])?["kmsaudit/Fingerprint"])
            let finding = try #require(byFingerprint[fingerprint])
            if let key = finding["key_arn"] as? String {
                #expect(resources.contains { $0["Id"] as? String == key && $0["Type"] as? String == "AwsKmsKey" })
            }
            if let resource = finding["resource"] as? String, resource.contains(":rds:"), resource.contains(":cluster:") {
                #expect(resources.contains { $0["Id"] as? String == resource && $0["Type"] as? String == "AwsRdsDbCluster" })
            }
            let suppressed = fingerprint == audited.suppressedFingerprint
            #expect((f["Workflow"] as? [String: Any])?["Status"] as? String == (suppressed ? "SUPPRESSED" : "NEW"))
            #expect(f["RecordState"] as? String == "ACTIVE")
            let compliance = (f["Compliance"] as? [String: Any])?["Status"] as? String
            if rule == "KMS-003" || rule?.hasPrefix("LOG-") == true {
                #expect(compliance == "FAILED", "\(rule ?? "") has no Compliance.Status")
            } else if ["KMS-001", "KMS-002", "KMS-004"].contains(rule ?? "") {
                #expect(compliance == nil)
            }
            if rule == Self.longRuleID {
                sawLong = true
                // Cut at the limits, with an ellipsis, and still valid text.
                #expect(title.utf16.count == 256 && title.hasSuffix("…"), "title \(title.utf16.count)")
                #expect(description.utf16.count >= 1020 && description.hasSuffix("…"), "description \(description.utf16.count)")
                #expect(remediation.utf16.count >= 508 && remediation.hasSuffix("…"))
                #expect(title.hasPrefix("Ünïcødé title <script>"))
            }
        }
        #expect(sawLong, "the long user rule produced no finding")
    }

    @Test func truncationCountsUTF16AndCutsWholeCharacters() {
        let emoji = String(repeating: "🔑", count: 300)  // 2 UTF-16 units each
        let cut = Truncation.cut(emoji, toUTF16: 256)
        #expect(cut.utf16.count <= 256)
        #expect(cut.hasSuffix("…"))
        #expect(cut.dropLast().allSatisfy { $0 == "🔑" })
        #expect(Truncation.cut("short", toUTF16: 256) == "short")
        #expect(Truncation.cut(String(repeating: "a", count: 256), toUTF16: 256).count == 256)
        #expect(Truncation.cut(String(repeating: "a", count: 257), toUTF16: 256) == String(repeating: "a", count: 255) + "…")
    }

    @Test func rulesMapToDetectionOrComplianceByID() {
        for id in ["KMS-001", "KMS-002", "KMS-004", "USR-1", "KMS-009"] { #expect(FindingKind(ruleID: id) == .detection, "\(id)") }
        for id in ["KMS-003", "KMS-005", "KMS-006", "KMS-007", "KMS-008", "LOG-001", "LOG-005", "LOG-042"] {
            #expect(FindingKind(ruleID: id) == .compliance, "\(id)")
        }
        #expect(ControlReferences.standards(["NIST SP 800-53 AC-3, AC-6", "CIS AWS Foundations 3.2 (x)", "NIST SP 800-53 SC-12",
                                             "Internal policy KP-7"])
                == ["NIST SP 800-53", "CIS AWS Foundations", "Internal policy"])
    }
}
