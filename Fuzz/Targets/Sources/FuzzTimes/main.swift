import FuzzSupport
import Foundation
import KMSAudit

// A time as RDS, KMS and the CLI write it inside a record (`Oct 10, 2024 3:18:55 PM`, ISO-8601 with
// any fraction or offset), read by the state: never a trap, and whatever it accepts comes out as
// canonical UTC text that reads back to itself (a trap here is a finding).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTimes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let text = String(decoding: FuzzSupport.bytes(data, size), as: UTF8.self)
    guard let canonical = StateTime.canonical(text) else { return 0 }
    precondition(canonical.utf8.count == 20 && canonical.hasSuffix("Z"), "not canonical: \(canonical) from \(text.debugDescription)")
    let again = TimeFormats.parseISO8601(canonical).map(TimeFormats.canonical)
    precondition(again == canonical, "\(canonical) reads back as \(String(describing: again)) (from \(text.debugDescription))")
    return 0
}

/// The executable's entry point (see `FuzzSupport.main`).
@_cdecl("fuzz_times_main")
public func fuzzTimesMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    FuzzSupport.main(argc, argv, fuzzTimes)
}
