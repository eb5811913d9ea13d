// swift-tools-version:6.1
import PackageDescription

// Every target of this package: Swift 6 mode, the upcoming features, and warnings as errors (dependencies are
// built with their own settings).
let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
    .unsafeFlags(["-warnings-as-errors"]),
]
let strictC: [CSetting] = [.unsafeFlags(["-Wall", "-Werror"])]

let package = Package(
    name: "kafka-oss-sink",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "kafka-oss-sink", targets: ["kafka-oss-sink"]),
        .executable(name: "kafka-oss-sink-bench", targets: ["kafka-oss-sink-bench"]),
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
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.30.0"),
    ],
    targets: [
        // C libraries from Debian.
        .systemLibrary(name: "CRdKafka", pkgConfig: "rdkafka", providers: [.apt(["librdkafka-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        // glibc's <malloc.h> (mallopt), for the allocator settings applied at start-up.
        .systemLibrary(name: "CMalloc"),
        // CRC-64/XZ kernels in C: PCLMULQDQ folding on x86_64, slicing-by-8 tables elsewhere.
        .target(name: "CCRC64", cSettings: strictC),
        // JSON string escaping for the jsonl renderer (SSE2 on x86_64).
        .target(name: "CJSONEscape", cSettings: strictC),

        // Pure decisions: the per-partition writer state machine, batching, key templates, formats, recovery.
        .target(name: "SinkCore", dependencies: ["OSSChecksum", "CJSONEscape", "CZlib", "CZstd"], swiftSettings: strict),
        // YAML -> validated, typed configuration (secrets masked with Observability's redactor).
        .target(
            name: "SinkConfig", dependencies: ["Observability", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict
        ),
        // librdkafka: the group consumer on its own poll thread, offsets, metadata, the mock cluster.
        .target(
            name: "KafkaBridge",
            dependencies: ["CRdKafka", .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        // CRC-64/XZ (x-oss-hash-crc64ecma).
        .target(name: "OSSChecksum", dependencies: ["CCRC64"], swiftSettings: strict),
        // V4/V1 request signing, percent-encoding, dates.
        .target(
            name: "OSSSigning",
            dependencies: ["OSSChecksum", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        // OSS requests over AsyncHTTPClient: errors, retries, credentials.
        .target(
            name: "OSSClient",
            dependencies: [
                "OSSSigning",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The local OSS-compatible server.
        .target(
            name: "OSSEmulator",
            dependencies: [
                "OSSSigning",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // Runs SinkCore against KafkaBridge and OSSClient; reports through SinkReporter.
        .target(
            name: "SinkService",
            dependencies: [
                "SinkCore", "KafkaBridge", "OSSClient", "OSSChecksum",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // Reading the archive back: segment listing and ordering, streaming decoding, CRC-64 checks, verify.
        .target(
            name: "ArchiveReading",
            dependencies: [
                "SinkCore", "KafkaBridge", "OSSClient", "OSSChecksum", "CZlib", "CZstd",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        // Reading an archive back into Kafka: planning, resume from provenance headers, the idempotent producer.
        .target(
            name: "Replay",
            dependencies: [
                "ArchiveReading", "SinkCore", "KafkaBridge",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // Logs (text/JSON lines, redaction) and metrics (the sink's series, Prometheus).
        .target(
            name: "Observability",
            dependencies: [
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
        // /healthz /readyz /metrics.
        .target(
            name: "HealthServer",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // The composition root: one validated configuration file -> the running services.
        .target(
            name: "SinkApp",
            dependencies: [
                "SinkConfig", "SinkCore", "SinkService", "ArchiveReading", "Replay", "KafkaBridge", "OSSClient", "Observability",
                "HealthServer", "CMalloc",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // Mock cluster + emulator + sink on loopback: the demo, the tests and the benchmarks.
        .target(
            name: "LocalStack",
            dependencies: [
                "SinkApp", "SinkConfig", "SinkCore", "SinkService", "KafkaBridge", "OSSEmulator", "OSSSigning", "OSSClient",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        // The CLI: argument parsing and the commands.
        .executableTarget(
            name: "kafka-oss-sink",
            dependencies: [
                "SinkApp", "LocalStack", "SinkConfig", "SinkCore", "SinkService", "ArchiveReading", "Replay", "KafkaBridge",
                "OSSClient", "OSSEmulator", "Observability", "HealthServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),

        // Test support: the local stack, waiting on conditions, seeded randomness, the CLI as a process, captured logs.
        .target(
            name: "SinkTesting",
            dependencies: [
                "LocalStack", "SinkApp", "SinkConfig", "SinkService", "Observability", "HealthServer", "OSSEmulator",
                "OSSSigning", "KafkaBridge", "SinkCore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),

        // Benchmarks: their own executable and C helpers, outside the product.
        .target(name: "CBenchSupport", dependencies: ["CRdKafka"], path: "Benchmarks/CBenchSupport", cSettings: strictC),
        .executableTarget(
            name: "kafka-oss-sink-bench",
            dependencies: [
                "CBenchSupport", "LocalStack", "SinkApp", "SinkConfig", "SinkService", "SinkCore", "KafkaBridge", "OSSClient",
                "OSSEmulator", "OSSSigning", "Observability", "Replay", "ArchiveReading",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            path: "Benchmarks/kafka-oss-sink-bench",
            swiftSettings: strict
        ),

        .testTarget(name: "SinkCoreTests", dependencies: ["SinkCore", "OSSChecksum", "SinkTesting"], swiftSettings: strict),
        .testTarget(name: "SinkConfigTests", dependencies: ["SinkConfig", "SinkApp"], swiftSettings: strict),
        .testTarget(name: "KafkaBridgeTests", dependencies: ["KafkaBridge", "SinkTesting"], swiftSettings: strict),
        .testTarget(name: "OSSSigningTests", dependencies: ["OSSSigning", "SinkTesting"], swiftSettings: strict),
        .testTarget(
            name: "OSSClientTests",
            dependencies: ["OSSClient", "OSSEmulator", "SinkTesting", .product(name: "NIOPosix", package: "swift-nio")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "OSSEmulatorTests",
            dependencies: ["OSSEmulator", "OSSSigning", .product(name: "HummingbirdTesting", package: "hummingbird")],
            swiftSettings: strict
        ),
        .testTarget(name: "SinkServiceTests", dependencies: ["SinkService", "SinkCore", "SinkTesting", "CMalloc"], swiftSettings: strict),
        .testTarget(name: "ArchiveReadingTests", dependencies: ["ArchiveReading", "SinkCore", "OSSChecksum"], swiftSettings: strict),
        .testTarget(name: "ReplayTests", dependencies: ["Replay", "ArchiveReading", "SinkCore", "KafkaBridge", "OSSChecksum"], swiftSettings: strict),
        .testTarget(
            name: "ObservabilityTests",
            dependencies: ["Observability", "SinkTesting", .product(name: "Prometheus", package: "swift-prometheus")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "HealthServerTests",
            dependencies: ["HealthServer", "Observability", .product(name: "HummingbirdTesting", package: "hummingbird")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SinkAppTests",
            dependencies: [
                "SinkApp", "SinkConfig", "SinkCore", "SinkService", "KafkaBridge", "OSSClient", "Observability", "HealthServer",
                "Replay", "SinkTesting", .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "SinkTesting", "LocalStack", "SinkApp", "SinkService", "ArchiveReading", "Replay", "OSSEmulator", "KafkaBridge",
                "OSSClient", "SinkConfig", "SinkCore", "OSSSigning", "HealthServer", "Observability",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: strict
        ),
        .testTarget(name: "BenchmarkTests", dependencies: ["CBenchSupport", "SinkTesting"], swiftSettings: strict),
    ]
)
