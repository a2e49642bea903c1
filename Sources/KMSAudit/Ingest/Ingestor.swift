import Foundation
import KMSAuditConcurrency
import GRDB

/// `kmsaudit ingest`: discover inputs, skip what the ledger already holds unchanged, decode the
/// rest on worker threads and store each file's events and ledger row in one transaction.
///
/// Decoding runs ahead of the writer by a bounded amount of input (`aheadBytes`); the writer
/// stores files in discovery order, so the first copy of a duplicated event is always the same one.
///
/// What other stages do with the input (digests, alias resolutions) comes in as `hooks`,
/// registered where the command wires the stages (`IngestHooks.standard`).
package final class Ingestor {
    private let database: AuditDatabase
    private let options: IngestOptions
    private let progress: ProgressLine
    private let hooks: IngestHooks
    /// How far decoding may run ahead of the writer, in input bytes: 1 MiB of gzip is about
    /// 10 MiB of JSON, of which only the stored sources' records wait in memory (DESIGN:
    /// "Decoders per core, one writer, files in order" has the alternatives measured).
    private let aheadBytes: Int64 = 1 << 20

    package init(database: AuditDatabase, options: IngestOptions, progress: ProgressLine, hooks: IngestHooks) {
        self.database = database
        self.options = options
        self.progress = progress
        self.hooks = hooks
    }

    package func run() throws -> IngestSummary {
        let started = Date()
        let writtenBefore = ProcessIO.bytesWritten()
        let own = Set(FirstLoad.companionFiles(of: database.path).map(InputDiscovery.absolute))
        let discovered = try InputDiscovery.discover(options.paths)
            .filter { !own.contains($0.path) && !options.excludedPaths.contains($0.path) }
        var summary = IngestSummary(runID: 0)
        summary.filesSeen = discovered.count

        try database.queue.writeWithoutTransaction { db in
            try db.execute(sql: "UPDATE ingest_runs SET status = 'interrupted' WHERE status = 'running'")
            try db.execute(sql: "INSERT INTO ingest_runs (started_at, tool_version, arguments) VALUES (?, ?, ?)",
                           arguments: [TimeFormats.canonical(started), KMSAuditVersion.current,
                                       String(data: try JSONEncoder().encode(options.paths), encoding: .utf8)])
            summary.runID = db.lastInsertedRowID
            let known = try FilesLedger.load(db)
            var work: [(file: DiscoveredFile, known: FilesLedger.Known?)] = []
            for file in discovered {
                let previous = known[file.path]
                if let previous, previous.size == file.size, previous.mtimeNs == file.mtimeNs, previous.status != "failed" {
                    summary.filesUnchanged += 1
                    continue
                }
                work.append((file, previous))
            }
            try store(work, db: db, summary: &summary, started: started)
            if summary.filesRead > 0 {
                // New or re-read events: the later stages' steps (the keys, as far as aliases tell,
                // onto the events).
                for step in hooks.afterIngest { try step.run(db) }
            }
            // Also when nothing was read: a run interrupted after storing files left it behind.
            try EventCoverage.refresh(db)
            summary.seconds = Date().timeIntervalSince(started)
            try db.execute(sql: """
                UPDATE ingest_runs SET finished_at = ?, status = ?, files_seen = ?, files_read = ?,
                    files_unchanged = ?, files_failed = ?, files_skipped = ?, records_read = ?,
                    events_stored = ?, duplicates = ?, clashes = ?, records_rejected = ? WHERE id = ?
                """, arguments: [TimeFormats.canonical(Date()), summary.filesFailed > 0 ? "partial" : "ok",
                                 summary.filesSeen, summary.filesRead, summary.filesUnchanged, summary.filesFailed,
                                 summary.filesSkipped, summary.recordsRead, summary.eventsStored,
                                 summary.duplicates, summary.clashes, summary.recordsRejected, summary.runID])
        }
        try database.checkpoint()
        if let before = writtenBefore, let after = ProcessIO.bytesWritten() { summary.bytesWritten = after - before }
        progress.clear()
        return summary
    }

    // MARK: - Decoding threads and the writer

    private func store(_ work: [(file: DiscoveredFile, known: FilesLedger.Known?)], db: Database,
                       summary: inout IngestSummary, started: Date) throws {
        let handoffs = work.map { _ in FileHandoff() }
        let scheduler = DecodeScheduler(fileSizes: work.map(\.file.size), aheadBytes: aheadBytes)
        let decoder = FileDecoder(limits: options.limits, storeAllSources: options.storeAllSources,
                                  digestStep: hooks.digestFiles)
        let totalBytes = max(1, work.reduce(Int64(0)) { $0 + $1.file.size })
        var doneBytes: Int64 = 0

        let group = DispatchGroup()
        for _ in 0..<options.threads {
            group.enter()
            Thread.detachNewThread {
                let buffers = ReadBuffers()
                while let i = scheduler.next() {
                    if work[i].file.kind == .other {
                        handoffs[i].finish(.failure(Skipped()))
                    } else {
                        decoder.decode(work[i].file, into: handoffs[i], buffers: buffers)
                    }
                }
                group.leave()
            }
        }
        defer {
            scheduler.cancel()
            handoffs.forEach { $0.cancel() }
            group.wait()
        }

        let writeback = database.startBackgroundWriteback()
        defer { writeback.finish() }

        let writer = try EventWriter(db, flushBytes: options.eventIDFlushBytes, idMergeMinimum: options.eventIDMergeMinimum)
        let ledger = try FilesLedger.Writer(db)
        let now = TimeFormats.canonical(started)
        let batch = CommitBatch(db, maxSeconds: options.commitInterval, writer: writer)
        defer { batch.abandon() }
        for (i, item) in work.enumerated() {
            scheduler.writerReached(i)
            let handoff = handoffs[i]
            if item.file.kind == .other {
                _ = handoff.take()
                summary.filesSkipped += 1
                try batch.file { try ledger.upsert(.init(file: item.file, status: "skipped"), runID: summary.runID, now: now) }
                try batch.commitIfDue(events: 0)
                continue
            }
            let before = summary.eventsStored
            try storeOne(item.file, previous: item.known, handoff: handoff, writer: writer, ledger: ledger, db: db,
                         batch: batch, summary: &summary, now: now)
            try batch.commitIfDue(events: summary.eventsStored - before)
            doneBytes += item.file.size
            let elapsed = Date().timeIntervalSince(started)
            progress.update(Self.progressText(summary, done: i + 1, total: work.count, elapsed: elapsed,
                                              fraction: Double(doneBytes) / Double(totalBytes)))
        }
        try batch.commit()
        // Events finished files counted as stored that a later flush found stored before.
        let late = writer.lateInFinishedFiles
        summary.eventsStored -= late.duplicates + late.clashes
        summary.duplicates += late.duplicates
        summary.clashes += late.clashes
    }

    private struct Skipped: Error {}

    /// One file: its events and its ledger row commit together, or (bad input) nothing of it
    /// is kept and the ledger says why.
    private func storeOne(_ file: DiscoveredFile, previous: FilesLedger.Known?, handoff: FileHandoff,
                          writer: EventWriter, ledger: FilesLedger.Writer, db: Database, batch: CommitBatch,
                          summary: inout IngestSummary,
                          now: String) throws {
        var entry = FilesLedger.Entry(file: file, status: "ok")
        try batch.beginFile(undoable: !handoff.settle())
        do {
            if let previous {
                try FilesLedger.forgetContent(db, fileID: previous.id)
                try hooks.digestFiles?.forget(db, previous.id)
            }
            let fileID = try ledger.begin(entry, previous: previous?.id, runID: summary.runID, now: now)
            writer.beginFile(fileID)
            var tally = EventWriter.Tally()
            loop: while true {
                switch handoff.take() {
                case .events(let chunk):
                    try writer.insert(chunk, fileID: fileID, into: &tally)
                case .finished(.success(let decoded)):
                    // Events of this file a flush within it found stored by an earlier batch.
                    let late = writer.endFile()
                    tally.stored -= late.duplicates + late.clashes
                    tally.duplicates += late.duplicates
                    tally.clashes += late.clashes
                    entry.format = file.kind == .digest ? "digest" : decoded.read.shape.rawValue
                    entry.sha256 = decoded.read.fileSHA256
                    entry.contentSHA256 = decoded.read.contentSHA256
                    entry.contentBytes = decoded.read.contentBytes
                    entry.gzip = decoded.read.gzip
                    entry.recordsRead = decoded.read.records
                    entry.eventsStored = tally.stored
                    entry.duplicates = tally.duplicates
                    entry.clashes = tally.clashes
                    entry.otherRecords = decoded.sourceCounts.reduce(0) { $0 + $1.records - $1.stored }
                    entry.firstEventTime = decoded.firstEventTime
                    entry.lastEventTime = decoded.lastEventTime
                    if let storeDigest = decoded.storeDigest {
                        try storeDigest(db, fileID, decoded.read.contentSHA256)
                    }
                    if let document = decoded.document {
                        entry.format = document.kind.rawValue
                        entry.kind = document.kind.fileKind
                        try db.execute(sql: """
                            INSERT INTO documents (file_id, kind, key_arn, account, region, content)
                            VALUES (?, ?, ?, ?, ?, ?)
                            """, arguments: [fileID, document.kind.rawValue, document.keyARN, document.account,
                                             document.region, String(decoding: document.content, as: UTF8.self)])
                    }
                    for r in decoded.rejected {
                        try db.execute(sql: """
                            INSERT INTO rejected_records (file_id, record_index, byte_offset, reason, raw) VALUES (?,?,?,?,?)
                            """, arguments: [fileID, r.index, r.offset, r.reason, String(decoding: r.raw, as: UTF8.self)])
                        summary.warnings.append(InputError.record(file: file.path, record: r.index, offset: r.offset,
                                                                  reason: r.reason + " (record kept in rejected_records)").description)
                    }
                    entry.recordsRejected = decoded.rejected.count
                    entry.error = decoded.rejected.first.map {
                        InputError.record(file: file.path, record: $0.index, offset: $0.offset, reason: $0.reason)
                    }
                    try ledger.update(entry, id: fileID, runID: summary.runID, now: now)
                    for count in decoded.sourceCounts {
                        try ledger.insertSourceCount(fileID: fileID, source: count.source, records: count.records,
                                                     stored: count.stored)
                    }
                    summary.contentBytes += decoded.read.contentBytes
                    break loop
                case .finished(.failure(let error)):
                    throw error
                }
            }
            try batch.endFile()
            if file.kind == .digest { summary.digestFiles += 1 }
            summary.filesRead += 1
            summary.recordsRead += entry.recordsRead
            summary.eventsStored += entry.eventsStored
            summary.duplicates += entry.duplicates
            summary.clashes += entry.clashes
            summary.recordsRejected += entry.recordsRejected
        } catch is FileDecoder.NotCloudTrail {
            try batch.undoFile()
            summary.filesSkipped += 1
            var skipped = FilesLedger.Entry(file: file, status: "skipped")
            skipped.kind = "other"
            try batch.file { try ledger.upsert(skipped, runID: summary.runID, now: now) }
        } catch let error as InputError {
            try batch.undoFile()
            summary.filesFailed += 1
            summary.failures.append(error.description)
            var failed = FilesLedger.Entry(file: file, status: "failed")
            failed.error = error
            try batch.file { try ledger.upsert(failed, runID: summary.runID, now: now) }
        }
    }

    static func progressText(_ s: IngestSummary, done: Int, total: Int, elapsed: Double, fraction: Double) -> String {
        let mbps = elapsed > 0 ? Double(s.contentBytes) / 1_048_576 / elapsed : 0
        let eta = fraction > 0.01 ? max(0, elapsed / fraction - elapsed) : 0
        return String(format: "files %d/%d  events %d  %.0f MB/s  ETA %d:%02d", done, total, s.eventsStored, mbps,
                      Int(eta) / 60, Int(eta) % 60)
    }
}

