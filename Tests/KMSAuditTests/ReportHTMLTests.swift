import Foundation
import GRDB
import Testing
@testable import KMSAudit

/// What the HTML report contains. Mustache renders an unknown or mistyped key as nothing, without
/// an error, so these tests look for every value the model holds in the rendered page.
@Suite struct ReportHTMLTests {
    /// Mustache's escaping (`& < > " '`), to find a value as the page holds it.
    static func escaped(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
            .replacingOccurrences(of: "'", with: "&#39;")
    }

    @Test func templatesNeverOutputUnescapedText() {
        for (name, source) in HTMLReport.templateSources {
            #expect(!source.contains("{{{"), "\(name) uses {{{ }}}")
            #expect(!source.contains("{{&"), "\(name) uses {{& }}")
            #expect(!source.contains("{{="), "\(name) changes delimiters")
        }
        // Style and script are partials so that they are not escaped; they must hold no tags.
        for name in ["report.css", "report.js"] {
            #expect(!(HTMLReport.templateSources[name] ?? "").contains("{{"))
        }
    }

    @Test func isOneSelfContainedFile() throws {
        let fixture = try ReportFixture.make()
        defer { fixture.remove() }
        let html = try HTMLReport.render(try fixture.model())
        #expect(html.contains(#"<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">"#))
        // No element loads anything (hostile text holds "src=", escaped, so only tags count).
        #expect(Chromium.count(#"<[a-zA-Z][a-zA-Z0-9]*(?:\s+[a-zA-Z:-]+(?:="[^"]*")?)*\s+src\s*="#, in: html) == 0)
        #expect(Chromium.count(#"<link\b"#, in: html) == 0)
        #expect(Chromium.count(#"url\("#, in: html) == 0)
        #expect(!html.contains("@import"))
        // Links only go to places in the page.
        #expect(Chromium.count(#"\bhref="(?!#)"#, in: html) == 0)
        #expect(Chromium.count(#"\bhref="#, in: html) > 5)
        // The print stylesheet: A4, no controls, a page per rule.
        #expect(html.contains("@media print"))
        #expect(html.contains("size: A4"))
        #expect(html.contains(".rule-section, #suppressed, #reference { break-before: page; }"))
        #expect(html.contains(".toc, .controls"))
    }

    @Test func everyFindingFieldAppears() throws {
        let fixture = try ReportFixture.make()
        defer { fixture.remove() }
        let model = try fixture.model()
        let html = try HTMLReport.render(model)
        for f in model.findings {
            let card = try #require(Self.card(f.fingerprint, in: html), "no card for \(f.fingerprint)")
            var values = [f.title, f.severity.label, f.ruleID, f.fingerprint, f.explanation, f.remediation, String(f.eventCount)]
            values += [f.category, f.keyARN, f.principal, f.resource, f.firstSeen, f.lastSeen].compactMap { $0 }
            values += f.controls
            values += f.events.flatMap { [$0.eventID, $0.eventTime, $0.eventName, $0.sourceIP, $0.userAgent, $0.errorCode].compactMap { $0 } }
            for value in values {
                #expect(card.contains(Self.escaped(value)), "card \(f.fingerprint) lacks \(value)")
            }
            #expect(card.contains(#"data-severity="\#(f.severity.rawValue)""#))
            #expect(card.contains(#"data-rule="\#(f.ruleID)""#))
            #expect(card.contains(#"data-key="\#(Self.escaped(f.keyARN ?? ""))""#))
            #expect(card.contains("badge new") == f.isNew)
        }
    }

    @Test func evidenceIsAKeyValueTable() throws {
        let fixture = try ReportFixture.make()
        defer { fixture.remove() }
        let html = try HTMLReport.render(try fixture.model())
        let exposure = try #require(Self.card("f004d15ab", in: html))
        // Exposed resources with their backups: a nested table, a column per field.
        for text in ["Exposed resources", "Backup under other key", "Backup key", "neptune-graph-dr",
                     "rds:neptune-graph-prod-2024-09-10", "Via RDS failures after", "DisabledException",
                     "720.5", "Undone", ">no<", "not in the database", "ffffffff-0000-4000-8000-00000000dead"] {
            #expect(exposure.contains(text), "KMS-004 card lacks \(text)")
        }
        let decrypt = try #require(Self.card("f001a11ce", in: html))
        #expect(decrypt.contains("Source IPs"))
        #expect(decrypt.contains("<pre class=\"code\">SELECT * FROM events"))
        #expect(decrypt.contains("context Department=Engineering, Project=Alpha"))
        let crossAccount = try #require(Self.card("f002c1055", in: html))
        for agent in ReportFixture.formulaAgents {
            #expect(crossAccount.contains("<li>\(Self.escaped(agent))</li>"))
        }
    }

    @Test func suppressedFindingsHaveTheirOwnSectionAndExpiredOnesAreMarked() throws {
        let fixture = try ReportFixture.make()
        defer { fixture.remove() }
        let html = try HTMLReport.render(try fixture.model())
        let suppressedSection = try #require(html.range(of: #"<section id="suppressed""#))
        let suppressed = try #require(html.range(of: #"id="finding-f002de1e9""#))
        #expect(suppressed.lowerBound > suppressedSection.lowerBound)
        let card = try #require(Self.card("f002de1e9", in: html))
        #expect(card.contains("Suppressed: Break-glass user, reviewed in CHG-1182 · expires 2099-12-31"))
        let expired = try #require(html.range(of: #"id="finding-f002e8b1""#))
        #expect(expired.lowerBound < suppressedSection.lowerBound)
        let expiredCard = try #require(Self.card("f002e8b1", in: html))
        #expect(expiredCard.contains("Suppression expired"))
        #expect(expiredCard.contains("expired on 2024-01-31 and no longer applies. Its reason was: Temporary migration grant"))
    }

