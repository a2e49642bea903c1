import FuzzSupport
import KMSAudit

// The CloudTrail digest parser: any bytes, with and without an object key to fall back on.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDigest(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let content = Array(FuzzSupport.bytes(data, size))
    _ = try? DigestParser.parse(content: content, objectKey: nil)
    _ = try? DigestParser.parse(content: content, objectKey:
        "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2024/01/02/111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20240102T000000Z.json.gz")
    return 0
}

/// The executable's entry point (see `FuzzSupport.main`).
@_cdecl("fuzz_digest_main")
public func fuzzDigestMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    FuzzSupport.main(argc, argv, fuzzDigest)
}
