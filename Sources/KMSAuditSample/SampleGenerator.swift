import Foundation

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

    package static func generate(_ options: SampleOptions, progress: ((Int) -> Void)? = nil) throws -> SampleSummary {
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

        let results = try runStreams(plans, clock: clock, options: options, progress: progress)

        var digestFiles = 0
        if options.digests {
            digestFiles = try DigestWriter.write(world: world, files: results.map(\.files), outDir: options.outDir,
                                                 threads: options.threads, staggered: options.staggeredStarts)
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
    private static func runStreams(_ plans: [StreamPlan], clock: SampleClock, options: SampleOptions,
                                   progress: ((Int) -> Void)?) throws -> [StreamResult] {
        let lock = NSLock()
        var results = [StreamResult?](repeating: nil, count: plans.count)
        var firstError: Error?
        var done = 0
        let order = plans.indices.sorted { plans[$0].fresh > plans[$1].fresh }
        var next = 0
        let report: (Int) -> Void = { n in
            lock.lock(); done += n; progress?(done); lock.unlock()
        }
        DispatchQueue.concurrentPerform(iterations: min(options.threads, plans.count)) { _ in
            while true {
                lock.lock()
                guard next < order.count, firstError == nil else { lock.unlock(); return }
                let i = order[next]; next += 1
                lock.unlock()
                do {
                    let g = try StreamGenerator(plan: plans[i], clock: clock, seed: options.seed, outDir: options.outDir,
                                                hashContent: options.digests, progress: report,
                                                joinSlot: options.staggeredStarts ? StreamGenerator.joinSlot(plans[i].stream, clock) : 0)
                    let r = try g.run()
                    lock.lock(); results[i] = r; lock.unlock()
                } catch {
                    lock.lock(); if firstError == nil { firstError = error }; lock.unlock()
                }
            }
        }
        if let firstError { throw firstError }
        return results.map { $0! }
    }
}