/// Hands out file indexes to decoding threads, at most `aheadBytes` of input ahead of the
/// writer (and always the file the writer needs next).
///
/// Bounded by bytes, not by a count of files, so that the window follows the files' sizes: many
/// small CloudTrail files (~60 KB each) may wait decoded, a large one alone streams through its
/// handoff, and memory is bounded by what waits (a file's events, decoded, are about its
/// inflated size times the share of KMS/RDS/Backup records). On the 2M trail it was no faster
/// than the former window of 6 files, within this machine's noise (DESIGN).
final class DecodeScheduler: Sendable {
    private struct State {
        var nextIndex = 0
        var writerIndex = 0
        var cancelled = false
    }

    private let state = LockedState(State())
    private let count: Int
    /// `offsets[i]`: input bytes of the files before file i.
    private let offsets: [Int64]
    private let aheadBytes: Int64

    init(fileSizes: [Int64], aheadBytes: Int64) {
        count = fileSizes.count
        var offsets = [Int64](repeating: 0, count: fileSizes.count + 1)
        for (i, size) in fileSizes.enumerated() { offsets[i + 1] = offsets[i] + max(0, size) }
        self.offsets = offsets
        self.aheadBytes = aheadBytes
    }

    private func ahead(_ s: State) -> Int64 { offsets[s.nextIndex] - offsets[min(s.writerIndex, s.nextIndex)] }

    func next() -> Int? {
        state.withLock(waitingUntil: { s in
            s.cancelled || s.nextIndex >= self.count || s.nextIndex <= s.writerIndex || self.ahead(s) < self.aheadBytes
        }) { s, _ in
            guard !s.cancelled, s.nextIndex < count else { return nil }
            s.nextIndex += 1
            return s.nextIndex - 1
        }
    }

    /// Wakes waiting decoders only once half the window is free, so that a wake-up decodes
    /// several files: a wake-up per file cost ~3% of ingest CPU in context switches. When the
    /// writer needs a file nobody has claimed yet, the window is empty and they are woken.
    func writerReached(_ i: Int) {
        state.withLock { s, wake in
            s.writerIndex = i
            wake = s.nextIndex <= s.writerIndex || ahead(s) <= aheadBytes / 2
        }
    }

    func cancel() {
        state.withLock { s, wake in
            s.cancelled = true
            wake = true
        }
    }
}
