import Foundation
@testable import KMSAudit
// Every test file sees the test support (process runner, gzip) and the sample generator's
// package API without importing them itself; a file that uses the generator's internals
// (SampleWorld, ...) adds `@testable import KMSAuditSample`.
@_exported import KMSAuditTestSupport
@_exported import KMSAuditSample

/// Helpers shared by the tests: temporary folders, fixtures, real gzip, the real binary.
enum TestSupport {
    static let packageRoot = ProcessRunner.packageRoot
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func fixture(_ relative: String) -> URL { fixtures.appendingPathComponent(relative) }

    /// A fresh folder under /tmp, removed by the caller if it likes (kept on failure for a look).
    #if os(Linux)
    /// Whether `url` lies on a tmpfs, where the kernel counts no bytes written to storage.
    static func isOnTmpfs(_ url: URL) throws -> Bool {
        // The mount with the longest mount point that contains the path (`/proc/mounts`).
        let path = url.resolvingSymlinksInPath().path
        var best: (point: String, type: String) = ("", "")
        for line in try String(contentsOfFile: "/proc/mounts", encoding: .utf8).split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count >= 3 else { continue }
            let point = String(fields[1])
            let inside = point == "/" || path == point || path.hasPrefix(point + "/")
            if inside && point.count >= best.point.count { best = (point, String(fields[2])) }
        }
        return best.type == "tmpfs"
    }
    #endif

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

    /// gzip with the real gzip program (`Gzip` in KMSAuditTestSupport).
    static func gzip(_ data: Data, to url: URL) throws { try Gzip.write(data, to: url) }

    /// gunzip with the real gzip program: the test oracle for contents.
    static func gunzip(_ url: URL) throws -> Data { try Gzip.read(url) }

    /// Records of a CloudTrail batch file, parsed with Foundation (the oracle, not the tool's parser).
    static func records(ofBatch url: URL) throws -> [[String: Any]] {
        let data = url.pathExtension == "gz" ? try gunzip(url) : try Data(contentsOf: url)
        let object = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        return object["Records"] as! [[String: Any]]
    }

    /// Every record of the real sample batches in `Fixtures/ingest`, each as its own JSON text
    /// (re-serialised by Foundation): inputs for differential tests of the record parsers.
    static func realSampleRecordTexts() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: fixture("ingest").path).sorted()
            .filter { $0.hasSuffix(".json.gz") }
            .flatMap { try records(ofBatch: fixture("ingest/\($0)")) }
            .map { String(decoding: try JSONSerialization.data(withJSONObject: $0), as: UTF8.self) }
    }

    static func batch(_ records: [[String: Any]]) throws -> Data {
        try JSONSerialization.data(withJSONObject: ["Records": records], options: [.sortedKeys])
    }

    typealias ProcessResult = KMSAuditTestSupport.ProcessResult

    /// Runs any program to the end (`ProcessRunner` in KMSAuditTestSupport).
    static func run(_ executable: String, _ arguments: [String], currentDirectory: URL? = nil) throws -> ProcessResult {
        try ProcessRunner.run(executable, arguments, currentDirectory: currentDirectory)
    }

    /// The `kmsaudit` binary SwiftPM built next to the test bundle.
    static var binary: String { ProcessRunner.kmsauditPath }

    static func kmsaudit(_ arguments: [String], in directory: URL? = nil) throws -> ProcessResult {
        try ProcessRunner.kmsaudit(arguments, in: directory)
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
