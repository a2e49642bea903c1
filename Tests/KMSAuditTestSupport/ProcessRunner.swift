import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where a child's stdout or stderr goes.
public enum ProcessOutput: Sendable, Equatable {
    /// Read into the result (both pipes are drained while the child runs, so it never blocks).
    case capture
    /// `/dev/null`.
    case discard
    /// A file, created or truncated. For programs whose own children keep the descriptor open
    /// after they exit (Chromium): a pipe would not reach its end until they all had.
    case file(String)
}

/// What a finished process left behind.
public struct ProcessResult: Sendable {
    /// The exit status; 128 + N when signal N ended it (as a shell reports it).
    public var status: Int32
    /// The signal that ended the process, if one did.
    public var signal: Int32?
    /// The timeout passed and the process (its whole process group) was killed.
    public var timedOut: Bool
    public var stdoutData: Data
    public var stderrData: Data
    public var stdout: String { String(decoding: stdoutData, as: UTF8.self) }
    public var stderr: String { String(decoding: stderrData, as: UTF8.self) }
}

public struct ProcessRunnerError: Error, CustomStringConvertible {
    public var description: String
}

/// The one way the tests start programs: the built `kmsaudit`, gzip, a shell, Chromium.
///
/// Built on `posix_spawn` rather than Foundation's `Process` because the DevTools tests hand
/// Chromium extra descriptors (3 and 4), which `Process` cannot. Each child runs in its own
/// process group so that a timeout kills what it started too.
public enum ProcessRunner {
    /// Runs `executable` to the end and returns its status and output.
    /// - Parameters:
    ///   - environment: added to (or replacing entries of) this process's environment.
    ///   - stdin: written to the child's standard input, then closed; `nil` gives it `/dev/null`.
    ///   - timeout: after this many seconds the child's process group gets SIGKILL (`timedOut`).
    public static func run(_ executable: String, _ arguments: [String] = [], environment: [String: String] = [:],
                           stdin: Data? = nil, currentDirectory: URL? = nil, timeout: TimeInterval? = nil,
                           stdout: ProcessOutput = .capture, stderr: ProcessOutput = .capture) throws -> ProcessResult {
        try start(executable, arguments, environment: environment, stdin: stdin, currentDirectory: currentDirectory,
                  stdout: stdout, stderr: stderr).wait(timeout: timeout)
    }

    /// Runs the built `kmsaudit` binary.
    public static func kmsaudit(_ arguments: [String], in directory: URL? = nil, environment: [String: String] = [:],
                                stdin: Data? = nil, timeout: TimeInterval? = nil) throws -> ProcessResult {
        try run(kmsauditPath, arguments, environment: environment, stdin: stdin, currentDirectory: directory, timeout: timeout)
    }

