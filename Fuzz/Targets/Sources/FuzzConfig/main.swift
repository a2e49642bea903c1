import KMSAudit

// The YAML config loader: any text (invalid UTF-8 decoded with replacement, as a file would be).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    _ = try? AuditConfig.parse(text, file: "fuzz.yaml")
    return 0
}
