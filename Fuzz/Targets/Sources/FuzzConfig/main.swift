import FuzzSupport
import KMSAudit

// The YAML config loader: any text (invalid UTF-8 decoded with replacement, as a file would be).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: FuzzSupport.bytes(data, size), as: UTF8.self)
    _ = try? AuditConfig.parse(text, file: "fuzz.yaml")
    return 0
}

/// The executable's entry point (see `FuzzSupport.main`).
@_cdecl("fuzz_config_main")
public func fuzzConfigMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    FuzzSupport.main(argc, argv, fuzzConfig)
}
