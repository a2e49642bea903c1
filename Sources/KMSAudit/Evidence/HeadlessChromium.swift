import Foundation

/// Prints the HTML report to PDF with headless Chromium, when it is installed. The page's
/// print styles (A4, every section expanded, a rule per page) are what the PDF shows.
package enum HeadlessChromium {
    /// Why there is no PDF (said in the evidence pack instead of failing it).
    package struct Unavailable: Error, CustomStringConvertible, Sendable {
        package var reason: String
        package var description: String { reason }
    }

    /// `KMSAUDIT_CHROMIUM` when set, else the first of chromium, chromium-browser,
    /// google-chrome on PATH.
    package static func locate(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        if let explicit = environment["KMSAUDIT_CHROMIUM"] {
            return FileManager.default.isExecutableFile(atPath: explicit) ? explicit : nil
        }
        let path = environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            for name in ["chromium", "chromium-browser", "google-chrome"] {
                let candidate = "\(dir)/\(name)"
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
        }
        return nil
    }

    /// The PDF of `html` (a self-contained page), or why none could be made. Chromium runs with
    /// a throwaway profile, no network features, and is killed after `timeout` seconds.
    package static func printToPDF(html: Data, timeout: TimeInterval = 120) -> Result<Data, Unavailable> {
        guard let chromium = locate() else {
            return .failure(Unavailable(reason: "Chromium was not found (install Debian's `chromium` package, or set KMSAUDIT_CHROMIUM to its path)"))
        }
        let work = FileManager.default.temporaryDirectory
            .appendingPathComponent("kmsaudit-pdf-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: work) }
        let page = work.appendingPathComponent("report.html")
        let pdf = work.appendingPathComponent("report.pdf")
        do {
            try FileManager.default.createDirectory(at: work.appendingPathComponent("profile"), withIntermediateDirectories: true)
            try html.write(to: page)
        } catch {
            return .failure(Unavailable(reason: "cannot prepare the page for Chromium: \(error.localizedDescription)"))
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromium)
        process.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--no-pdf-header-footer",
            "--user-data-dir=\(work.appendingPathComponent("profile").path)", "--no-first-run",
            "--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--disable-extensions", "--disable-default-apps",
            "--print-to-pdf=\(pdf.path)", page.absoluteString,
        ]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let done = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in done.signal() }
        do {
            try process.run()
        } catch {
            return .failure(Unavailable(reason: "\(chromium): cannot start: \(error.localizedDescription)"))
        }
        if done.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            if done.wait(timeout: .now() + 5) == .timedOut {
                kill(process.processIdentifier, SIGKILL)
                done.wait()
            }
            return .failure(Unavailable(reason: "\(chromium) did not finish printing within \(Int(timeout)) s"))
        }
        guard let data = try? Data(contentsOf: pdf), data.starts(with: Array("%PDF".utf8)) else {
            return .failure(Unavailable(reason: "\(chromium) exited with status \(process.terminationStatus) and wrote no PDF"))
        }
        return .success(data)
    }
}
