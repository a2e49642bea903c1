import Foundation
import KMSAuditConcurrency

/// Starts the kernel writing the database's dirty pages to disk while ingest goes on, so the
/// fsync at each commit finds little left to write.
///
/// Linux keeps up to 10% of RAM dirty before it writes back by itself: on a bulk ingest each
/// commit's fsync then wrote everything since the last one while the writer waited (1.8 s of a
/// 2M-record ingest). `sync_file_range(SYNC_FILE_RANGE_WRITE)` only queues the writes; the
/// commit's fsync still makes the data durable, so crash safety is unchanged. Elsewhere (macOS)
/// this does nothing.
final class BackgroundWriteback: Sendable {
    private typealias SyncFileRange = @convention(c) (Int32, Int64, Int64, UInt32) -> Int32
    /// Glibc declares it only under _GNU_SOURCE, which Swift's Glibc module is built without.
    private static let syncFileRange: SyncFileRange? = {
        #if os(Linux)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "sync_file_range") else { return nil }
        return unsafeBitCast(symbol, to: SyncFileRange.self)
        #else
        return nil
        #endif
    }()
    private static let write: UInt32 = 2  // SYNC_FILE_RANGE_WRITE

    private let paths: [String]
    private let interval: TimeInterval
    /// The writeback thread's stop request and its answer.
    private struct Flags {
        var stop = false
        var finished = false
    }
    private let flags = LockedState(Flags())

    /// `paths`: the database file and its journals; missing ones are retried each round.
    init(paths: [String], interval: TimeInterval = 0.1) {
        self.paths = paths
        self.interval = interval
    }

    func start() {
        guard let syncFileRange = Self.syncFileRange else { return }
        Thread.detachNewThread { [self] in
            var fds: [String: Int32] = [:]
            defer {
                fds.values.forEach { close($0) }
                flags.withLock { f, wake in f.finished = true; wake = true }
            }
            while true {
                let done = flags.withLock(waitingUntil: { $0.stop }, deadline: Date().addingTimeInterval(interval)) { f, _ in f.stop }
                if done { return }
                for path in paths {
                    if fds[path] == nil {
                        let fd = open(path, O_RDONLY | O_CLOEXEC)
                        if fd < 0 { continue }
                        fds[path] = fd
                    }
                    _ = syncFileRange(fds[path]!, 0, 0, Self.write)
                }
            }
        }
    }

    /// Returns once the thread has closed its descriptors.
    func finish() {
        guard Self.syncFileRange != nil else { return }
        flags.withLock { f, wake in f.stop = true; wake = true }
        flags.withLock(waitingUntil: { $0.finished }) { _, _ in }
    }
}
