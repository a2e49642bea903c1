import Foundation
import GRDB
#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import KMSAudit

/// The HTML report opened in a real browser: Debian's headless Chromium.
///
/// Chromium itself fetches things in the background (component updates, account checks) even
/// with background networking disabled. The NetLog marks those with the initiator
/// "not an origin"; requests a page makes carry the page's origin ("null" for a file). So a
/// request counts as the report's when its initiator is anything else, and
/// `netLogCatchesAPageRequest` shows on a page that does load something that this check sees it.
/// Without Chromium the suite is skipped, and the skip says what is missing.
@Suite(.serialized, .enabled(if: Chromium.isAvailable, "chromium is not installed: apt-get install chromium"))
struct ReportChromiumTests {
    @Test func rendersWithNoConsoleErrorNoRequestAndEveryFindingCard() throws {
        let fixture = try ReportFixture.make()
        defer { fixture.remove() }
        let page = try writeReport(fixture)
        let run = try Chromium.run(page: page, in: fixture.directory, arguments: ["--dump-dom"])

        #expect(run.consoleLines.isEmpty, "console output: \(run.consoleLines)")
        #expect(run.pageRequests.isEmpty, "requests made by the page: \(run.pageRequests)")
        let expected = try fixture.findingCount()
        #expect(expected == 8)
        #expect(Chromium.count(#"<article\b[^>]*\bclass="finding-card\b"#, in: run.stdout) == expected)
        // The script ran: it showed the controls and counted the cards.
        #expect(run.stdout.contains("\(expected) of \(expected) findings shown"))
        #expect(!run.stdout.contains(#"id="controls" class="controls" hidden"#))
        // Hostile text became text: the only script is the report's own, and there is no image.
        #expect(Chromium.count(#"<script\b"#, in: run.stdout) == 1)
        #expect(Chromium.count(#"<img\b"#, in: run.stdout) == 0)
    }

    /// `--dump-dom` prints nothing when scripts are off (it reads the DOM through script), so
    /// this run asks for the DOM over the DevTools protocol instead, which needs no page script.
    @Test func withJavaScriptOffEveryFindingIsShown() throws {
        let fixture = try ReportFixture.make()
        defer { fixture.remove() }
        let page = try writeReport(fixture)
        let run = try Chromium.inspect(page: page, in: fixture.directory,
                                       arguments: ["--blink-settings=scriptEnabled=false"], selector: ".finding-card")
        #expect(run.consoleLines.isEmpty, "console output: \(run.consoleLines)")
        #expect(run.pageRequests.isEmpty, "requests made by the page: \(run.pageRequests)")
        #expect(run.matches == (try fixture.findingCount()))
        #expect(Chromium.count(#"<article\b[^>]*\bclass="finding-card\b"#, in: run.stdout) == (try fixture.findingCount()))
        // The script did not run: the controls stay hidden and no card is filtered out.
        #expect(run.stdout.contains(#"id="controls" class="controls" hidden"#))
        #expect(Chromium.count(#"class="[^"]*\bfiltered-out\b"#, in: run.stdout) == 0)
        #expect(!run.stdout.contains("findings shown</output>"))
    }

