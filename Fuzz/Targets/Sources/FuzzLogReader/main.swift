import FuzzSupport
import KMSAudit

// The log reader as ingest drives it: file -> gzip stream -> record splitter -> JSONTape ->
// EventNormaliser. Each input is read twice: as the file's bytes (plain JSON, or gzip when the
// fuzzer's bytes carry the magic) and wrapped in a gzip member. Small limits so that the
// fuzzer reaches the size and depth guards.
let limits = ReaderLimits(maxInflatedBytes: 1 << 20, maxRecordBytes: 64 << 10, maxDepth: 64)
let plainPath = FuzzSupport.scratchPath(".json")
let gzipPath = FuzzSupport.scratchPath(".json.gz")

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLogReader(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = FuzzSupport.bytes(data, size)
    FuzzSupport.write(bytes, to: plainPath)
    let wrapped = FuzzSupport.gzipStored(bytes)
    wrapped.withUnsafeBytes { FuzzSupport.write($0, to: gzipPath) }
    for path in [plainPath, gzipPath] {
        _ = try? RecordReader.read(path: path, limits: limits) { ref in
            guard let tape = try? JSONTape(parsing: ref.bytes, maxDepth: limits.maxDepth) else { return }
            _ = try? EventNormaliser.normalise(tape.root, index: ref.index)
        }
    }
    return 0
}

/// The executable's entry point (see `FuzzSupport.main`).
@_cdecl("fuzz_logreader_main")
public func fuzzLogReaderMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    FuzzSupport.main(argc, argv, fuzzLogReader)
}
