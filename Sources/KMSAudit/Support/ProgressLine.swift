import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A live status line on stderr, only when stderr is a terminal (cron sees nothing), redrawn at
/// most four times a second.
package final class ProgressLine {
    private let enabled: Bool
    private var lastDraw = Date.distantPast
    private var drawn = false

    package init(quiet: Bool) {
        enabled = !quiet && isatty(STDERR_FILENO) == 1
    }

    package func update(_ text: @autoclosure () -> String, force: Bool = false) {
        guard enabled else { return }
        let now = Date()
        guard force || now.timeIntervalSince(lastDraw) >= 0.25 else { return }
        lastDraw = now
        drawn = true
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + text()).utf8))
    }

    package func clear() {
        guard enabled, drawn else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        drawn = false
    }
}
