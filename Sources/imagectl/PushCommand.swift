import ArgumentParser
import Foundation
import OCI
import Pipeline
import Publish
import Registry
import Release
import Store

struct PushCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "push",
        abstract: "Push an image from the store to a registry: blobs, manifests, then tags.",
        discussion: """
        Examples:
          imagectl push ghcr.io/acme/model:dev
          imagectl push hello:dev --repository 127.0.0.1:5000/hello --tags-from-git
          imagectl push oci:out/base:bookworm --repository 127.0.0.1:5000/base
        The image digest is printed last on stdout.
        """)

    @Argument(help: "The image's name in the store (as given to build -t), or oci:DIR[:TAG] / oci-archive:FILE[:TAG] with --repository.")
    var name: String

    @Option(name: .customLong("tag"), help: "Push under this tag (repeatable); default: the name's own tag.")
    var tags: [String] = []

    @OptionGroup var target: PushTargetFlags
    @OptionGroup var registryFlags: RegistryFlags

    @Option(help: "Output: text or json.")
    var format: String = "text"

    @Option(help: "Progress output: auto (live on a terminal), plain or quiet.")
    var progress: String = "auto"

    func run() throws {
        try guarded {
            guard ["text", "json"].contains(format) else { throw ValidationError("--format must be text or json") }
            let registries = try registryFlags.registries()
            let display = PushDisplay(mode: format == "json" ? "quiet" : progress == "auto" && registries.options.trace != nil ? "plain" : progress)
            let outcome = try Pipeline.push(named: name, extraTags: tags, target: target.target, storeRoot: Store.defaultRoot(),
                                            registries: registries, jobs: registryFlags.jobs) { display.handle($0) }
            printPush(outcome, json: format == "json")
        }
    }
}

/// A push's result: a line on stderr and REPO@DIGEST on stdout, or one JSON object.
func printPush(_ r: PushOutcome, json: Bool) {
    let s = r.summary
    let repo = r.repository.registry + "/" + r.repository.repository
    if json {
        let out: [String: Any] = [
            "repository": repo, "digest": s.digest.description, "tags": s.tags, "pushed": s.pushed, "skipped": s.skipped,
            "mounted": s.mounted, "bytes": s.bytes, "seconds": (s.seconds * 1000).rounded() / 1000, "retries": s.retries,
        ]
        let data = (try? JSONSerialization.data(withJSONObject: out, options: [.sortedKeys])) ?? Data()
        print(String(decoding: data, as: UTF8.self))
        return
    }
    standardError("pushed \(s.pushed), skipped \(s.skipped), mounted \(s.mounted) blob(s), \(formatBytes(s.bytes)) in \(String(format: "%.2f", s.seconds))s: \(s.tags.map { repo + ":" + $0 }.joined(separator: ", "))")
    print("\(repo)@\(s.digest)")
}

struct TagsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tags", abstract: "Print the tags --tags-from-git would push, one per line, without pushing.")

    @Flag(name: .customLong("from-git"), help: "Compute tags from git (required).")
    var fromGit = false

    @Option(help: "Print them as REPOSITORY:TAG.")
    var repository: String?

    @Option(name: .customLong("default-branch"), help: "The default branch, when neither GitHub's event nor origin/HEAD tells it.")
    var defaultBranch: String?

    func run() throws {
        try guarded {
            guard fromGit else { throw ValidationError("only --from-git is supported") }
            let tags = try Pipeline.gitTags(defaultBranch: defaultBranch)
            let prefix = try repository.map { try Reference(parsing: $0, defaultTag: false) }.map { $0.registry + "/" + $0.repository + ":" } ?? ""
            for t in tags { print(prefix + t) }
        }
    }
}
