import Foundation

/// gzip and gunzip with the real `gzip` program: test fixtures made, and contents checked, by a
/// tool that is not the one under test.
public enum Gzip {
    public static let program = "/bin/gzip"

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// `bytes` compressed (`gzip -n`: no name or time, so the same input gives the same bytes).
    public static func compress<Bytes: Sequence>(_ bytes: Bytes) throws -> Data where Bytes.Element == UInt8 {
        try gzip(["-n", "-c"], stdin: Data(bytes))
    }

    /// `data` decompressed; a damaged stream throws with gzip's own message.
    public static func decompress<Bytes: Sequence>(_ data: Bytes) throws -> Data where Bytes.Element == UInt8 {
        try gzip(["-d", "-c"], stdin: Data(data))
    }

    /// Writes `data` gzip-compressed to `url`, creating its folder.
    public static func write(_ data: Data, to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try compress(data).write(to: url)
    }

    /// The decompressed content of the gzip file at `url`.
    public static func read(_ url: URL) throws -> Data {
        try gzip(["-d", "-c", url.path], stdin: nil)
    }

    private static func gzip(_ arguments: [String], stdin: Data?) throws -> Data {
        let result = try ProcessRunner.run(program, arguments, stdin: stdin, timeout: 300)
        guard result.status == 0 else {
            throw Failure(description: "gzip \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)")
        }
        return result.stdoutData
    }
}
