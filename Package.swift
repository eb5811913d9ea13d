// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "kafka-oss-sink",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "kafka-oss-sink", targets: ["kafka-oss-sink"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.9.0"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
        .package(url: "https://github.com/jpsim/Yams", "5.0.1"..<"7.0.0"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.24.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
    ],
    targets: [
        // C libraries from Debian.
        .systemLibrary(name: "CRdKafka", pkgConfig: "rdkafka", providers: [.apt(["librdkafka-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        // glibc's <malloc.h> (mallopt), for the allocator settings applied at start-up.
        .systemLibrary(name: "CMalloc"),

        .target(
            name: "KafkaBridge",
            dependencies: [
                "CRdKafka",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // CRC-64/XZ kernels in C: PCLMULQDQ folding on x86_64, slicing-by-8 tables elsewhere.
        .target(name: "CCRC64"),
        // JSON string escaping for the jsonl renderer (SSE2 on x86_64).
        .target(name: "CJSONEscape"),
        // The bench harness's allocator set-up (a constructor) and heap pre-faulting.
        .target(name: "CBenchHeap"),
        .target(name: "OSSChecksum", dependencies: ["CCRC64"], swiftSettings: strict),
        .target(
            name: "OSSSigning",
            dependencies: ["OSSChecksum", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        .target(
            name: "OSSClient",
            dependencies: [
                "OSSSigning",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "OSSEmulator",
            dependencies: [
                "OSSSigning",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "SinkCore",
            dependencies: ["OSSChecksum", "CJSONEscape", "CZlib", "CZstd"],
            swiftSettings: strict
        ),
        .target(
            name: "SinkConfig",
            dependencies: [.product(name: "Yams", package: "Yams")],
            swiftSettings: strict
        ),
        .target(
            name: "SinkService",
            dependencies: [
                "SinkCore", "SinkConfig", "KafkaBridge", "OSSClient", "HealthServer", "OSSChecksum",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "HealthServer",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "kafka-oss-sink",
            dependencies: [
                "SinkService", "SinkConfig", "SinkCore", "KafkaBridge", "OSSClient", "OSSEmulator", "HealthServer", "CMalloc", "CBenchHeap",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),

        .testTarget(name: "KafkaBridgeTests", dependencies: ["KafkaBridge"], swiftSettings: strict),
        .testTarget(name: "OSSSigningTests", dependencies: ["OSSSigning"], swiftSettings: strict),
        .testTarget(
            name: "OSSClientTests",
            dependencies: ["OSSClient", "OSSEmulator", .product(name: "NIOPosix", package: "swift-nio")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "OSSEmulatorTests",
            dependencies: ["OSSEmulator", "OSSSigning", .product(name: "HummingbirdTesting", package: "hummingbird")],
            swiftSettings: strict
        ),
        .testTarget(name: "SinkCoreTests", dependencies: ["SinkCore", "OSSChecksum"], swiftSettings: strict),
        .testTarget(
            name: "HealthServerTests",
            dependencies: ["HealthServer", .product(name: "HummingbirdTesting", package: "hummingbird")],
            swiftSettings: strict
        ),
        .testTarget(name: "SinkConfigTests", dependencies: ["SinkConfig", "KafkaBridge"], swiftSettings: strict),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "SinkService", "OSSEmulator", "KafkaBridge", "OSSClient", "SinkConfig", "SinkCore", "OSSSigning",
                "HealthServer", "CMalloc", "CBenchHeap",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
    ]
)
