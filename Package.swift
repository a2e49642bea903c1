// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "kmsaudit",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "kmsaudit", targets: ["kmsaudit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "4.5.2"),
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", exact: "2.1.1"),
        .package(url: "https://github.com/yaslab/CSV.swift", exact: "2.5.2"),
        // The evidence pack's zip archive (write, read back, verify).
        .package(url: "https://github.com/weichsel/ZIPFoundation", exact: "0.9.20"),
    ],
    targets: [
        // zlib from the system (libz-dev): gzip output of `kmsaudit sample` (KMSAuditSample only). Not
        // named CZlib: ZIPFoundation's own zlib module has that name, and two modules cannot share it.
        .systemLibrary(name: "KMSZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        // Intel ISA-L from the system (libisal-dev): streaming inflate of CloudTrail's gzip files.
        .systemLibrary(name: "CISAL", path: "Sources/CISAL", providers: [.apt(["libisal-dev"])]),
        // sqlite3_config (variadic, so not callable from Swift): process-wide SQLite settings.
        .target(name: "CSQLiteSetup", path: "Sources/CSQLiteSetup", linkerSettings: [.linkedLibrary("sqlite3")]),
        // The lock-owning box shared by the library's pipeline and the sample generator's workers.
        .target(name: "KMSAuditConcurrency", path: "Sources/KMSAuditConcurrency"),
        .target(
            name: "KMSAudit",
            dependencies: [
                "KMSAuditConcurrency",
                "CSQLiteSetup",
                "CISAL",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
            ],
            path: "Sources/KMSAudit",
            exclude: ["Rules/Builtin/README.md"],
            resources: [
                // Embedded in the binary (not a bundle) so a copied release binary stands alone.
                .embedInCode("Rules/Builtin"),
                .embedInCode("Reports/Templates"),
            ]
        ),
        // The sample trail generator (`kmsaudit sample`): the independent oracle the tests compare
        // the auditor against, so the audit library does not depend on it (docs/DESIGN.md).
        .target(
            name: "KMSAuditSample",
            dependencies: [
                "KMSAuditConcurrency",
                "KMSZlib",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            path: "Sources/KMSAuditSample"
        ),
        .executableTarget(
            name: "kmsaudit",
            dependencies: [
                "KMSAudit",
                "KMSAuditSample",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/kmsaudit"
        ),
        // What the tests share: one process runner (the real binary, gzip, a shell) and one gzip helper.
        .target(name: "KMSAuditTestSupport", path: "Tests/KMSAuditTestSupport", swiftSettings: [.swiftLanguageMode(.v6)]),
        .testTarget(
            name: "KMSAuditTests",
            // The executable too: tests run the real binary (exit statuses, SIGKILL, the lock).
            // CSV.swift: an independent reader of the CSV the library writes (its own `CSVTable`).
            dependencies: ["KMSAudit", "KMSAuditConcurrency", "KMSAuditSample", "KMSAuditTestSupport", "kmsaudit",
                           .product(name: "CSV", package: "CSV.swift")],
            path: "Tests/KMSAuditTests",
            resources: [.copy("Fixtures")]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// The libFuzzer targets (docs/DESIGN.md, "Fuzzing"): only when scripts/fuzz.sh asks for them
// (KMSAUDIT_FUZZ=1), because they link only with -sanitize=fuzzer and an ordinary `swift build`
// or `swift test` must not see them. In this package, they reach the parsers' `package` API.
if Context.environment["KMSAUDIT_FUZZ"] == "1" {
    package.targets += [
        .target(name: "FuzzSupport", dependencies: ["KMSAudit"], path: "Fuzz/Targets/Sources/FuzzSupport"),
    ]
    for (name, folder) in [("logreader", "FuzzLogReader"), ("digest", "FuzzDigest"), ("policy", "FuzzPolicy"),
                           ("config", "FuzzConfig"), ("reportjson", "FuzzReportJSON"), ("filenames", "FuzzFileNames"),
                           ("times", "FuzzTimes")] {
        package.targets.append(.executableTarget(name: "fuzz-\(name)", dependencies: ["FuzzSupport", "KMSAudit"],
                                                 path: "Fuzz/Targets/Sources/\(folder)"))
    }
}