    /// The script's controls: filter by severity, rule and key, and sort.
    @Test func filterAndSortControlsWork() throws {
        let fixture = try ReportFixture.make()
        defer { fixture.remove() }
        let page = try writeReport(fixture)
        let visible = "document.querySelectorAll('.finding-card:not(.filtered-out)').length"
        func choose(_ id: String, _ value: String) -> String {
            "(function () { var s = document.getElementById('\(id)'); s.value = '\(value)'; "
                + "s.dispatchEvent(new Event('change')); return \(visible); })()"
        }
        let run = try Chromium.inspect(page: page, in: fixture.directory, arguments: [], selector: ".finding-card", evaluate: [
            visible,
            choose("filter-severity", "critical"),
            choose("filter-rule", "KMS-004"),
            "document.getElementById('filter-empty').hidden",  // true, which arrives as 1
            "(function () { document.getElementById('filter-reset').click(); return \(visible); })()",
            choose("filter-key", ReportFixture.keyUSWest2),
            "document.getElementById('filter-count').textContent",
            choose("sort-by", "last-seen") + " && Array.prototype.map.call(document.querySelectorAll('#rule-KMS-001 .finding-card'), function (c) { return c.id; }).join(' ')",
            "(function () { document.getElementById('filter-reset').click(); return Array.prototype.map.call(document.querySelectorAll('#rule-KMS-001 .finding-card'), function (c) { return c.id; }).join(' '); })()",
        ])
        #expect(run.consoleLines.isEmpty, "console output: \(run.consoleLines)")
        #expect(run.values == [
            "8", "2", "1", "1", "8", "4", "4 of 8 findings shown",
            "finding-f001ba5e finding-f001de41ed finding-f001a11ce",
            "finding-f001a11ce finding-f001ba5e finding-f001de41ed",
        ])
    }

    @Test func screenshotIsTakenAndHasContent() throws {
        let fixture = try ReportFixture.make()
        defer { fixture.remove() }
        let page = try writeReport(fixture)
        let png = fixture.directory.appendingPathComponent("report.png")
        let run = try Chromium.run(page: page, in: fixture.directory,
                                   arguments: ["--screenshot=\(png.path)", "--window-size=1280,4000"])
        #expect(run.consoleLines.isEmpty, "console output: \(run.consoleLines)")
        #expect(run.pageRequests.isEmpty, "requests made by the page: \(run.pageRequests)")
        let data = try Data(contentsOf: png)
        #expect(data.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "not a PNG")
        #expect(data.count > 50_000, "screenshot is only \(data.count) bytes")
        Chromium.keepArtifact(png)
        Chromium.keepArtifact(page)
        if let dir = ProcessInfo.processInfo.environment["KMSAUDIT_REPORT_ARTIFACTS"] {
            // VACUUM INTO writes one whole, compact copy while the fixture holds the database open.
            let target = URL(fileURLWithPath: dir).appendingPathComponent("audit.sqlite").path
            try? FileManager.default.removeItem(atPath: target)
            try fixture.database.queue.writeWithoutTransaction { db in
                try db.execute(sql: "VACUUM INTO ?", arguments: [target])
            }
        }
    }

    /// The NetLog check is only worth something if it sees a request when there is one.
    @Test func netLogCatchesAPageRequest() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kmsaudit-netlog-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let page = dir.appendingPathComponent("control.html")
        try #"<!DOCTYPE html><html><head><meta charset="utf-8"><title>control</title></head><body><img src="http://example.invalid/x.png" alt=""></body></html>"#
            .write(to: page, atomically: true, encoding: .utf8)
        let run = try Chromium.run(page: page, in: dir, arguments: ["--dump-dom"])
        #expect(run.pageRequests.contains { $0.hasPrefix("http://example.invalid/") })
    }

    private func writeReport(_ fixture: ReportFixture) throws -> URL {
        let html = try HTMLReport.render(try fixture.model())
        let page = fixture.directory.appendingPathComponent("report.html")
        try html.write(to: page, atomically: true, encoding: .utf8)
        return page
    }
}

/// Runs Debian's headless Chromium on a file and reads what it printed and fetched.
enum Chromium {
    struct Run {
        var stdout: String
        var stderr: String
        /// Lines of console output (messages, errors, CSP violations, uncaught exceptions).
        var consoleLines: [String]
        /// URLs the page asked for, other than itself and data: URLs.
        var pageRequests: [String]
        /// Elements matching the selector (DevTools runs only).
        var matches = 0
        /// Results of the evaluated expressions, as text (DevTools runs only).
        var values: [String] = []
    }

    struct Missing: Error, CustomStringConvertible {
        var path: String
        var description: String {
            "Chromium is not installed at \(path): install Debian's `chromium` package (CI's .ci/run does) or set KMSAUDIT_CHROMIUM"
        }
    }

    static var path: String { ProcessInfo.processInfo.environment["KMSAUDIT_CHROMIUM"] ?? "/usr/bin/chromium" }

    static var isAvailable: Bool { FileManager.default.isExecutableFile(atPath: path) }

    static func run(page: URL, in directory: URL, arguments: [String], timeout: TimeInterval = 120) throws -> Run {
        guard FileManager.default.isExecutableFile(atPath: path) else { throw Missing(path: path) }
        let tag = UUID().uuidString
        let netLog = directory.appendingPathComponent("netlog-\(tag).json")
        let out = directory.appendingPathComponent("stdout-\(tag).txt")
        let err = directory.appendingPathComponent("stderr-\(tag).txt")
        let profile = directory.appendingPathComponent("profile-\(tag)", isDirectory: true)
        // Files, not pipes: Chromium's helper processes keep inherited descriptors open.
        let finished = try ProcessRunner.run(path, [
            "--headless", "--no-sandbox", "--disable-gpu",
            "--log-net-log=\(netLog.path)", "--enable-logging=stderr", "--v=0",
            // A profile of its own, so parallel runs do not share one; less background traffic.
            "--user-data-dir=\(profile.path)", "--no-first-run", "--no-default-browser-check",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-extensions", "--disable-default-apps",
        ] + arguments + [page.absoluteString], timeout: timeout, stdout: .file(out.path), stderr: .file(err.path))
        if finished.timedOut { Issue.record("Chromium did not finish within \(Int(timeout)) s") }
        defer { try? FileManager.default.removeItem(at: profile) }

        let stdout = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
        let stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
        let console = stderr.split(separator: "\n").map(String.init)
            .filter { $0.contains("CONSOLE") || $0.contains("Uncaught") }
        return Run(stdout: stdout, stderr: stderr, consoleLines: console,
                   pageRequests: try pageRequests(netLog: netLog, page: page))
    }

