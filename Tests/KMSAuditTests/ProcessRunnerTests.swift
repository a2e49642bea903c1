import Foundation
import Testing

/// The tests' one process runner does what the tests rely on: arguments, environment, stdin,
/// working folder, exit status, signals and the timeout.
@Suite struct ProcessRunnerTests {
    @Test func passesStdinEnvironmentAndFolderAndReportsTheStatus() throws {
        let dir = try TestSupport.temporaryDirectory()
        let r = try ProcessRunner.run("/bin/sh", ["-c", "cat; printf '%s' \"$KMSAUDIT_TEST_X\" >&2; pwd -P >&2; exit 7"],
                                      environment: ["KMSAUDIT_TEST_X": "x=1"], stdin: Data("line one\nline two\n".utf8),
                                      currentDirectory: dir)
        #expect(r.status == 7)
        #expect(r.signal == nil && !r.timedOut)
        #expect(r.stdout == "line one\nline two\n")
        #expect(r.stderr == "x=1" + dir.resolvingSymlinksInPath().path + "\n")
    }

    @Test func aTimeoutKillsTheProcessAndWhatItStarted() throws {
        let started = Date()
        // The shell's child sleeps too: killing only the shell would leave the pipe open.
        let r = try ProcessRunner.run("/bin/sh", ["-c", "sleep 60 & sleep 60"], timeout: 0.5)
        #expect(r.timedOut)
        #expect(r.signal == SIGKILL && r.status == 128 + SIGKILL)
        #expect(Date().timeIntervalSince(started) < 30)
    }

    @Test func aStartedProcessCanBeSignalled() throws {
        let p = try ProcessRunner.start("/bin/sleep", ["60"])
        #expect(p.isRunning)
        p.signal(SIGTERM)
        let r = p.wait()
        #expect(!p.isRunning)
        #expect(r.signal == SIGTERM && !r.timedOut)
    }

    @Test func gzipRoundTripsAndNamesADamagedStream() throws {
        let text = Data(String(repeating: "kmsaudit ", count: 10_000).utf8)
        let packed = try Gzip.compress(text)
        #expect(packed.prefix(2) == Data([0x1F, 0x8B]) && packed.count < text.count / 10)
        #expect(try Gzip.decompress(packed) == text)
        #expect(throws: Gzip.Failure.self) { try Gzip.decompress(packed.prefix(packed.count / 2)) }
    }
}
