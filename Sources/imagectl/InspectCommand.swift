import ArgumentParser
import Foundation
import Export
import OCI
import Registry
import Store

struct InspectCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspect",
        abstract: "Show an image's platforms, digests, sizes, layers, labels, created time and base.",
        discussion: "The image is a name in the store, a registry reference, an OCI layout directory (DIR[:TAG]) or a docker-archive/OCI tar.")

    @Argument(help: "NAME[:TAG] in the store, REGISTRY/NAME:TAG, oci-layout DIR[:TAG], or FILE.tar.")
    var image: String

    @Option(help: "Output: table or json.")
    var format: String = "table"

    @OptionGroup var registryFlags: RegistryFlags

    func run() throws {
        try guarded {
            guard ["table", "json"].contains(format) else { throw ValidationError("--format must be table or json") }
            let store = try Store(root: Store.defaultRoot())
            defer { store.close() }
            let top = try ImageLocator.resolve(image, store: store, registries: try registryFlags.registries())
            let report = try ImageReport(store: store, top: top)
            print(format == "json" ? report.json() : report.table())
        }
    }
}

struct DigestCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "digest", abstract: "Print the digest a reference resolves to.")

    @Argument(help: "REGISTRY/NAME:TAG, or a name in the store.")
    var image: String

    @OptionGroup var registryFlags: RegistryFlags

    func run() throws {
        try guarded {
            let store = try Store(root: Store.defaultRoot())
            defer { store.close() }
            if !Reference.namesRegistry(image), let local = try? store.image(named: try Reference(parsing: image).familiar) {
                print(local.digest)
                return
            }
            let ref = try Reference(parsing: image)
            let client = try registryFlags.registries().client(ref.registry)
            guard let d = try client.headManifest(ref.repository, ref.digest?.description ?? ref.tag ?? "latest") else {
                throw RegistryError.notFound(ref.description)
            }
            print(d.digest)
        }
    }
}

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ls", abstract: "List a repository's tags.")

    @Argument(help: "REGISTRY/NAME.")
    var repository: String

    @OptionGroup var registryFlags: RegistryFlags

    func run() throws {
        try guarded {
            let ref = try Reference(parsing: repository, defaultTag: false)
            for t in try registryFlags.registries().client(ref.registry).tags(ref.repository).sorted() { print(t) }
        }
    }
}
