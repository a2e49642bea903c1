import Foundation

/// The bytes this process has caused to be written to storage, as the kernel counts them
/// (`write_bytes` minus `cancelled_write_bytes` of `/proc/self/io`): what the benchmark compares
/// with the database's size. Counted when a page is first dirtied, so a page rewritten before
/// writeback counts once and one written back and dirtied again counts twice, as it reached the
/// disk twice. nil where the kernel does not say (not Linux).
package enum ProcessIO {
    package static func bytesWritten() -> Int64? {
        guard let text = try? String(contentsOfFile: "/proc/self/io", encoding: .utf8) else { return nil }
        var written: Int64?
        var cancelled: Int64 = 0
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let value = Int64(parts[1].trimmingCharacters(in: .whitespaces)) else { continue }
            switch parts[0] {
            case "write_bytes": written = value
            case "cancelled_write_bytes": cancelled = value
            default: break
            }
        }
        return written.map { $0 - cancelled }
    }
}
