import Foundation

/// Helpers shared by the fuzz targets: a per-process scratch file (the log reader reads paths,
/// as ingest does) and a gzip wrapper so raw bytes also reach the reader through the inflater.
public enum FuzzSupport {
    /// What every target's entry point runs: libFuzzer's driver on `testOne`. SwiftPM links an
    /// executable with `main` aliased to `MODULE_main`, so each target defines that symbol
    /// (`@_cdecl`) and hands over to libFuzzer here instead of libFuzzer's own `main`.
    public static func main(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                            _ testOne: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt {
        var argc = argc
        var argv = argv
        return LLVMFuzzerRunDriver(&argc, &argv, testOne)
    }

    /// The input as a buffer (libFuzzer may pass a null pointer for the empty input).
    public static func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> UnsafeRawBufferPointer {
        guard let data, size > 0 else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        return UnsafeRawBufferPointer(start: data, count: size)
    }

    /// A scratch path unique to this process, so parallel fuzzers (`-jobs`) never share one.
    public static func scratchPath(_ suffix: String) -> String {
        let dir = ProcessInfo.processInfo.environment["FUZZ_SCRATCH"] ?? NSTemporaryDirectory()
        return (dir as NSString).appendingPathComponent("kmsaudit-fuzz-\(ProcessInfo.processInfo.processIdentifier)\(suffix)")
    }

    public static func write(_ bytes: UnsafeRawBufferPointer, to path: String) {
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        } catch {
            fatalError("fuzz: cannot write \(path): \(error)")
        }
    }

    /// `bytes` as one gzip member made of stored deflate blocks (valid gzip, CRC-32 and size
    /// trailer), so the fuzzer's bytes reach the splitter through the gzip path unchanged.
    public static func gzipStored(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var out: [UInt8] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]
        var offset = 0
        repeat {
            let n = min(65535, bytes.count - offset)
            let final: UInt8 = offset + n == bytes.count ? 1 : 0
            out.append(final)
            out.append(UInt8(n & 0xff)); out.append(UInt8(n >> 8))
            out.append(UInt8(~n & 0xff)); out.append(UInt8((~n >> 8) & 0xff))
            if n > 0 { out.append(contentsOf: bytes[offset..<offset + n]) }
            offset += n
        } while offset < bytes.count
        let crc = crc32(bytes)
        for v in [crc, UInt32(truncatingIfNeeded: bytes.count)] {
            for s in stride(from: 0, to: 32, by: 8) { out.append(UInt8((v >> UInt32(s)) & 0xff)) }
        }
        return out
    }

    static func crc32(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var c: UInt32 = 0xffff_ffff
        for b in bytes {
            c ^= UInt32(b)
            for _ in 0..<8 { c = (c >> 1) ^ (0xedb8_8320 & (0 &- (c & 1))) }
        }
        return ~c
    }
}

/// libFuzzer's driver (compiler-rt, linked by `-sanitize=fuzzer`).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<CInt>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                         _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt
