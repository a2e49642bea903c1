import Foundation
import Testing
@testable import KMSAudit

/// The evidence pack through the real binary: built from a sample audit (with real Chromium
/// for the PDF, opened with poppler's pdftoppm), checked by `evidence verify`, then tampered
/// with (a zip rewritten by Python's zipfile with one byte changed, a member removed, one added).
@Suite(.serialized) struct EvidencePackTests {
    /// Runs a program in `dir` with extra environment variables, through the one test runner.
    static func run(_ executable: String, _ arguments: [String], in dir: URL, environment: [String: String] = [:]) throws
        -> TestSupport.ProcessResult {
        try ProcessRunner.run(executable, arguments, environment: environment, currentDirectory: dir)
    }

    /// Python's zipfile, for reading and rewriting archives independently of ZIPFoundation.
    static func python(_ script: String, _ arguments: [String], in dir: URL) throws -> TestSupport.ProcessResult {
        try run("/usr/bin/env", ["python3", "-c", script] + arguments, in: dir)
    }

    static func audited(_ name: String = #function, environment: [String: String] = [:]) throws -> URL {
        let dir = try TestSupport.temporaryDirectory(name)
        let sample = try TestSupport.kmsaudit(["sample", "--out", "trail", "--events", "2000", "--seed", "5", "--days", "1"], in: dir)
        try #require(sample.status == 0, "\(sample.stderr)")
        try TestSupport.write("""
            # evidence pack test config
            min_backup_retention_days: 7
            """, to: dir.appendingPathComponent("kmsaudit.yaml"))
        let audit = try run(TestSupport.binary, ["audit", "trail", "--db", "a.sqlite", "--report-dir", "out", "--quiet",
                                                 "--config", "kmsaudit.yaml", "--evidence", "pack.zip"],
                            in: dir, environment: environment)
        try #require(audit.status == 1, "audit: \(audit.stdout) \(audit.stderr)")
        #expect(audit.stdout.contains("evidence pack: pack.zip"))
        return dir
    }

    static let listMembers = """
        import sys, zipfile
        for n in zipfile.ZipFile(sys.argv[1]).namelist(): print(n)
        """

    @Test func packHoldsEveryMemberWithAReadablePDFAndVerifies() throws {
        let dir = try Self.audited()
        let names = try Self.python(Self.listMembers, ["pack.zip"], in: dir).stdout.split(separator: "\n").map(String.init)
        for member in ["MANIFEST", "VERSION", "report.html", "report.pdf", "findings.json", "findings.csv", "evidence.csv", "databases.csv",
                       "findings.ocsf.json", "findings.asff.json", "integrity.txt", "inputs.csv", "config.yaml",
                       "rules/KMS-001.sql", "rules/LOG-005.sql"] {
            #expect(names.contains(member), "\(member) missing from \(names)")
        }
        #expect(!names.contains(EvidencePack.noPDFName))

        let unpacked = dir.appendingPathComponent("unpacked")
        let unzip = try Self.python("import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])",
                                    ["pack.zip", unpacked.path], in: dir)
        try #require(unzip.status == 0, "\(unzip.stderr)")
        // MANIFEST lists every other member with its SHA-256, checked here independently.
        let manifest = try String(contentsOf: unpacked.appendingPathComponent("MANIFEST"), encoding: .utf8)
        let listed = manifest.split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(listed.count == names.count - 1)
        for line in listed {
            let hash = String(line.prefix(64)), name = String(line.dropFirst(66))
            let data = try Data(contentsOf: unpacked.appendingPathComponent(name))
            #expect(Hashing.sha256Hex(Array(data)) == hash, "\(name)")
        }
        #expect(manifest.contains("# pdf: included"))
        // The config and rules exactly as the run read them; the ledger and the verdict.
        #expect(try Data(contentsOf: unpacked.appendingPathComponent("config.yaml"))
                == Data(contentsOf: dir.appendingPathComponent("kmsaudit.yaml")))
        let builtin = TestSupport.packageRoot.appendingPathComponent("Sources/KMSAudit/Rules/Builtin/KMS-002.sql")
        #expect(try Data(contentsOf: unpacked.appendingPathComponent("rules/KMS-002.sql")) == Data(contentsOf: builtin))
        let inputs = try String(contentsOf: unpacked.appendingPathComponent("inputs.csv"), encoding: .utf8)
        let logFiles = try FileManager.default.subpathsOfDirectory(atPath: dir.appendingPathComponent("trail").path)
            .filter { $0.hasSuffix(".json.gz") }
        #expect(inputs.hasPrefix("path,object_key,kind,format,account,region,size,mtime_ns,sha256,"))
        let aFile = try #require(logFiles.first)
        let aFileBytes = try Data(contentsOf: dir.appendingPathComponent("trail").appendingPathComponent(aFile))
        #expect(inputs.contains(Hashing.sha256Hex(Array(aFileBytes))), "the ledger lacks the SHA-256 of \(aFile)")
        let verdict = try String(contentsOf: unpacked.appendingPathComponent("integrity.txt"), encoding: .utf8)
        let verify = try TestSupport.kmsaudit(["verify", "--db", "a.sqlite"], in: dir)
        #expect(verdict == verify.stdout, "integrity.txt is not what verify says")

