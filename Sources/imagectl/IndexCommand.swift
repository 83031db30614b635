import ArgumentParser
import Foundation
import OCI
import Publish
import Registry
import Release
import Export
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
                guard !sources.isEmpty else { throw ValidationError("give the images to merge") }
                let refs = try sources.map { try Reference(parsing: $0) }
                var annotations: [String: String] = [:]
                for a in annotation {
                    guard let eq = a.firstIndex(of: "="), eq != a.startIndex else { throw ValidationError("--annotation \(a): expected KEY=VALUE") }
                    annotations[String(a[..<eq])] = String(a[a.index(after: eq)...])
                }
                let names = try tag.map { try Reference(parsing: $0) }
                let repository = try target.repository.map { try Reference(parsing: $0, defaultTag: false) }
                guard let first = names.first ?? repository else {
                    throw ValidationError("name the index with -t REGISTRY/NAME:TAG or --repository")
                }
                guard names.allSatisfy({ $0.registry == first.registry && $0.repository == first.repository }) else {
                    throw ValidationError("every -t must name the same repository")
                }
                let store = try Store(root: Store.defaultRoot())
                defer { store.close() }
                let registries = try registryFlags.registries()
                let index = try registries.createIndex(refs, annotations: annotations, store: store)
                var t = target
                t.repository = first.registry + "/" + first.repository
                let flow = PushFlow(registries: registries, store: store, target: t, progress: "plain", jobs: registryFlags.jobs)
                let r = try flow.push(index, name: first, extraTags: names.compactMap(\.tag))
                PushFlow.finish(r, json: false)
            }
        }
    }
}