    /// URL requests in the NetLog that the page started (see the suite's comment), except the
    /// page itself and data: URLs.
    static func pageRequests(netLog: URL, page: URL) throws -> [String] {
        var data = try Data(contentsOf: netLog)
        // A NetLog cut short (the browser killed) lacks its closing brackets.
        if (try? JSONSerialization.jsonObject(with: data)) == nil { data.append(contentsOf: Array("]}".utf8)) }
        guard let log = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let constants = log["constants"] as? [String: Any],
              let sourceTypes = constants["logSourceType"] as? [String: Int],
              let urlRequest = sourceTypes["URL_REQUEST"],
              let events = log["events"] as? [[String: Any]]
        else {
            Issue.record("the NetLog is not in the expected form")
            return []
        }
        var urls: [Int: String] = [:]
        var initiators: [Int: String] = [:]
        for event in events {
            guard let source = event["source"] as? [String: Any], source["type"] as? Int == urlRequest,
                  let id = source["id"] as? Int, let params = event["params"] as? [String: Any] else { continue }
            if let url = params["url"] as? String, urls[id] == nil { urls[id] = url }
            if let initiator = params["initiator"] as? String { initiators[id] = initiator }
        }
        return urls.compactMap { id, url in
            if initiators[id] == "not an origin" { return nil }  // the browser's own traffic
            if url == page.absoluteString || url.hasPrefix("data:") { return nil }
            return url
        }.sorted()
    }

    /// Opens `page` over the DevTools protocol (`--remote-debugging-pipe`), waits for its load
    /// event, and returns its DOM (`stdout`) and how many elements match `selector`.
    static func inspect(page: URL, in directory: URL, arguments: [String], selector: String,
                        evaluate expressions: [String] = [], timeout: TimeInterval = 120) throws -> Run {
        guard FileManager.default.isExecutableFile(atPath: path) else { throw Missing(path: path) }
        let tag = UUID().uuidString
        let netLog = directory.appendingPathComponent("netlog-\(tag).json")
        let err = directory.appendingPathComponent("stderr-\(tag).txt")
        let profile = directory.appendingPathComponent("profile-\(tag)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: profile) }
        let browser = try DevToolsPipe(executable: path, arguments: [
            "--headless", "--no-sandbox", "--disable-gpu", "--remote-debugging-pipe",
            "--log-net-log=\(netLog.path)", "--enable-logging=stderr", "--v=0",
            "--user-data-dir=\(profile.path)", "--no-first-run", "--no-default-browser-check",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-extensions", "--disable-default-apps",
        ] + arguments + ["about:blank"], stderr: err.path, timeout: timeout)
        var html = ""
        var matches = 0
        var values: [String] = []
        do {
            let target = try browser.call("Target.createTarget", ["url": "about:blank"])["targetId"] as? String ?? ""
            let session = try browser.call("Target.attachToTarget", ["targetId": target, "flatten": true])["sessionId"] as? String
            _ = try browser.call("Page.enable", session: session)
            _ = try browser.call("Page.navigate", ["url": page.absoluteString], session: session)
            try browser.waitFor(event: "Page.loadEventFired", session: session)
            let document = try browser.call("DOM.getDocument", ["depth": 0], session: session)
            let root = (document["root"] as? [String: Any])?["nodeId"] as? Int ?? 0
            matches = (try browser.call("DOM.querySelectorAll", ["nodeId": root, "selector": selector],
                                        session: session)["nodeIds"] as? [Any])?.count ?? 0
            html = try browser.call("DOM.getOuterHTML", ["nodeId": root], session: session)["outerHTML"] as? String ?? ""
            for expression in expressions {
                let result = try browser.call("Runtime.evaluate", ["expression": expression, "returnByValue": true],
                                              session: session)
                values.append(((result["result"] as? [String: Any])?["value"]).map { "\($0)" } ?? "\(result)")
            }
        } catch {
            browser.close()
            throw error
        }
        browser.close()
        let stderr = (try? String(contentsOf: err, encoding: .utf8)) ?? ""
        let console = stderr.split(separator: "\n").map(String.init)
            .filter { $0.contains("CONSOLE") || $0.contains("Uncaught") }
        return Run(stdout: html, stderr: stderr, consoleLines: console,
                              pageRequests: try pageRequests(netLog: netLog, page: page), matches: matches, values: values)
    }

    static func count(_ pattern: String, in text: String) -> Int {
        (try? NSRegularExpression(pattern: pattern))?.numberOfMatches(in: text, range: NSRange(text.startIndex..., in: text)) ?? 0
    }

    /// Copies a file to $KMSAUDIT_REPORT_ARTIFACTS (when set) for a person or CI to look at.
    static func keepArtifact(_ file: URL) {
        guard let dir = ProcessInfo.processInfo.environment["KMSAUDIT_REPORT_ARTIFACTS"] else { return }
        let target = URL(fileURLWithPath: dir).appendingPathComponent(file.lastPathComponent)
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try? FileManager.default.removeItem(at: target)
        try? FileManager.default.copyItem(at: file, to: target)
    }
}

/// Chromium with the DevTools protocol on file descriptors 3 (commands in) and 4 (replies
/// out), JSON messages ended by NUL (`ProcessRunner` hands the child the extra descriptors).
final class DevToolsPipe {
    private let browser: RunningProcess
    private let commands: Int32
    private let replies: Int32
    private var buffer: [UInt8] = []
    private var pending: [[String: Any]] = []
    private var lastID = 0
    private let deadline: Date
    private var closed = false

