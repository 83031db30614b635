import ArgumentParser
import Foundation
import OCI
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
        The image digest is printed last on stdout.
        """)

    @Argument(help: "The image's name in the store (as given to build -t).")
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
            let store = try Store(root: Store.defaultRoot())
            defer { store.close() }
            let source = try Reference(parsing: name)
            let image = try store.image(named: source.familiar)
            let registries = try registryFlags.registries()
            let flow = PushFlow(registries: registries, store: store, target: target, progress: format == "json" ? "quiet" : progress,
                                jobs: registryFlags.jobs)
            let summary = try flow.push(image, name: source, extraTags: tags)
            PushFlow.finish(summary, json: format == "json")
        }
    }
}

/// The glue between a built image and `Pusher`: destination, tags, progress lines.
struct PushFlow {
    let registries: Registries
    let store: Store
    let target: PushTargetFlags
    /// --progress: auto, plain, quiet (or tty).
    let progress: String
    /// --jobs: blobs transferred at once.
    let jobs: Int
    /// Push without any tag (one runner's platform, for `index create` to merge).
    var byDigest = false
    /// The git repository tags come from: the build context, or the working directory for push.
    var directory = FileManager.default.currentDirectoryPath

    struct Result {
        var repository: Reference
        var summary: PushSummary
    }

    func push(_ image: Descriptor, name: Reference, extraTags: [String]) throws -> Result {
        var destination = name
        if let repo = target.repository { destination = try Reference(parsing: repo, defaultTag: false) }
        var tags = extraTags
        for t in tags where !t.isEmpty {
            _ = try Reference(parsing: "x:" + t)
        }
        if target.tagsFromGit {
            let env = ProcessInfo.processInfo.environment
            let git = try GitContext.current(environment: env, directory: directory, defaultBranch: target.defaultBranch)
            let fromGit = git.tags(shortShaLength: try GitContext.shortShaLength(env))
            if fromGit.isEmpty {
                throw ReleaseError("no tags from git for \(git.ref) (tags come from a branch; pull requests, tags and a detached HEAD give none): nothing to push")
            }
            tags += fromGit
        }
        if tags.isEmpty, let t = destination.tag ?? name.tag { tags = [t] }
        if byDigest { tags = [] } else if tags.isEmpty {
            throw ValidationError("no tag to push: give --tag, --tags-from-git, or a name with :TAG")
        }
        var seen = Set<String>()
        tags = tags.filter { seen.insert($0).inserted }
        // A live block redrawn in place would tear the --verbose trace lines apart.
        let display = PushDisplay(mode: progress == "auto" && registries.options.trace != nil ? "plain" : progress)
        let pusher = Pusher(registries: registries, store: store, jobs: jobs) { display.handle($0) }
        let summary = try pusher.push(image, registry: destination.registry, repository: destination.repository, tags: tags)
        return Result(repository: destination, summary: summary)
    }

    static func finish(_ r: Result, json: Bool) {
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
            let env = ProcessInfo.processInfo.environment
            let git = try GitContext.current(environment: env, defaultBranch: defaultBranch)
            let tags = git.tags(shortShaLength: try GitContext.shortShaLength(env))
            guard !tags.isEmpty else { throw ReleaseError("no tags from git for \(git.ref): tags come from a branch") }
            let prefix = try repository.map { try Reference(parsing: $0, defaultTag: false) }.map { $0.registry + "/" + $0.repository + ":" } ?? ""
            for t in tags { print(prefix + t) }
        }
    }
}
