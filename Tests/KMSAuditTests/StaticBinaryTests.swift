import Foundation
import Testing

/// The server install: a release binary built with `--static-swift-stdlib`
/// (`scripts/install.sh`), copied alone into an empty folder, needs no Swift toolchain and runs
/// every command. Building it takes minutes, so the test runs only when KMSAUDIT_STATIC_BINARY
/// names a built binary (.ci/run builds one and sets it).
@Suite(.serialized) struct StaticBinaryTests {
    static let built = ProcessInfo.processInfo.environment["KMSAUDIT_STATIC_BINARY"]

    @Test(.enabled(if: built != nil,
                   "KMSAUDIT_STATIC_BINARY is not set: build with `swift build -c release --static-swift-stdlib --product kmsaudit --scratch-path .build-static` and set it to .build-static/release/kmsaudit"))
    func copiedAloneItNeedsOnlySystemLibrariesAndRunsEveryCommand() throws {
        let source = try #require(Self.built)
        try #require(FileManager.default.isExecutableFile(atPath: source), "KMSAUDIT_STATIC_BINARY=\(source) is not an executable")
        let dir = try TestSupport.temporaryDirectory()
        let bin = dir.appendingPathComponent("kmsaudit")
        try FileManager.default.copyItem(atPath: source, toPath: bin.path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["kmsaudit"])

        // Only system libraries, each found, none from a Swift toolchain.
        let ldd = try TestSupport.run("/usr/bin/env", ["ldd", bin.path])
        try #require(ldd.status == 0, "ldd: \(ldd.stderr)")
        let libraries = ldd.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        #expect(!libraries.isEmpty)
        for line in libraries {
            #expect(!line.contains("not found"), "unresolved: \(line)")
            #expect(!line.lowercased().contains("swift") && !line.contains("Foundation") && !line.contains("/opt/"),
                    "toolchain library: \(line)")
            if let path = line.split(separator: " ").first(where: { $0.hasPrefix("/") }) {
                #expect(path.hasPrefix("/lib") || path.hasPrefix("/usr/lib"), "not a system library: \(line)")
            }
        }
        #expect(libraries.contains { $0.hasPrefix("libsqlite3") })

        // Every command, from the copy, with no toolchain on the library path.
        let environment = ["LD_LIBRARY_PATH": "", "PATH": "/usr/local/bin:/usr/bin:/bin"]
        func kmsaudit(_ arguments: [String], expect status: Set<Int32> = [0]) throws -> String {
            let result = try EvidencePackTests.run(bin.path, arguments, in: dir, environment: environment)
            #expect(status.contains(result.status), "kmsaudit \(arguments.joined(separator: " ")): \(result.stdout)\(result.stderr)")
            return result.stdout
        }
        #expect(try kmsaudit(["--version"]).hasPrefix("0."))
        _ = try kmsaudit(["sample", "--out", "trail", "--events", "1500", "--seed", "3", "--days", "1"])
        #expect(try kmsaudit(["ingest", "trail", "--db", "s.sqlite"]).contains("events"))
        _ = try kmsaudit(["check", "--db", "s.sqlite"], expect: [1])
        for format in ["html", "json", "ocsf", "asff"] {
            let out = try kmsaudit(["report", "--db", "s.sqlite", "--format", format, "--out", "r.\(format)"])
            #expect(out.contains("r.\(format)"))
            #expect((try Data(contentsOf: dir.appendingPathComponent("r.\(format)"))).count > 1000)
        }
        _ = try kmsaudit(["report", "--db", "s.sqlite", "--format", "csv", "--out", "csv/"])
        #expect(try kmsaudit(["verify", "--db", "s.sqlite"], expect: [0, 1]).contains("integrity: "))
        #expect(try kmsaudit(["query", "--db", "s.sqlite", "SELECT count(*) AS n FROM findings"]).contains("n"))
        #expect(try kmsaudit(["rules"]).contains("KMS-001"))
        _ = try kmsaudit(["audit", "trail", "--db", "s.sqlite", "--report-dir", "out", "--quiet", "--evidence", "pack.zip"],
                         expect: [1])
        _ = try kmsaudit(["evidence", "--db", "s.sqlite", "--out", "pack2.zip"])
        #expect(try kmsaudit(["evidence", "verify", "pack.zip"]).contains("intact"))
        #expect(try kmsaudit(["evidence", "verify", "pack2.zip"]).contains("intact"))
    }
}
