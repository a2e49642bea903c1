import ArgumentParser
import KMSAudit

struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "List the rules a check runs (built-in and from --rules folders).")

    @Option(name: .customLong("rules"), help: "A folder of extra rule files (*.sql); repeatable.")
    var ruleDirectories: [String] = []

    @Flag(help: "Also print each rule's explanation, remediation and SQL.")
    var verbose = false

    func run() throws {
        for rule in try RuleCatalog.load(userDirectories: ruleDirectories) {
            print("\(rule.id)  \(rule.title)  [\(rule.origin)]")
            guard verbose else { continue }
            print("  severity: \(rule.severity)")
            if !rule.controls.isEmpty { print("  controls: \(rule.controls.joined(separator: "; "))") }
            print("  explanation: \(rule.explanation)")
            print("  remediation: \(rule.remediation)")
            print(rule.sql.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
            print("")
        }
    }
}