    /// Starts `executable` and returns at once; `wait` collects the result.
    /// - Parameter descriptors: child descriptor -> this process's descriptor to put there
    ///   (e.g. `[3: commandsRead, 4: repliesWrite]`); the caller keeps and closes its own.
    public static func start(_ executable: String, _ arguments: [String] = [], environment: [String: String] = [:],
                             stdin: Data? = nil, currentDirectory: URL? = nil, stdout: ProcessOutput = .capture,
                             stderr: ProcessOutput = .capture, descriptors: [Int32: Int32] = [:]) throws -> RunningProcess {
        _ = ignoreSIGPIPE
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Own process group; default SIGPIPE (this process ignores it); nothing blocked.
        _ = posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        _ = posix_spawnattr_setpgroup(&attributes, 0)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        _ = posix_spawnattr_setsigdefault(&attributes, &defaults)
        var mask = sigset_t()
        sigemptyset(&mask)
        _ = posix_spawnattr_setsigmask(&attributes, &mask)

        // Descriptors only the child uses: closed here once it has them.
        var childSide: [Int32] = []
        defer { childSide.forEach { _ = close($0) } }
        var parentSide: [Int32] = []
        var stdinWriter: Int32 = -1
        if stdin != nil {
            let (read, write) = try makePipe()
            childSide.append(read)
            stdinWriter = write
            parentSide.append(write)
            posix_spawn_file_actions_adddup2(&actions, read, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        var readers: [Int32: (fd: Int32, box: DataBox)] = [:]
        for (target, output) in [(Int32(1), stdout), (Int32(2), stderr)] {
            switch output {
            case .capture:
                let (read, write) = try makePipe()
                childSide.append(write)
                parentSide.append(read)
                readers[target] = (read, DataBox())
                posix_spawn_file_actions_adddup2(&actions, write, target)
            case .discard:
                posix_spawn_file_actions_addopen(&actions, target, "/dev/null", O_WRONLY, 0)
            case .file(let path):
                posix_spawn_file_actions_addopen(&actions, target, path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
            }
        }
        for (target, source) in descriptors.sorted(by: { $0.key < $1.key }) {
            // A copy above every target, so dup2 always copies (and so drops close-on-exec).
            let copy = fcntl(source, F_DUPFD_CLOEXEC, 100)
            guard copy >= 0 else { throw ProcessRunnerError(description: "cannot duplicate descriptor \(source)") }
            childSide.append(copy)
            posix_spawn_file_actions_adddup2(&actions, copy, target)
        }
        if let currentDirectory {
            guard let addchdir = GNU.addchdir else { throw ProcessRunnerError(description: "posix_spawn cannot change directory here") }
            _ = addchdir(&actions, currentDirectory.path)
        }

        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { argv.forEach { free($0) }; envp.forEach { free($0) } }
        var pid: pid_t = 0
        // ETXTBSY: a binary just copied by a test is still open for writing in a child that
        // another test thread forked meanwhile, until that child execs. Transient: try again.
        var status: Int32 = 0
        for attempt in 0..<100 {
            status = executable.contains("/")
                ? posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
                : posix_spawnp(&pid, executable, &actions, &attributes, argv, envp)
            guard status == ETXTBSY, attempt < 99 else { break }
            usleep(20_000)
        }
        guard status == 0 else {
            parentSide.forEach { _ = close($0) }
            throw ProcessRunnerError(description: "cannot start \(executable): \(String(cString: strerror(status)))")
        }
        return RunningProcess(pid: pid, executable: executable, stdin: stdin, stdinWriter: stdinWriter,
                              stdout: readers[1], stderr: readers[2])
    }

    /// The `kmsaudit` binary SwiftPM built next to the test bundle.
    public static var kmsauditPath: String {
        let candidates = [
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("kmsaudit"),
            Bundle.main.bundleURL.appendingPathComponent("kmsaudit"),
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("kmsaudit"),
            packageRoot.appendingPathComponent(".build/debug/kmsaudit"),
        ]
        for c in candidates where FileManager.default.isExecutableFile(atPath: c.path) { return c.path }
        return candidates.last!.path
    }

    /// The package's root folder (this file is Tests/KMSAuditTestSupport/ProcessRunner.swift).
    public static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// A write to a pipe whose reader has gone must fail with EPIPE, not kill the test process.
    private static let ignoreSIGPIPE: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    /// A pipe whose ends are close-on-exec, so a child started at the same moment by another
    /// test cannot inherit (and hold open) them; hand an end to a child with `descriptors`.
    public static func makePipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        if let pipe2 = GNU.pipe2 {
            guard pipe2(&fds, O_CLOEXEC) == 0 else { throw ProcessRunnerError(description: "pipe failed: errno \(errno)") }
        } else {
            guard pipe(&fds) == 0 else { throw ProcessRunnerError(description: "pipe failed: errno \(errno)") }
            for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        }
        return (fds[0], fds[1])
    }
}

/// `pipe2` and `posix_spawn_file_actions_addchdir_np` are in glibc (2.29+) and macOS, but
/// Swift's Glibc module leaves out what needs `_GNU_SOURCE`: looked up by name instead.
private enum GNU {
    typealias Pipe2 = @convention(c) (UnsafeMutablePointer<Int32>, Int32) -> Int32
    typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    static let pipe2: Pipe2? = symbol("pipe2")
    static let addchdir: AddChdir? = symbol("posix_spawn_file_actions_addchdir_np")

    private static func symbol<T>(_ name: String) -> T? {
        // RTLD_DEFAULT: every object already loaded (a null handle in glibc, -2 on Darwin).
        #if canImport(Darwin)
        let everywhere = UnsafeMutableRawPointer(bitPattern: -2)
        #else
        let everywhere = UnsafeMutableRawPointer(bitPattern: 0)
        #endif
        guard let address = dlsym(everywhere, name) else { return nil }
        return unsafeBitCast(address, to: T.self)
    }
}

/// Bytes one reader thread collects; read only after that thread is done.
final class DataBox: @unchecked Sendable {
    private let lock = NSLock()
    private var bytes = Data()
    func append(_ chunk: Data) { lock.lock(); bytes.append(chunk); lock.unlock() }
    var data: Data { lock.lock(); defer { lock.unlock() }; return bytes }
}

/// A started child: its pid, whether it still runs, a signal, and its result.
public final class RunningProcess: @unchecked Sendable {
    public let pid: pid_t
    public let executable: String
    private let lock = NSLock()
    private let io = DispatchGroup()
    private var waitStatus: Int32?
    private var result: ProcessResult?
    private let stdoutBox: DataBox?
    private let stderrBox: DataBox?

    init(pid: pid_t, executable: String, stdin: Data?, stdinWriter: Int32,
         stdout: (fd: Int32, box: DataBox)?, stderr: (fd: Int32, box: DataBox)?) {
        self.pid = pid
        self.executable = executable
        stdoutBox = stdout?.box
        stderrBox = stderr?.box
        for reader in [stdout, stderr].compactMap({ $0 }) {
            io.enter()
            let group = io
            Thread {
                var chunk = [UInt8](repeating: 0, count: 1 << 16)
                while true {
                    let n = chunk.withUnsafeMutableBytes { read(reader.fd, $0.baseAddress, $0.count) }
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { break }
                    reader.box.append(Data(chunk[..<n]))
                }
                _ = close(reader.fd)
                group.leave()
            }.start()
        }
        if let stdin, stdinWriter >= 0 {
            // From its own thread, so a child that writes before it reads cannot deadlock us.
            Thread {
                stdin.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
                    var offset = 0
                    while offset < raw.count {
                        let n = write(stdinWriter, raw.baseAddress! + offset, raw.count - offset)
                        if n < 0 && errno == EINTR { continue }
                        if n <= 0 { break }  // the child closed its stdin (EPIPE): it wants no more
                        offset += n
                    }
                }
                _ = close(stdinWriter)
            }.start()
        }
    }

    /// What the child has written to its standard output so far (when it is captured), for a
    /// test that talks to a child that keeps running.
    public var stdoutSoFar: String { stdoutBox.map { String(decoding: $0.data, as: UTF8.self) } ?? "" }

    /// True until the child has exited (reaps it if it has).
    public var isRunning: Bool {
        lock.lock(); defer { lock.unlock() }
        if waitStatus != nil { return false }
        var status: Int32 = 0
        if waitpid(pid, &status, WNOHANG) == pid { waitStatus = status; return false }
        return true
    }

    /// Sends `signal` to the child (not to its group).
    public func signal(_ signal: Int32) {
        lock.lock(); defer { lock.unlock() }
        if waitStatus == nil { _ = kill(pid, signal) }
    }

    /// Waits for the child to exit and for its output; after `timeout` seconds its whole
    /// process group gets SIGKILL and the result says `timedOut`. The lock is not held while
    /// waiting, so another thread may still `signal` the child.
    @discardableResult
    public func wait(timeout: TimeInterval? = nil) -> ProcessResult {
        lock.lock()
        if let result { lock.unlock(); return result }
        let reaped = waitStatus
        lock.unlock()
        var timedOut = false
        if reaped == nil {
            var status: Int32 = 0
            var r: pid_t = 0
            let deadline = timeout.map { Date().addingTimeInterval($0) }
            while true {
                r = waitpid(pid, &status, deadline == nil ? 0 : WNOHANG)
                if r == pid || (r < 0 && errno != EINTR) { break }
                if let deadline, r == 0 {
                    if Date() >= deadline {
                        timedOut = true
                        _ = kill(-pid, SIGKILL)
                        _ = kill(pid, SIGKILL)
                        repeat { r = waitpid(pid, &status, 0) } while r < 0 && errno == EINTR
                        break
                    }
                    usleep(10_000)
                }
            }
            lock.lock()
            if r == pid {
                waitStatus = status
            } else {
                // Another thread (`isRunning`, another `wait`) reaped it: take what it stored.
                while waitStatus == nil { lock.unlock(); usleep(1_000); lock.lock() }
            }
            lock.unlock()
        }
        io.wait()
        lock.lock(); defer { lock.unlock() }
        if let result { return result }
        let raw = waitStatus ?? 0
        // WIFEXITED / WTERMSIG by hand: the C macros do not import into Swift.
        let signal = raw & 0x7F
        let made = ProcessResult(status: signal == 0 ? (raw >> 8) & 0xFF : 128 + signal,
                                 signal: signal == 0 ? nil : signal, timedOut: timedOut,
                                 stdoutData: stdoutBox?.data ?? Data(), stderrData: stderrBox?.data ?? Data())
        result = made
        return made
    }
}
