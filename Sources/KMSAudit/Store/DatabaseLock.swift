import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive advisory lock beside the database (`FILE.lock`), held for a whole command that
/// writes, so that two cron runs never ingest the same file twice. The kernel drops it when the
/// process dies, so a killed run never leaves a stale lock.
package final class DatabaseLock {
    private let fd: Int32
    package let path: String

    /// Waits up to `waitSeconds` (0: try once) and throws `DatabaseFailure.locked` after that.
    package init(databasePath: String, waitSeconds: Int) throws {
        path = databasePath + ".lock"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw DatabaseFailure.cannotOpen(path: path, reason: String(cString: strerror(errno)))
        }
        let deadline = Date().addingTimeInterval(TimeInterval(max(0, waitSeconds)))
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            if Date() >= deadline {
                close(fd)
                throw DatabaseFailure.locked(path: databasePath, waitedSeconds: max(0, waitSeconds))
            }
            usleep(100_000)
        }
        // Leave a note for a human who finds the lock file.
        let note = "pid \(getpid())\n"
        _ = ftruncate(fd, 0)
        _ = note.withCString { write(fd, $0, strlen($0)) }
    }

    deinit {
        flock(fd, LOCK_UN)
        close(fd)
    }
}
