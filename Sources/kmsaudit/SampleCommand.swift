import ArgumentParser
import KMSAudit

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

    func run() throws {
        throw UserFacingError(message: "sample: not available yet")
    }
}
