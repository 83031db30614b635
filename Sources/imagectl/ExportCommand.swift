import ArgumentParser
import Export
import Foundation
import OCI
import Publish
import Registry
import Store

struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Write an image from the store or a registry as a docker-load tarball or an OCI layout.")

    @Argument(help: "NAME[:TAG] in the store, or REGISTRY/NAME:TAG.")
    var image: String

    @Option(name: .shortAndLong, help: "type=docker,dest=FILE.tar[,platform=P] or type=oci,dest=DIR|FILE.tar")
    var output: String

    @OptionGroup var registryFlags: RegistryFlags

    func run() throws {
        try guarded {
            let spec = try OutputSpec(parsing: output)
            guard spec.kind != .registry else { throw ValidationError("export writes files; to copy to a registry use imagectl push or tag") }
            let store = try Store(root: Store.defaultRoot())
            defer { store.close() }
            let registries = try registryFlags.registries()
            let top = try ImageLocator.resolve(image, store: store, registries: registries, layers: true)
            _ = try registries.fetchMissing(top, store: store)
            let names = (try? Reference(parsing: image)).map { [$0] } ?? []
            try ImageExport(store: store, image: top).write(spec, names: names)
            print(top.digest)
        }
    }
}
