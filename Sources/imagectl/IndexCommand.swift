import ArgumentParser
import Foundation
import OCI
import Pipeline
import Publish
import Registry
import Release
import Sinks
import Store

struct IndexCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "index", abstract: "Work with image indexes in a registry.", subcommands: [Create.self])

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "create",
            abstract: "Merge images pushed by digest (one per runner) into one multi-platform index and tag it.",
            discussion: """
            As docker buildx imagetools create:
              imagectl index create -t ghcr.io/acme/model:main ghcr.io/acme/model@sha256:A ghcr.io/acme/model@sha256:B
            """)

        @Option(name: .shortAndLong, help: "The index's name, REGISTRY/NAME:TAG (repeatable; one repository).")
        var tag: [String] = []

        @Argument(help: "The images to merge: REGISTRY/NAME@DIGEST (or :TAG); an index contributes its manifests.")
        var sources: [String]

        @Option(help: "An index annotation, KEY=VALUE. Repeatable.")
        var annotation: [String] = []

        @OptionGroup var target: PushTargetFlags
        @OptionGroup var registryFlags: RegistryFlags

        func run() throws {
            try guarded {
                let refs = try sources.map { try Reference(parsing: $0) }
                var annotations: [String: String] = [:]
                for a in annotation {
                    guard let eq = a.firstIndex(of: "="), eq != a.startIndex else { throw ValidationError("--annotation \(a): expected KEY=VALUE") }
                    annotations[String(a[..<eq])] = String(a[a.index(after: eq)...])
                }
                let display = PushDisplay(mode: "plain")
                let r = try Pipeline.createIndex(refs, names: try tag.map { try Reference(parsing: $0) }, annotations: annotations,
                                                 target: target.target, storeRoot: Store.defaultRoot(), registries: try registryFlags.registries(),
                                                 jobs: registryFlags.jobs) { display.handle($0) }
                printPush(r, json: false)
            }
        }
    }
}
