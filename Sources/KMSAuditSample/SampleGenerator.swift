import Foundation
import KMSAuditConcurrency

/// `kmsaudit sample`: writes a deterministic CloudTrail organization trail with planted cases
/// for every rule, category and severity of docs/rules/, and `expected-findings.json` listing
/// exactly the findings those cases must produce.
package enum SampleGenerator {
    /// Background records that one cross-account pair stands for (about 0.025% of the trail,
    /// at least two pairs).
    static let recordsPerPair = 4_000

    /// Fewest `--events` accepted for `days`: the planted cases plus a little background.
    package static func minimumEvents(days: Int = 7) -> Int {
        let world = SampleWorld(clock: SampleClock(start: 0, days: max(days, 1)))
        return PlantedCases.build(world: world, seed: 1).records + 500
    }

    package static func generate(_ options: SampleOptions, progress: (@Sendable (Int) -> Void)? = nil) throws -> SampleSummary {
        guard (1...366).contains(options.days) else { throw SampleError.badOption("--days must be between 1 and 366") }
        guard options.threads >= 1 else { throw SampleError.badOption("--threads must be at least 1") }
        let clock = SampleClock(start: Int64(options.start.timeIntervalSince1970.rounded(.down)), days: options.days)
        let world = SampleWorld(clock: clock)
        let planted = PlantedCases.build(world: world, seed: options.seed)
        let minimum = planted.records + 500
        guard options.events >= minimum else { throw SampleError.tooFewEvents(minimum: minimum) }
        if FileManager.default.fileExists(atPath: options.outDir + "/AWSLogs") {
            throw SampleError.badOption("\(options.outDir)/AWSLogs already exists: sample writes into a new or empty folder")
        }
        try SampleFiles.makeDirectories(options.outDir)

        let plans = plan(world: world, planted: planted, options: options)
        try SampleFiles.write(ExpectedFinding.document(planted.findings), to: options.outDir + "/expected-findings.json")
        _ = try Inventory.write(world: world, outDir: options.outDir)

        let results = try runStreams(count: plans.count, makePlans: {
            let world = SampleWorld(clock: clock)
            return plan(world: world, planted: PlantedCases.build(world: world, seed: options.seed), options: options)
        }, clock: clock, options: options, progress: progress)

        var digestFiles = 0
        if options.digests {
            digestFiles = try DigestWriter.write(streams: world.streams.count, makeWorld: {
                let world = SampleWorld(clock: clock)
                _ = PlantedCases.build(world: world, seed: options.seed)
                return world
            }, clock: clock, files: results.map(\.files), outDir: options.outDir, threads: options.threads,
               staggered: options.staggeredStarts)
        }

        var summary = SampleSummary(files: 0, records: 0, distinctEventIDs: 0, duplicates: 0, clashes: planted.clashes,
                                    crossAccountPairs: plans.compactMap(\.pairs).first?.count ?? 0,
                                    plantedRecords: planted.records, plantedFindings: planted.findings.count,
                                    kmsRDSBackupRecords: 0, bytesCompressed: 0, bytesUncompressed: 0, digestFiles: digestFiles)
        for (plan, r) in zip(plans, results) {
            summary.files += r.files.count
            summary.records += r.records
            summary.kmsRDSBackupRecords += r.kmsRDSBackup
            summary.duplicates += plan.duplicates
            for f in r.files { summary.bytesCompressed += Int64(f.compressed); summary.bytesUncompressed += Int64(f.uncompressed) }
        }
        summary.duplicates += planted.duplicates
        summary.distinctEventIDs = summary.records - summary.duplicates - summary.clashes
        precondition(summary.records == options.events, "wrote \(summary.records) records, expected \(options.events)")
        return summary
    }

    /// Splits the background records over the streams by weight (the remainder to the first),
    /// takes out the re-deliveries (0.01%) and the cross-account pairs' halves.
    static func plan(world: SampleWorld, planted: PlantedSet, options: SampleOptions) -> [StreamPlan] {
        let background = options.events - planted.records
        let totalWeight = world.streams.reduce(0) { $0 + $1.weight }
        var shares = world.streams.map { background * $0.weight / totalWeight }
        shares[0] += background - shares.reduce(0, +)
        let pairs = CrossAccountPairs(count: max(2, background / recordsPerPair), seed: options.seed,
                                      key: world.key("shared"), owner: world.stream(world.prod, "us-east-1"),
                                      caller: world.stream(world.data, "us-east-1"), clock: world.clock)
        return world.streams.map { s in
            let share = shares[s.index]
            let inPair = s === pairs.owner || s === pairs.caller
            let duplicates = (share + 5_000) / 10_000
            let fresh = share - duplicates - (inPair ? pairs.count : 0)
            return StreamPlan(stream: s, fresh: fresh, duplicates: duplicates, planted: planted.perStream[s.index],
                              pairs: inPair ? pairs : nil)
        }
    }

    /// Runs the streams on `threads` workers, largest first; each stream is deterministic on
    /// its own, so the output does not depend on which thread ran it.
    ///
    /// The world is a graph of mutable classes, so the workers share none of it: each builds
    /// its own (`makePlans`, deterministic: the same plans every time, a few milliseconds) and
    /// they share only a locked work counter, the results and the first error.
    private static func runStreams(count: Int, makePlans: @escaping @Sendable () -> [StreamPlan], clock: SampleClock,
                                   options: SampleOptions, progress: (@Sendable (Int) -> Void)?) throws -> [StreamResult] {
        struct Shared {
            var results: [StreamResult?]
            var firstError: (any Error)?
            var done = 0
            var next = 0
        }
        let shared = LockedState(Shared(results: Array(repeating: nil, count: count)))
        let report: @Sendable (Int) -> Void = { n in
            shared.withLock { s, _ in s.done += n; progress?(s.done) }
        }
        DispatchQueue.concurrentPerform(iterations: min(options.threads, count)) { _ in
            let plans = makePlans()
            let order = plans.indices.sorted { plans[$0].fresh > plans[$1].fresh }
            while true {
                let claimed: Int? = shared.withLock { s, _ in
                    guard s.next < order.count, s.firstError == nil else { return nil }
                    s.next += 1
                    return order[s.next - 1]
                }
                guard let i = claimed else { return }
                do {
                    let g = try StreamGenerator(plan: plans[i], clock: clock, seed: options.seed, outDir: options.outDir,
                                                hashContent: options.digests, progress: report,
                                                joinSlot: options.staggeredStarts ? StreamGenerator.joinSlot(plans[i].stream, clock) : 0)
                    let r = try g.run()
                    shared.withLock { s, _ in s.results[i] = r }
                } catch {
                    shared.withLock { s, _ in if s.firstError == nil { s.firstError = error } }
                }
            }
        }
        let (results, firstError) = shared.withLock { s, _ in (s.results, s.firstError) }
        if let firstError { throw firstError }
        return results.map { $0! }
    }
}