    @Test func runMetadataAndSummary() throws {
        let fixture = try ReportFixture.make()
        defer { fixture.remove() }
        let model = try fixture.model()
        let html = try HTMLReport.render(model)
        for text in [
            "kmsaudit 0.1.0", "the first event (2014-11-04T00:52:40Z) to 2024-10-11T00:00:00Z",
            "1010101010101, 111122223333, 951234567898", "us-east-1, us-west-1, us-west-2",
            "9 (8 ok, 1 failed, 0 skipped)", ">14<", "111122223333_CloudTrail_us-west-2_20241010T1600Z_broken.json.gz",
            "unexpected end of gzip stream at byte 18432 (truncated download?)", "/etc/kmsaudit/config.yaml",
            "Not checked: no evidence-integrity check has run on this database",
            "Not computed: this database has no key state", "Not checked: no evidence-integrity check has run (run",
            "7 active finding(s), 5 new since the previous run, 1 suppressed, 1 with an expired suppression.",
            "Resolved since the previous run", "arn:aws:iam::111122223333:user/Bob",
        ] {
            #expect(html.contains(Self.escaped(text)) || html.contains(text), "page lacks \(text)")
        }
        for permission in ReportModel.neptuneKeyPermissions { #expect(html.contains("<code>\(permission)</code>")) }
        // The charts: one critical bar by severity, and a critical segment for KMS-002 and KMS-004.
        #expect(Chromium.count(#"<rect class="bar sev-critical""#, in: html) == 3)
        #expect(html.contains(#"aria-label="Findings by rule""#))
        for rule in ["KMS-001", "KMS-002", "KMS-003", "KMS-004"] {
            #expect(html.contains(#"<section class="rule-section finding-group" id="rule-\#(rule)""#))
        }
    }

    @Test func integrityCoverageAndPolicyUnknownWhenTheirResultsExist() throws {
        let fixture = try ReportFixture.make()
        defer { fixture.remove() }
        try fixture.database.queue.write { db in
            _ = try IntegrityChecker.run(db, publicKeys: nil, signatures: nil, window: (start: nil, end: nil))
            try db.execute(sql: """
                INSERT INTO state_builds (built_at) VALUES ('2024-10-11T00:00:00Z');
                INSERT INTO keys (key_arn, key_id, is_database_key, policy_known) VALUES ('\(ReportFixture.keyXKS)', 'x', 1, 0);
                """)
        }
        let checked = try HTMLReport.render(try fixture.model())
        #expect(checked.contains(#"class="integrity integrity-warn""#))
        #expect(checked.contains("Nothing failed verification"))
        #expect(checked.contains("digest signatures not checked (no public keys given)"))
        #expect(checked.contains("None: every hour has a log file or digest"))
        #expect(checked.contains("<li>\(ReportFixture.keyXKS)</li>"))

        try ReportModelTests.recordTampered(fixture)
        try ReportModelTests.recordCoverageGap(fixture)
        let failed = try HTMLReport.render(try fixture.model())
        #expect(failed.contains(#"class="integrity integrity-bad""#))
        #expect(failed.contains("1 log file(s) or digest(s) failed verification"))
        #expect(failed.contains("<td>no log file</td><td>2024-10-10T16:00:00Z</td><td>2024-10-10T19:00:00Z</td><td class=\"num\">3</td>"))
        #expect(failed.contains("_a5.json.gz</td><td>tampered</td><td class=\"break\">SHA-256 of the content differs from the digest</td>"))
    }

    /// The `<article>` of the finding with `fingerprint`.
    static func card(_ fingerprint: String, in html: String) -> String? {
        guard let id = html.range(of: #"id="finding-\#(fingerprint)""#),
              let start = html.range(of: "<article", options: .backwards, range: html.startIndex..<id.lowerBound),
              let end = html.range(of: "</article>", range: id.upperBound..<html.endIndex)
        else { return nil }
        return String(html[start.lowerBound..<end.upperBound])
    }

    /// A real run records only rule ids: the summary table still gives each rule its title (the
    /// built-in files' headers), not its id a second time, also for rules without findings.
    @Test func summaryRowsTitleRulesRecordedByIDOnly() throws {
        let fixture = try ReportFixture.make()
        defer { fixture.remove() }
        try fixture.database.queue.write { db in
            try db.execute(sql: "UPDATE runs SET rules = ? WHERE id = ?",
                           arguments: [#"["KMS-001","KMS-005","KMS-008","LOG-001","LOG-005"]"#, fixture.runID])
        }
        let html = try HTMLReport.render(try fixture.model())
        let builtin = try RuleCatalog.builtin()
        for id in ["KMS-005", "KMS-008", "LOG-001", "LOG-005"] {
            let title = try #require(builtin.first { $0.id == id }?.title)
            #expect(html.contains("\(id)</a> <span class=\"muted\">\(Self.escaped(title))</span>"), "\(id)")
            #expect(!html.contains("\(id)</a> <span class=\"muted\">\(id)</span>"))
        }
    }
}
