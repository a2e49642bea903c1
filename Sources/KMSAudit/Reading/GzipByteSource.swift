#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CISAL
import Crypto

/// The read buffer, the inflate buffer and the inflate state, kept by one thread from file to file.
///
/// Why: a trail is mostly many small files (~6 KB each). Allocating 2 MiB of buffers per file
/// made glibc mmap and munmap them every time, and every first touch of a page was a page
/// fault (27k faults for 12k files). Not thread-safe: one instance per decoding thread, used by
/// one `GzipByteSource` at a time.
final class ReadBuffers {
    static let readSize = 256 << 10
    static let plainReadSize = 1 << 20
    static let outSize = 1 << 20

    let inBuf: UnsafeMutablePointer<UInt8>
    let inCap = ReadBuffers.plainReadSize
    /// Allocated on the first gzip file.
    private(set) var outBuf: UnsafeMutablePointer<UInt8>?
    /// Allocated on the first gzip file (ISA-L's state is ~ 60 KB), reset for each later one.
    private var stream: UnsafeMutablePointer<inflate_state>?

    init() { inBuf = .allocate(capacity: inCap) }

    deinit {
        if let s = stream { s.deinitialize(count: 1); s.deallocate() }
        outBuf?.deallocate()
        inBuf.deallocate()
    }

    /// An inflate state ready for a new gzip member, and the output buffer.
    func inflater() -> (UnsafeMutablePointer<inflate_state>, UnsafeMutablePointer<UInt8>) {
        if outBuf == nil { outBuf = .allocate(capacity: ReadBuffers.outSize) }
        let s: UnsafeMutablePointer<inflate_state>
        if let existing = stream {
            s = existing
        } else {
            s = .allocate(capacity: 1)
            s.initialize(to: inflate_state())
            stream = s
        }
        ReadBuffers.resetForGzip(s)
        return (s, outBuf!)
    }

    /// Starts a new member: ISA-L parses the gzip header and checks the CRC-32 and length trailer.
    static func resetForGzip(_ s: UnsafeMutablePointer<inflate_state>) {
        isal_inflate_init(s)
        s.pointee.crc_flag = UInt32(ISAL_GZIP)
    }
}

/// A file's content as a stream of chunks, inflating gzip on the fly.
///
/// Why not read the file whole: CloudTrail archives are processed by the million, and a hostile
/// one can inflate to gigabytes; memory stays at one read buffer plus one output buffer.
/// Gzip is recognised by its magic bytes (1f 8b), not by the file name. Multi-member gzip
/// (`cat a.gz b.gz`) is read whole, zero padding after the last member is ignored. Both SHA-256
/// digests (file bytes, content bytes) are computed on the way, so no second pass is needed.
final class GzipByteSource {
    /// The path, as used in errors.
    let file: String
    private(set) var isGzip = false
    /// Bytes read from the file so far.
    private(set) var fileBytes: Int64 = 0
    /// Content bytes handed out so far.
    private(set) var contentBytes: Int64 = 0
    private let maxContentBytes: Int64

    private var fd: Int32
    private var fileHash = SHA256()
    private var contentHash = SHA256()
    private let hashing: Bool

    private let buffers: ReadBuffers
    private let inBuf: UnsafeMutablePointer<UInt8>
    private let inCap: Int
    private var outBuf: UnsafeMutablePointer<UInt8>?
    private var stream: UnsafeMutablePointer<inflate_state>?

    /// Bytes of `inBuf` read but not yet handed out (plain) or not yet given to zlib.
    private var pendingStart = 0
    private var pendingCount = 0
    private var eof = false
    private var betweenMembers = false
    private var done = false

    /// Opens `path`; `maxContentBytes` bounds the content (inflated or plain). `buffers` lets a
    /// thread reuse its buffers across files (see `ReadBuffers`); by default the source has its own.
    init(path: String, maxContentBytes: Int64, hashing: Bool = true, buffers: ReadBuffers? = nil) throws {
        self.hashing = hashing
        file = path
        self.maxContentBytes = maxContentBytes
        // Open before anything else: a throw before every property is set skips deinit.
        let opened = open(path, O_RDONLY)
        if opened < 0 { throw InputError.unreadable(file: path, reason: GzipByteSource.errnoText()) }
        fd = opened
        self.buffers = buffers ?? ReadBuffers()
        inCap = self.buffers.inCap
        inBuf = self.buffers.inBuf
        // From here on deinit runs on a throw and closes the file.
        // Detect gzip from the first bytes (a short read must not decide it).
        while pendingCount < 2 && !eof {
            let n = try readInto(inBuf + pendingCount, inCap - pendingCount)
            pendingCount += n
        }
        if pendingCount >= 2 && inBuf[0] == 0x1F && inBuf[1] == 0x8B {
            isGzip = true
            (stream, outBuf) = self.buffers.inflater()
        }
    }

    deinit {
        if fd >= 0 { close(fd) }
    }

