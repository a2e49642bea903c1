import Foundation
import Testing
@testable import KMSAudit

@Suite struct RuleFileTests {
    @Test func headerAndQueryAreRead() throws {
        let text = """
            -- id: X-001
            -- title: Something odd
            -- severity: always low
            -- controls: A 1; B 2
            -- explanation: First line
            --   continues here.
            -- An ordinary comment.
            SELECT 'low' AS severity
            """
        let rule = try RuleDefinition.parse(text, origin: "x.sql")
        #expect(rule.id == "X-001")
        #expect(rule.title == "Something odd")
        #expect(rule.controls == ["A 1", "B 2"])
        #expect(rule.explanation == "First line continues here.")
        #expect(rule.sql == "SELECT 'low' AS severity")
    }

    @Test func badRuleFilesNameFileAndLine() {
        #expect(throws: RuleFileError(file: "a.sql", line: 1, reason: "the header has no `id:` line")) {
            try RuleDefinition.parse("-- title: t\nSELECT 1", origin: "a.sql")
        }
        #expect(throws: RuleFileError(file: "b.sql", line: 2, reason: "`id` appears twice")) {
            try RuleDefinition.parse("-- id: A\n-- id: B\n-- title: t\nSELECT 1", origin: "b.sql")
        }
        #expect(throws: RuleFileError(file: "c.sql", line: 1, reason: "no query after the header")) {
            try RuleDefinition.parse("-- id: A\n-- title: t\n", origin: "c.sql")
        }
    }

    @Test func everyBuiltinFileIsEmbeddedAndParses() throws {
        let folder = TestSupport.packageRoot.appendingPathComponent("Sources/KMSAudit/Rules/Builtin")
        let onDisk = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".sql") }.sorted()
        #expect(RuleCatalog.builtinFiles.map(\.name).sorted() == onDisk)
        let rules = try RuleCatalog.builtin()
        #expect(Set(rules.map(\.id)).count == rules.count)
        for rule in rules {
            #expect(!rule.explanation.isEmpty, "\(rule.id) has no explanation")
            #expect(!rule.remediation.isEmpty, "\(rule.id) has no remediation")
            #expect(!rule.controls.isEmpty, "\(rule.id) has no control references")
        }
    }

    @Test func userRulesJoinAndMayNotReuseAnID() throws {
        let dir = try TestSupport.temporaryDirectory()
        try TestSupport.write("-- id: MY-001\n-- title: mine\nSELECT 'info' AS severity", to: dir.appendingPathComponent("mine.sql"))
        let rules = try RuleCatalog.load(userDirectories: [dir.path])
        #expect(rules.contains { $0.id == "MY-001" && $0.origin.hasSuffix("mine.sql") })
        try TestSupport.write("-- id: KMS-001\n-- title: clash\nSELECT 'info' AS severity", to: dir.appendingPathComponent("clash.sql"))
        #expect(throws: RuleFileError.self) { try RuleCatalog.load(userDirectories: [dir.path]) }
    }
}
