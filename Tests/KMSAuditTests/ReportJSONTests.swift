import Foundation
import Testing
@testable import KMSAudit

@Suite struct ReportJSONTests {
    static let findingFields = [
        "rule_id", "severity", "category", "key_arn", "principal", "resource", "first_seen", "last_seen",
        "event_count", "fingerprint", "title", "remediation", "is_new", "suppressed", "suppression_reason",
        "suppression_expires", "suppression_expired", "explanation", "controls", "evidence",
        "evidence_events_total", "evidence_events_truncated", "evidence_events",
    ]

    static func parse(_ model: ReportModel) throws -> [String: Any] {
        let text = try JSONReport.render(model)
        return try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func holdsTheRunAndEveryFindingWithTheDocumentedFields() throws {
        let fixture = try ReportFixture.make()
        defer { fixture.remove() }
        let model = try fixture.model()
        let json = try Self.parse(model)
        #expect(json["format"] as? String == "kmsaudit-report/1")
        let run = try #require(json["run"] as? [String: Any])
        #expect(run["id"] as? Int == Int(fixture.runID))
        #expect(run["previous_run_id"] as? Int == Int(fixture.previousRunID))
        #expect(run["window_start"] is NSNull)
        #expect(run["window_end"] as? String == "2024-10-11T00:00:00Z")
        let findings = try #require(json["findings"] as? [[String: Any]])
        #expect(findings.count == (try fixture.findingCount()))
        for (object, f) in zip(findings, model.findings) {
            #expect(Set(object.keys) == Set(Self.findingFields), "fields of \(f.fingerprint)")
            #expect(object["fingerprint"] as? String == f.fingerprint)
            #expect(object["rule_id"] as? String == f.ruleID)
            #expect(object["severity"] as? String == f.severity.rawValue)
            #expect(object["key_arn"] as? String == f.keyARN)
            #expect(object["principal"] as? String == f.principal)
            #expect(object["remediation"] as? String == f.remediation)
            #expect(object["is_new"] as? Bool == f.isNew)
            #expect(object["suppressed"] as? Bool == f.suppressed)
            #expect(object["event_count"] as? Int == f.eventCount)
            #expect((object["controls"] as? [String]) == f.controls)
            #expect((object["evidence_events"] as? [Any])?.count == f.events.count)
        }
        let exposure = try #require(findings.first { $0["fingerprint"] as? String == "f004d15ab" })
        let evidence = try #require(exposure["evidence"] as? [String: Any])
        #expect((evidence["exposed_resources"] as? [[String: Any]])?.count == 2)
        #expect(evidence["exposure_hours"] as? Double == 720.5)
        #expect(evidence["undone"] as? Bool == false)
        let events = try #require(exposure["evidence_events"] as? [[String: Any]])
        #expect(events.first?["event_name"] as? String == "DisableKey")
        #expect(events.contains { $0["stored"] as? Bool == false })
        let decrypt = try #require(findings.first { $0["fingerprint"] as? String == "f001a11ce" })
        let context = (decrypt["evidence_events"] as? [[String: Any]])?.first?["encryption_context"] as? [String: String]
        #expect(context == ["Department": "Engineering", "Project": "Alpha"])
        let expired = try #require(findings.first { $0["fingerprint"] as? String == "f002e8b1" })
        #expect(expired["suppression_expired"] as? Bool == true && expired["suppressed"] as? Bool == false)
    }

    @Test func metadataSummaryAndOptionalSections() throws {
        let fixture = try ReportFixture.make()
        defer { fixture.remove() }
        let json = try Self.parse(try fixture.model())
        let ingest = try #require(json["ingest"] as? [String: Any])
        #expect((ingest["files"] as? [String: Int]) == ["total": 9, "ok": 8, "failed": 1, "skipped": 0])
        #expect(ingest["events"] as? Int == 14)
        #expect((ingest["failed_files"] as? [[String: Any]])?.first?["error_kind"] as? String == "gzip")
        #expect((ingest["regions"] as? [String]) == ["us-east-1", "us-west-1", "us-west-2"])
        #expect((json["integrity"] as? [String: Any])?["checked"] as? Bool == false)
        #expect(json["coverage_gaps"] is NSNull)
        #expect(json["policy_unknown_keys"] is NSNull)
        let summary = try #require(json["summary"] as? [String: Any])
        #expect((summary["by_severity"] as? [String: Int]) == ["critical": 2, "high": 2, "medium": 1, "low": 2, "info": 0])
        #expect(summary["new"] as? Int == 5 && summary["suppressed"] as? Int == 1)
        #expect((summary["resolved_since_previous"] as? [[String: Any]])?.first?["fingerprint"] as? String == "f001b0b")
    }

    @Test func truncatedEvidenceEventsAreMarked() throws {
        let fixture = try ReportFixture.make()
        defer { fixture.remove() }
        let json = try Self.parse(try fixture.model(eventLimit: 2))
        let findings = try #require(json["findings"] as? [[String: Any]])
        let crossAccount = try #require(findings.first { $0["fingerprint"] as? String == "f002c1055" })
        #expect(crossAccount["evidence_events_total"] as? Int == 7)
        #expect(crossAccount["evidence_events_truncated"] as? Bool == true)
        #expect((crossAccount["evidence_events"] as? [Any])?.count == 2)
    }

    /// docs/REPORT-JSON.md documents every field the report writes.
    @Test func everyFieldIsDocumented() throws {
        let fixture = try ReportFixture.make()
        defer { fixture.remove() }
        let doc = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../docs/REPORT-JSON.md"), encoding: .utf8)
        var names: Set<String> = []
        func collect(_ node: ReportJSON, evidence: Bool) {
            switch node {
            case .object(let members):
                for m in members {
                    names.insert(m.key)
                    // Evidence objects are the rules' own: documented on each rule's page in docs/rules/, not here.
                    if m.key != "evidence" && m.key != "encryption_context" { collect(m.value, evidence: false) }
                }
            case .array(let items): items.forEach { collect($0, evidence: evidence) }
            default: break
            }
        }
        collect(JSONReport.document(try fixture.model()), evidence: false)
        let undocumented = names.filter { !doc.contains("`\($0)`") }.sorted()
        #expect(undocumented.isEmpty, "undocumented: \(undocumented)")
    }
}