    struct Failure: Error, CustomStringConvertible { var description: String }

    init(executable: String, arguments: [String], stderr: String, timeout: TimeInterval) throws {
        deadline = Date().addingTimeInterval(timeout)
        let toChild = try ProcessRunner.makePipe()
        let fromChild = try ProcessRunner.makePipe()
        defer { Glibc.close(toChild.read); Glibc.close(fromChild.write) }  // the child's ends, once it has them
        do {
            browser = try ProcessRunner.start(executable, arguments, stdout: .discard, stderr: .file(stderr),
                                              descriptors: [3: toChild.read, 4: fromChild.write])
        } catch {
            Glibc.close(toChild.write); Glibc.close(fromChild.read)
            throw error
        }
        commands = toChild.write
        replies = fromChild.read
    }

    deinit { close() }

    /// Sends a command and returns its `result`.
    func call(_ method: String, _ params: [String: Any] = [:], session: String? = nil) throws -> [String: Any] {
        lastID += 1
        let id = lastID
        var message: [String: Any] = ["id": id, "method": method, "params": params]
        if let session { message["sessionId"] = session }
        var bytes = [UInt8](try JSONSerialization.data(withJSONObject: message))
        bytes.append(0)
        let written = bytes.withUnsafeBytes { Glibc.write(commands, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw Failure(description: "\(method): cannot write to Chromium") }
        let reply = try next { $0["id"] as? Int == id }
        if let error = reply["error"] { throw Failure(description: "\(method): \(error)") }
        return reply["result"] as? [String: Any] ?? [:]
    }

    func waitFor(event: String, session: String?) throws {
        _ = try next { $0["method"] as? String == event && $0["sessionId"] as? String == session }
    }

    /// The first message (already received or still to come) that `matches`.
    private func next(_ matches: ([String: Any]) -> Bool) throws -> [String: Any] {
        while true {
            if let index = pending.firstIndex(where: matches) { return pending.remove(at: index) }
            while let end = buffer.firstIndex(of: 0) {
                let data = Data(buffer[..<end])
                buffer.removeSubrange(...end)
                if let message = try JSONSerialization.jsonObject(with: data) as? [String: Any] { pending.append(message) }
            }
            if pending.contains(where: matches) { continue }
            let wait = deadline.timeIntervalSinceNow
            guard wait > 0 else { throw Failure(description: "Chromium did not answer in time") }
            var descriptor = pollfd(fd: replies, events: Int16(POLLIN), revents: 0)
            guard poll(&descriptor, 1, Int32(min(wait, 1) * 1000)) >= 0 else { throw Failure(description: "poll failed") }
            if descriptor.revents == 0 { continue }
            var chunk = [UInt8](repeating: 0, count: 1 << 16)
            let count = chunk.withUnsafeMutableBytes { Glibc.read(replies, $0.baseAddress, $0.count) }
            guard count > 0 else { throw Failure(description: "Chromium closed the DevTools pipe") }
            buffer.append(contentsOf: chunk[..<count])
        }
    }

    /// Asks the browser to close, then waits for it (killing it if it does not go).
    func close() {
        guard !closed else { return }
        closed = true
        _ = try? call("Browser.close")
        Glibc.close(commands)
        browser.wait(timeout: 10)
        Glibc.close(replies)
    }
}
