import KMSZlib
#if canImport(Glibc)
import Glibc
private let posixWrite = Glibc.write
#elseif canImport(Darwin)
import Darwin
private let posixWrite = Darwin.write
#endif

/// Compresses whole buffers to gzip (zlib level 6, as CloudTrail's files compress about 9:1)
/// and writes them to disk. One instance per thread: the z_stream is reused through
/// `deflateReset`, so no allocation per file. The gzip header zlib writes carries no time or
/// name, so equal input gives equal files.
final class GzipWriter {
    private var stream = z_stream()
    private var output: [UInt8] = []

    init(level: Int32 = 6) throws {
        let rc = kmsaudit_deflateInit2(&stream, level, 15 + 16)
        guard rc == Z_OK else { throw SampleError.zlib(code: rc) }
    }

    deinit { deflateEnd(&stream) }

    /// The gzip bytes of `input`.
    func compress(_ input: [UInt8]) throws -> [UInt8] {
        guard deflateReset(&stream) == Z_OK else { throw SampleError.zlib(code: Z_STREAM_ERROR) }
        let bound = Int(deflateBound(&stream, uLong(input.count))) + 32
        if output.count < bound { output = [UInt8](repeating: 0, count: bound) }
        let produced: Int = try input.withUnsafeBufferPointer { inBuf in
            try output.withUnsafeMutableBufferPointer { outBuf in
                stream.next_in = UnsafeMutablePointer(mutating: inBuf.baseAddress)
                stream.avail_in = uInt(inBuf.count)
                stream.next_out = outBuf.baseAddress
                stream.avail_out = uInt(outBuf.count)
                let rc = deflate(&stream, Z_FINISH)
                guard rc == Z_STREAM_END else { throw SampleError.zlib(code: rc) }
                return outBuf.count - Int(stream.avail_out)
            }
        }
        return Array(output[0..<produced])
    }

    /// Compresses `input` into `path`; returns the compressed size.
    @discardableResult
    func write(_ input: [UInt8], to path: String) throws -> Int {
        let gz = try compress(input)
        try SampleFiles.write(gz, to: path)
        return gz.count
    }
}

/// Plain file output with POSIX calls (cheaper than Foundation per file) and a cache of the
/// folders already made.
enum SampleFiles {
    static func write(_ bytes: [UInt8], to path: String) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw SampleError.io(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var done = 0
        try bytes.withUnsafeBytes { buf in
            while done < buf.count {
                let n = posixWrite(fd, buf.baseAddress! + done, buf.count - done)
                if n < 0 {
                    if errno == EINTR { continue }
                    throw SampleError.io(path: path, reason: String(cString: strerror(errno)))
                }
                done += n
            }
        }
    }

    static func write(_ text: String, to path: String) throws {
        try write(Array(text.utf8), to: path)
    }

    /// `mkdir -p`.
    static func makeDirectories(_ path: String) throws {
        var current = path.hasPrefix("/") ? "" : "."
        for part in path.split(separator: "/") {
            current += "/" + part
            if mkdir(current, 0o755) != 0 && errno != EEXIST {
                throw SampleError.io(path: current, reason: String(cString: strerror(errno)))
            }
        }
    }
}