    /// Lowercase hex SHA-256 of the bytes read from the file.
    func fileSHA256() -> String { Hashing.hex(fileHash.finalize()) }
    /// Lowercase hex SHA-256 of the content (equals `fileSHA256()` for plain files).
    func contentSHA256() -> String { isGzip ? Hashing.hex(contentHash.finalize()) : fileSHA256() }

    /// The next content chunk, valid until the following call; nil at the end of the content.
    func next() throws -> UnsafeRawBufferPointer? {
        if done { return nil }
        return isGzip ? try nextInflated() : try nextPlain()
    }

    // MARK: plain

    private func nextPlain() throws -> UnsafeRawBufferPointer? {
        if pendingCount == 0 {
            if !eof { pendingCount = try readInto(inBuf, inCap) }
            if pendingCount == 0 { done = true; return nil }
        }
        let n = pendingCount
        pendingCount = 0
        contentBytes += Int64(n)
        if contentBytes > maxContentBytes {
            throw InputError.inflatedTooLarge(file: file, limit: maxContentBytes)
        }
        return UnsafeRawBufferPointer(start: inBuf, count: n)
    }

    // MARK: gzip

    private func nextInflated() throws -> UnsafeRawBufferPointer? {
        guard let s = stream, let out = outBuf else { return nil }
        while true {
            if pendingCount == 0 && !eof {
                pendingStart = 0
                pendingCount = try readInto(inBuf, ReadBuffers.readSize)
            }
            if betweenMembers {
                // After a member: zero padding is ignored, anything else starts a new member.
                while pendingCount > 0 && inBuf[pendingStart] == 0 { pendingStart += 1; pendingCount -= 1 }
                if pendingCount == 0 {
                    if eof { done = true; return nil }
                    continue
                }
                // Checked here because ISA-L would wait for a whole header and call short
                // garbage at the end of the file "truncated".
                if inBuf[pendingStart] != 0x1F { throw gzipError(Self.notAMember) }
                ReadBuffers.resetForGzip(s)
                betweenMembers = false
            }
            s.pointee.next_in = inBuf + pendingStart
            s.pointee.avail_in = UInt32(pendingCount)
            s.pointee.next_out = out
            s.pointee.avail_out = UInt32(ReadBuffers.outSize)
            let rc = isal_inflate(s)
            let left = Int(s.pointee.avail_in)
            let consumed = pendingCount - left
            pendingStart += consumed
            pendingCount = left
            let produced = ReadBuffers.outSize - Int(s.pointee.avail_out)
            switch rc {
            case ISAL_DECOMP_OK, ISAL_END_INPUT, ISAL_OUT_OVERFLOW:
                break
            case ISAL_NEED_DICT:
                throw gzipError("needs a preset dictionary")
            default:
                throw gzipError(Self.inflateErrorText(rc))
            }
            let memberEnded = s.pointee.block_state == ISAL_BLOCK_FINISH
            if memberEnded { betweenMembers = true }
            if produced > 0 {
                contentBytes += Int64(produced)
                if contentBytes > maxContentBytes {
                    throw InputError.inflatedTooLarge(file: file, limit: maxContentBytes)
                }
                let chunk = UnsafeRawBufferPointer(start: out, count: produced)
                if hashing { contentHash.update(bufferPointer: chunk) }
                return chunk
            }
            if !memberEnded && pendingCount == 0 && eof {
                throw gzipError("truncated")
            }
            if consumed == 0 && pendingCount > 0 && !memberEnded {
                throw gzipError("inflate made no progress")  // defensive: never loop forever
            }
        }
    }

    static let notAMember = "incorrect header check: what follows a gzip member is not another member"

    /// ISA-L's error codes in words (zlib's messages said much the same).
    private static func inflateErrorText(_ rc: Int32) -> String {
        switch rc {
        case ISAL_INVALID_BLOCK: return "invalid deflate block"
        case ISAL_INVALID_SYMBOL: return "invalid deflate symbol"
        case ISAL_INVALID_LOOKBACK: return "invalid distance too far back"
        case ISAL_INVALID_WRAPPER: return "invalid gzip header"
        case ISAL_UNSUPPORTED_METHOD: return "unknown compression method"
        case ISAL_INCORRECT_CHECKSUM: return "incorrect data check (CRC-32 or length)"
        default: return "inflate error \(rc)"
        }
    }

    /// The compressed offset inflate has reached: bytes read minus bytes not yet consumed.
    private func gzipError(_ reason: String) -> InputError {
        .gzip(file: file, compressedOffset: fileBytes - Int64(pendingCount), reason: reason)
    }

    // MARK: I/O

    /// Reads up to `count` bytes (0 at end of file), hashing them.
    private func readInto(_ p: UnsafeMutablePointer<UInt8>, _ count: Int) throws -> Int {
        while true {
            let n = read(fd, p, count)
            if n > 0 {
                fileBytes += Int64(n)
                if hashing { fileHash.update(bufferPointer: UnsafeRawBufferPointer(start: p, count: n)) }
                return n
            }
            if n == 0 { eof = true; return 0 }
            if errno == EINTR { continue }
            throw InputError.unreadable(file: file, reason: GzipByteSource.errnoText())
        }
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}

