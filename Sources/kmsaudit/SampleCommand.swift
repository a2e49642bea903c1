import ArgumentParser
import KMSAuditSample

struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Write a deterministic, realistic CloudTrail tree with planted findings.")

    @Option(help: "Folder to write the trail into.")
    var out: String

    @Option(help: "Number of events.")
    var events: Int = 10_000

    @Option(help: "Random seed: the same seed gives the same files.")
    var seed: UInt64 = 1

    @Option(help: "Days the trail covers.")
    var days: Int = 7

    @Option(help: "Generator threads.")
    var threads: Int = 2

    @Flag(help: "Do not write CloudTrail digest files.")
    var noDigests = false

    @Flag(help: "Accounts and regions join the trail at different hours (each digest chain starts at its join).")
    var staggeredStarts = false

    func validate() throws {
        guard events > 0 else { throw ValidationError("--events must be positive") }
        guard days > 0 else { throw ValidationError("--days must be positive") }
    }

    func run() throws {
        var options = SampleOptions(outDir: out, events: events, seed: seed, days: days, threads: threads, digests: !noDigests)
        options.staggeredStarts = staggeredStarts
        let summary = try SampleGenerator.generate(options)
        print("sample: \(summary.files) log files, \(summary.records) records (\(summary.duplicates) duplicates, "
              + "\(summary.clashes) clashes), \(summary.plantedFindings) planted findings in \(out)/expected-findings.json")
    }
}
