import ArgumentParser
import Foundation
import OCI
import Pipeline
import Publish
import Registry
import Store

struct TagCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tag",
        abstract: "Point one or more tags at an image already in the registry, without moving layers.",
        discussion: """
        Promote: imagectl tag ghcr.io/acme/model:main-1a2b3c4 ghcr.io/acme/model:staging
        Blobs are mounted across repositories of the same registry; only manifests are copied.
        """)

    @Argument(help: "The image: REGISTRY/NAME:TAG or REGISTRY/NAME@DIGEST.")
    var source: String

    @Argument(help: "The tags to set: REGISTRY/NAME:TAG, or just TAG for the source's repository.")
    var destinations: [String]

    @OptionGroup var registryFlags: RegistryFlags

    func run() throws {
        try guarded {
            let src = try Reference(parsing: source)
            let dsts = try destinations.map { d -> Reference in
                if !d.contains("/"), !d.contains(":") {
                    var r = src
                    r.digest = nil
                    r.tag = try Reference(parsing: "x:" + d).tag
                    return r
                }
                return try Reference(parsing: d)
            }
            guard !dsts.isEmpty else { throw ValidationError("give at least one destination tag") }
            let top = try Pipeline.retag(src, to: dsts, storeRoot: Store.defaultRoot(), registries: try registryFlags.registries())
            for d in dsts { standardError("tagged \(d.registry)/\(d.repository):\(d.tag ?? "") -> \(top.digest)") }
            print(top.digest)
        }
    }
}

struct RollbackCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Point a tag (staging by default) back at the build of an earlier commit.",
        discussion: "imagectl rollback ghcr.io/acme/model --to 1a2b3c4   # staging -> the tag ending in -1a2b3c4")

    @Argument(help: "The repository: REGISTRY/NAME.")
    var repository: String

    @Option(help: "The commit (full or short SHA) whose build to go back to.")
    var to: String

    @Option(help: "The tag to move.")
    var tag: String = "staging"

    @OptionGroup var registryFlags: RegistryFlags

    func run() throws {
        try guarded {
            let repo = try Reference(parsing: repository, defaultTag: false)
            let r = try Pipeline.rollback(repo, to: to, tag: tag, storeRoot: Store.defaultRoot(), registries: try registryFlags.registries()) {
                standardError($0)
            }
            standardError("\(repo.registry)/\(repo.repository):\(tag) -> \(r.picked) (\(r.digest))")
            print(r.digest)
        }
    }
}
