// swift-tools-version:6.0
// libFuzzer targets for kmsaudit's parsers of hostile input. A separate package so that the
// main package's `swift build` and `swift test` never see a target that only links with
// `-sanitize=fuzzer`. Build and run one with `scripts/fuzz.sh TARGET SECONDS` (see docs/DESIGN.md,
// "Fuzzing").
import PackageDescription

let package = Package(
    name: "kmsaudit-fuzz-targets",
    platforms: [.macOS(.v13)],
    dependencies: [.package(name: "kmsaudit", path: "../..")],
    targets: [
        .target(name: "FuzzSupport", dependencies: [.product(name: "KMSAudit", package: "kmsaudit")],
                path: "Sources/FuzzSupport"),
        .executableTarget(name: "fuzz-logreader", dependencies: ["FuzzSupport", .product(name: "KMSAudit", package: "kmsaudit")],
                          path: "Sources/FuzzLogReader"),
        .executableTarget(name: "fuzz-digest", dependencies: ["FuzzSupport", .product(name: "KMSAudit", package: "kmsaudit")],
                          path: "Sources/FuzzDigest"),
        .executableTarget(name: "fuzz-policy", dependencies: ["FuzzSupport", .product(name: "KMSAudit", package: "kmsaudit")],
                          path: "Sources/FuzzPolicy"),
        .executableTarget(name: "fuzz-config", dependencies: ["FuzzSupport", .product(name: "KMSAudit", package: "kmsaudit")],
                          path: "Sources/FuzzConfig"),
    ],
    swiftLanguageModes: [.v6]
)
