import Foundation
@testable import KMSAudit

/// Helpers shared by the tests: temporary folders, fixtures, real gzip, the real binary.
enum TestSupport {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func fixture(_ relative: String) -> URL { fixtures.appendingPathComponent(relative) }

    /// A fresh folder under /tmp, removed by the caller if it likes (kept on failure for a look).
    static func temporaryDirectory(_ name: String = #function) throws -> URL {
        let safe = name.filter { $0.isLetter || $0.isNumber }
        let url = URL(fileURLWithPath: NSTemporaryDirectory())
            .appendingPathComponent("kmsaudit-tests-\(safe)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func write(_ text: String, to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    /// gzip with the real gzip program.
    static func gzip(_ data: Data, to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let raw = url.deletingPathExtension()
        try data.write(to: raw)
        let result = try run("/bin/gzip", ["-f", "-n", raw.path])
        precondition(result.status == 0, "gzip failed: \(result.stderr)")
    }

    /// gunzip with the real gzip program: the test oracle for contents.
    static func gunzip(_ url: URL) throws -> Data {
        let result = try run("/bin/gzip", ["-dc", url.path])
        return result.stdoutData
    }

    /// Records of a CloudTrail batch file, parsed with Foundation (the oracle, not the tool's parser).
    static func records(ofBatch url: URL) throws -> [[String: Any]] {
        let data = url.pathExtension == "gz" ? try gunzip(url) : try Data(contentsOf: url)
        let object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        return object["Records"] as! [[String: Any]]
    }

    static func batch(_ records: [[String: Any]]) throws -> Data {
        try JSONSerialization.data(withJSONObject: ["Records": records], options: [.sortedKeys])
    }

    struct ProcessResult {
        var status: Int32
        var stdoutData: Data
        var stderrData: Data
        var stdout: String { String(decoding: stdoutData, as: UTF8.self) }
        var stderr: String { String(decoding: stderrData, as: UTF8.self) }
    }

    static func run(_ executable: String, _ arguments: [String], currentDirectory: URL? = nil) throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes while the process runs so a full pipe never blocks it.
        let outReader = out.fileHandleForReading
        let outBox = LockedState(Data())
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            let data = outReader.readDataToEndOfFile()
            outBox.withLock { value, _ in value = data }
            group.leave()
        }
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        let outData = outBox.withLock { value, _ in value }
        process.waitUntilExit()
        return ProcessResult(status: process.terminationStatus, stdoutData: outData, stderrData: errData)
    }

    /// The `kmsaudit` binary SwiftPM built next to the test bundle.
    static var binary: String {
        let candidates = [
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("kmsaudit"),
            Bundle.main.bundleURL.appendingPathComponent("kmsaudit"),
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("kmsaudit"),
            packageRoot.appendingPathComponent(".build/debug/kmsaudit"),
        ]
        for c in candidates where FileManager.default.isExecutableFile(atPath: c.path) { return c.path }
        return candidates.last!.path
    }

    static func kmsaudit(_ arguments: [String], in directory: URL? = nil) throws -> ProcessResult {
        try run(binary, arguments, currentDirectory: directory)
    }

    /// Copies the real CloudTrail samples into a CloudTrail-like tree.
    static func realSampleTree(in root: URL) throws -> [URL] {
        let names = try FileManager.default.contentsOfDirectory(atPath: fixture("ingest").path)
            .filter { $0.hasSuffix(".Records.json.gz") }.sorted()
        var copied: [URL] = []
        for (i, name) in names.enumerated() {
            let target = root.appendingPathComponent(
                "AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/0\(1 + i % 9)/111122223333_CloudTrail_us-east-1_2026110\(1 + i % 9)T00\(10 + i)Z_\(name.prefix(16)).json.gz")
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: fixture("ingest/\(name)"), to: target)
            copied.append(target)
        }
        return copied
    }

    static let storedSources: Set<String> = ["kms.amazonaws.com", "rds.amazonaws.com", "backup.amazonaws.com"]
}
