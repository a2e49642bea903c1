import FuzzSupport
import Foundation
import KMSAudit

// The reports' JSON parser (findings' evidence, run metadata): any bytes either parse or throw a
// typed error, never trap or recurse without bound; what parses survives a serialise-and-parse
// round trip unchanged (member order and repeated keys included).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzReportJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = FuzzSupport.bytes(data, size)
    let limits = ReportJSON.Limits(maxBytes: 1 << 20, maxDepth: 64)
    guard let value = try? ReportJSON.parse(bytes, limits: limits) else { return 0 }
    for indent in [nil, 2] as [Int?] {
        let text = value.serialized(indent: indent)
        guard let again = try? ReportJSON.parseOrThrow(text, limits: ReportJSON.Limits(maxBytes: 64 << 20, maxDepth: 64)) else {
            fatalError("serialised JSON does not parse again: \(text.prefix(200))")
        }
        // A double that is not finite serialises as null; NaN never equals itself: compare text.
        guard again.serialized(indent: indent) == text else { fatalError("round trip changed: \(text.prefix(200))") }
    }
    return 0
}

/// The executable's entry point (see `FuzzSupport.main`).
@_cdecl("fuzz_reportjson_main")
public func fuzzReportJSONMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    FuzzSupport.main(argc, argv, fuzzReportJSON)
}
