// swift-tools-version: 6.2
import PackageDescription

// Cross-module optimization only for the executables: libraries stay clean for consumers,
// and hot kernels are `@inlinable` so they specialize across modules anyway.
let releaseCMO: [SwiftSetting] = [.unsafeFlags(["-cross-module-optimization"], .when(configuration: .release))]

let package = Package(
    name: "PrivDNN",
    products: [
        .library(name: "NTT", targets: ["NTT"]),
        .library(name: "CKKS", targets: ["CKKS"]),
        .library(name: "NN", targets: ["NN"]),
        .library(name: "PrivateInference", targets: ["PrivateInference"]),
        .executable(name: "privdnn", targets: ["Tool"]),
        // The owner's HTTP service, a product of its own so that `privdnn` never compiles the server stack.
        .library(name: "OwnerService", targets: ["OwnerService"]),
        .executable(name: "privdnn-owner", targets: ["OwnerServer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // Only the owner's service (OwnerService, privdnn-owner) uses these; no default traits (swift-configuration).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // `swift package generate-documentation --target NTT|CKKS|PrivateInference` (.ci/check-docs.sh); a plugin
        // only, nothing of it is linked into a product.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CGMP", path: "Sources/CGMP", pkgConfig: "gmp", providers: [.apt(["libgmp-dev"])]),
        .systemLibrary(name: "CZlib", path: "Sources/CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        .systemLibrary(name: "CZstd", path: "Sources/CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(
            name: "COpenBLAS", path: "Sources/COpenBLAS", pkgConfig: "openblas", providers: [.apt(["libopenblas-dev"])]),
        .target(name: "NTT", dependencies: ["CGMP"]),
        .target(name: "CKKS", dependencies: ["NTT", "CZlib", "CZstd"]),
        .systemLibrary(
            name: "CJPEG", path: "Sources/CJPEG", pkgConfig: "libjpeg", providers: [.apt(["libjpeg62-turbo-dev"])]),
        .target(name: "NN", dependencies: ["NTT", "CKKS", "CZlib", "COpenBLAS", "CJPEG"]),
        // libcurl with an easy handle of its own, for an OwnerClient that trusts a private CA (URLSession on Linux
        // has no trust setting); the shim wraps the variadic curl_easy_setopt. FoundationNetworking links it anyway.
        .systemLibrary(
            name: "CCurl", path: "Sources/CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .target(name: "PrivateInference", dependencies: ["NTT", "CKKS", "NN", "CCurl"]),
        .executableTarget(
            name: "Tool",
            dependencies: [
                "NTT", "CKKS", "NN", "PrivateInference",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: releaseCMO),
        .target(
            name: "OwnerService",
            dependencies: [
                "PrivateInference",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]),
        .executableTarget(
            name: "OwnerServer",
            dependencies: [
                "OwnerService", "PrivateInference",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "NTTTests", dependencies: ["CGMP", "NTT", "TestSupport"]),
        .testTarget(name: "CKKSTests", dependencies: ["NTT", "CKKS", "TestSupport"]),
        .testTarget(name: "NNTests", dependencies: ["NN", "TestSupport"]),
        .testTarget(name: "PrivateInferenceTests", dependencies: ["NTT", "CKKS", "NN", "PrivateInference", "TestSupport"]),
        .testTarget(
            name: "OwnerServiceTests",
            dependencies: ["CKKS", "NN", "PrivateInference", "OwnerService", "TestSupport"]),
        .testTarget(
            name: "ToolTests",
            dependencies: [
                "CKKS", "NN", "PrivateInference", "Tool", "TestSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "CKKSBenchmarks", dependencies: ["NTT", "CKKS", "NN"],
            path: "Benchmarks/CKKSBenchmarks", swiftSettings: releaseCMO),
        .executableTarget(
            name: "InferenceBenchmarks", dependencies: ["NTT", "CKKS", "NN", "PrivateInference"],
            path: "Benchmarks/InferenceBenchmarks", swiftSettings: releaseCMO),
    ]
)

// libFuzzer harnesses (Fuzz/README.md, Fuzz/run.sh): declared only when PRIVDNN_FUZZ=1, so that normal builds and
// `swift test` never compile them. Build them alone, into their own build path, with every module instrumented:
//   PRIVDNN_FUZZ=1 swift build -c release --build-path .build-fuzz --product privdnn-fuzz \
//       -Xswiftc -sanitize=fuzzer,address
if Context.environment["PRIVDNN_FUZZ"] == "1" {
    package.products.append(.executable(name: "privdnn-fuzz", targets: ["PrivDNNFuzz"]))
    package.targets += [
        .systemLibrary(name: "CLibFuzzer", path: "Fuzz/CLibFuzzer"),
        .executableTarget(
            name: "PrivDNNFuzz", dependencies: ["CKKS", "NN", "PrivateInference", "CLibFuzzer"],
            path: "Fuzz/Harnesses", swiftSettings: [.swiftLanguageMode(.v5)]),
    ]
}
