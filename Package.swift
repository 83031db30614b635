// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "imagectl",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "imagectl", targets: ["imagectl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CArchive", pkgConfig: "libarchive", providers: [.apt(["libarchive-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // Parallel layer compression: libdeflate and libzstd compress independent chunks on every core.
        // Starting helper programs that die with imagectl (fork, prctl, exec): no library, one header.
        .systemLibrary(name: "CProcess"),
        .systemLibrary(name: "CCompress", pkgConfig: "libzstd", providers: [.apt(["libdeflate-dev", "libzstd-dev"])]),
        .target(name: "OCI", dependencies: ["CCrypto"]),
        .target(name: "Layers", dependencies: ["OCI", "CArchive", "CCompress"]),
        .target(name: "Store", dependencies: ["OCI"]),
        // A stage's filesystem: what its layers hold, stacked, for COPY's rules, --chown and WORKDIR.
        .target(name: "Rootfs", dependencies: ["OCI", "Layers", "Processes", "CArchive"]),
        .target(name: "Registry", dependencies: ["OCI", "CCurl", "CProcess"]),
        // Moving images between the store and registries: the registry client knows nothing of the store.
        .target(name: "Publish", dependencies: ["OCI", "Store", "Registry"]),
        .target(name: "Build", dependencies: ["OCI", "Layers", "Rootfs", "Runtime", "Store", "Registry", "Publish", "Processes"]),
        // Programs imagectl starts and waits for (loaders, the OCI runtime), dying with it.
        .target(name: "Processes", dependencies: ["CProcess"]),
        // Running one build step: an OCI runtime spec, runc or crun as a child process, qemu for others.
        .target(name: "Runtime", dependencies: ["OCI", "Processes"]),
        .target(name: "Sinks", dependencies: ["OCI", "Layers", "Rootfs", "Store", "CArchive", "CProcess", "Processes"]),
        .target(name: "Release", dependencies: ["OCI"]),
        // The whole job as library calls: the command line is flags, one call, print.
        .target(name: "Pipeline", dependencies: ["OCI", "Layers", "Store", "Registry", "Publish", "Build", "Runtime", "Sinks", "Release"]),
        .executableTarget(name: "imagectl", dependencies: [
            "OCI", "Layers", "Store", "Build", "Sinks", "Registry", "Publish", "Release", "Pipeline", "CProcess", "Processes",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "OCITests", dependencies: ["OCI"]),
        .testTarget(name: "RootfsTests", dependencies: ["Rootfs", "Layers", "OCI", "CArchive", "TestSupport"]),
        .testTarget(name: "LayersTests", dependencies: ["Layers", "OCI", "TestSupport"]),
        .testTarget(name: "StoreTests", dependencies: ["Store", "OCI", "TestSupport"]),
        .testTarget(name: "BuildTests", dependencies: ["Build", "Store", "OCI", "Layers", "TestSupport"]),
        .testTarget(name: "RegistryTests", dependencies: ["Registry", "OCI", "TestSupport"]),
        .testTarget(name: "ReleaseTests", dependencies: ["Release", "TestSupport"]),
        .testTarget(name: "ProcessesTests", dependencies: ["Processes", "TestSupport"]),
        .testTarget(name: "IntegrationTests", dependencies: ["OCI", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
