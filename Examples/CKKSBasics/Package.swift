// swift-tools-version: 6.2
import PackageDescription

// A consumer of the CKKS library, as an app would depend on it: by path here, by URL elsewhere. It must build with
// the public API alone (no @testable, no package access), which is what .ci/run checks by building and running it.
let package = Package(
    name: "CKKSBasics",
    dependencies: [.package(name: "PrivDNN", path: "../..")],
    targets: [
        .executableTarget(name: "CKKSBasics", dependencies: [.product(name: "CKKS", package: "PrivDNN")])
    ]
)
