import ArgumentParser
import Foundation
import Sinks
import OCI
import Pipeline
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
            let report = try Pipeline.inspect(image, storeRoot: Store.defaultRoot(), registries: try registryFlags.registries())
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
            print(try Pipeline.digest(image, storeRoot: Store.defaultRoot(), registries: try registryFlags.registries()))
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
