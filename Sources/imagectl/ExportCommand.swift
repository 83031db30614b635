import ArgumentParser
import Sinks
import Foundation
import OCI
import Pipeline
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
            let top = try Pipeline.export(image, to: try OutputSpec(parsing: output), storeRoot: Store.defaultRoot(),
                                          registries: try registryFlags.registries(), note: { standardError($0) })
            print(top.digest)
        }
    }
}