        // The PDF opens and has pages.
        let pages = try TestSupport.run("/usr/bin/env", ["pdftoppm", "-png", "-r", "20", "-l", "3",
                                                         unpacked.appendingPathComponent("report.pdf").path,
                                                         unpacked.appendingPathComponent("page").path])
        #expect(pages.status == 0, "pdftoppm: \(pages.stderr)")
        let pngs = try FileManager.default.contentsOfDirectory(atPath: unpacked.path).filter { $0.hasSuffix(".png") }
        #expect(pngs.count == 3, "pages rendered: \(pngs)")

        let ok = try TestSupport.kmsaudit(["evidence", "verify", "pack.zip"], in: dir)
        #expect(ok.status == 0, "\(ok.stdout)")
        #expect(ok.stdout.contains("intact: \(names.count - 1) members"))

        // A pack of an explicit run through `evidence --out` verifies too.
        let again = try TestSupport.kmsaudit(["evidence", "--db", "a.sqlite", "--out", "again.zip", "--run", "1"], in: dir)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(try TestSupport.kmsaudit(["evidence", "verify", "again.zip"], in: dir).status == 0)
        #expect(try TestSupport.kmsaudit(["evidence", "--db", "a.sqlite", "--out", "x.zip", "--run", "99"], in: dir).status == 2)
    }

    @Test func verifyNamesTheChangedMissingOrExtraMember() throws {
        let dir = try Self.audited(environment: ["KMSAUDIT_CHROMIUM": "/nonexistent/chromium"])
        // Rewrite the archive with one byte of one member changed (a valid zip: CRCs recomputed).
        let rewrite = """
            import sys, zipfile
            src, dst, mode, target = sys.argv[1:5]
            with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
                for info in zin.infolist():
                    data = zin.read(info.filename)
                    if info.filename == target:
                        if mode == "drop": continue
                        at = 10 if mode == "flip" else len(data) - 3
                        data = data[:at] + bytes([data[at] ^ 1]) + data[at + 1:]
                    zout.writestr(info.filename, data)
                if mode == "add": zout.writestr(target, b"planted")
            """
        for (mode, target, word) in [("flip", "findings.csv", "changed"), ("flip", "rules/KMS-001.sql", "changed"),
                                     ("drop", "integrity.txt", "missing"), ("add", "notes.txt", "extra"),
                                     ("flipend", "MANIFEST", "extra")] {
            let out = "tampered-\(mode)-\(target.replacingOccurrences(of: "/", with: "_")).zip"
            let made = try Self.python(rewrite, ["pack.zip", out, mode, target], in: dir)
            try #require(made.status == 0, "\(made.stderr)")
            let result = try TestSupport.kmsaudit(["evidence", "verify", out], in: dir)
            #expect(result.status == 1, "\(mode) \(target): \(result.stdout)")
            if target == "MANIFEST" {
                // The last line's name changed: that member is now unlisted, the new name absent.
                #expect(result.stdout.contains("extra rules/LOG-005.sql"), "\(result.stdout)")
                #expect(result.stdout.contains("missing rules/LOG-005.s"), "\(result.stdout)")
            } else {
                #expect(result.stdout.contains("\(word) \(target)"), "\(mode) \(target): \(result.stdout)")
            }
            #expect(result.stdout.contains("NOT intact"))
        }
        // Not a zip at all: 2.
        try TestSupport.write("not a zip", to: dir.appendingPathComponent("plain.zip"))
        let notZip = try TestSupport.kmsaudit(["evidence", "verify", "plain.zip"], in: dir)
        #expect(notZip.status == 2)
        #expect(notZip.stderr.contains("plain.zip"))

        // Without Chromium the pack says so, in a member and in the MANIFEST, and has the rest.
        let names = try Self.python(Self.listMembers, ["pack.zip"], in: dir).stdout
        #expect(names.contains(EvidencePack.noPDFName))
        #expect(!names.contains("report.pdf"))
        #expect(names.contains("report.html") && names.contains("findings.ocsf.json"))
        let manifest = try Self.python("import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).read('MANIFEST').decode())",
                                       ["pack.zip"], in: dir).stdout
        #expect(manifest.contains("# pdf: not included: Chromium was not found"))
        #expect(try TestSupport.kmsaudit(["evidence", "verify", "pack.zip"], in: dir).status == 0)
    }
}
