import FuzzSupport
import Foundation
import KMSAudit

// The input file's path as discovery reads it (S3 object keys become folder and file names): an
// all-ASCII path is split, classified and its CloudTrail name parsed byte by byte, any other by
// Characters. Both ways must agree wherever both apply (a trap here is a finding).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzFileNames(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let path = String(decoding: FuzzSupport.bytes(data, size), as: UTF8.self)
    let byBytes = (InputDiscovery.lastComponent(path), InputDiscovery.classify(path), CloudTrailFileName(path: path))
    let byCharacters = (InputDiscovery.lastComponentByCharacter(path), InputDiscovery.classifyByCharacter(path),
                        CloudTrailFileName(byCharacter: path))
    precondition(byBytes.0 == byCharacters.0, "lastComponent differs for \(path.debugDescription)")
    precondition(byBytes.1 == byCharacters.1, "classify differs for \(path.debugDescription)")
    precondition(byBytes.2 == byCharacters.2, "CloudTrailFileName differs for \(path.debugDescription)")
    return 0
}

/// The executable's entry point (see `FuzzSupport.main`).
@_cdecl("fuzz_filenames_main")
public func fuzzFileNamesMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    FuzzSupport.main(argc, argv, fuzzFileNames)
}
