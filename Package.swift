// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "kmsaudit",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "kmsaudit", targets: ["kmsaudit"]),
        .library(name: "KMSAudit", targets: ["KMSAudit"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "4.5.2"),
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", exact: "2.1.1"),
        .package(url: "https://github.com/yaslab/CSV.swift", exact: "2.5.2"),
    ],
    targets: [
        // zlib from the system (libz-dev): gzip output of `kmsaudit sample`.
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", providers: [.apt(["zlib1g-dev"])]),
        // Intel ISA-L from the system (libisal-dev): streaming inflate of CloudTrail's gzip files.
        .systemLibrary(name: "CISAL", path: "Sources/CISAL", providers: [.apt(["libisal-dev"])]),
        // sqlite3_config (variadic, so not callable from Swift): process-wide SQLite settings.
        .target(name: "CSQLiteSetup", path: "Sources/CSQLiteSetup", linkerSettings: [.linkedLibrary("sqlite3")]),
        .target(
            name: "KMSAudit",
            dependencies: [
                "CZlib",
                "CSQLiteSetup",
                "CISAL",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "CSV", package: "CSV.swift"),
            ],
            path: "Sources/KMSAudit",
            exclude: ["Rules/Builtin/README.md"],
            resources: [
                // Embedded in the binary (not a bundle) so a copied release binary stands alone.
                .embedInCode("Rules/Builtin"),
                .embedInCode("Reports/Templates"),
            ]
        ),
        .executableTarget(
            name: "kmsaudit",
            dependencies: [
                "KMSAudit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Sources/kmsaudit"
        ),
        .testTarget(
            name: "KMSAuditTests",
            // The executable too: tests run the real binary (exit statuses, SIGKILL, the lock).
            dependencies: ["KMSAudit", "kmsaudit"],
            path: "Tests/KMSAuditTests",
            resources: [.copy("Fixtures")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
