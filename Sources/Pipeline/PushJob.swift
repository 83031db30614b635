import Foundation
import OCI
import Publish
import Registry
import Release
import Store

/// Where a push goes and under which tags: `--repository`, `--tag`, `--tags-from-git`, `--by-digest`.
public struct PushTarget: Sendable {
    /// Push here (REGISTRY/NAME) instead of the image's own name.
    public var repository: String?
    /// Add the tags docker/metadata-action computes from git.
    public var tagsFromGit = false
    public var defaultBranch: String?
    /// Push without any tag (one runner's platform, for `index create` to merge).
    public var byDigest = false
    /// The git repository tags come from: the build context, or the working directory for push.
    public var directory = FileManager.default.currentDirectoryPath

    public init(repository: String? = nil, tagsFromGit: Bool = false, defaultBranch: String? = nil) {
        self.repository = repository
        self.tagsFromGit = tagsFromGit
        self.defaultBranch = defaultBranch
    }
}

/// What one push did, to which repository.
public struct PushOutcome: Sendable {
    public var repository: Reference
    public var summary: PushSummary
}

extension Pipeline {
    /// Pushes an image of the store under the tags `target` and `extraTags` give (blobs, manifests,
    /// then tags, as `Pusher` orders them).
    public static func push(_ image: Descriptor, name: Reference, extraTags: [String], target: PushTarget, store: Store,
                            registries: Registries, jobs: Int, observe: @escaping @Sendable (PushEvent) -> Void) throws -> PushOutcome {
        var destination = name
        if let repo = target.repository { destination = try Reference(parsing: repo, defaultTag: false) }
        var tags = extraTags
        for t in tags where !t.isEmpty {
            _ = try Reference(parsing: "x:" + t)
        }
        if target.tagsFromGit {
            let env = ProcessInfo.processInfo.environment
            let git = try GitContext.current(environment: env, directory: target.directory, defaultBranch: target.defaultBranch)
            let fromGit = try git.tags(shortShaLength: try GitContext.shortShaLength(env))
            if fromGit.isEmpty {
                throw ReleaseError("no tags from git for \(git.ref) (tags come from a branch; pull requests, tags and a detached HEAD give none): nothing to push")
            }
            tags += fromGit
        }
        if tags.isEmpty, let t = destination.tag ?? name.tag { tags = [t] }
        if target.byDigest { tags = [] } else if tags.isEmpty {
            throw PipelineError("no tag to push: give --tag, --tags-from-git, or a name with :TAG")
        }
        var seen = Set<String>()
        tags = tags.filter { seen.insert($0).inserted }
        let pusher = Pusher(registries: registries, store: store, jobs: jobs, report: observe)
        let summary = try pusher.push(image, registry: destination.registry, repository: destination.repository, tags: tags)
        return PushOutcome(repository: destination, summary: summary)
    }

    /// `imagectl push NAME`: the image the store names, pushed. `oci:DIR[:TAG]` or
    /// `oci-archive:FILE[:TAG]` pushes an OCI layout instead (read into the store first, every
    /// blob checked), to `--repository`, under `--tag` or else the layout's own tag.
    public static func push(named name: String, extraTags: [String], target: PushTarget, storeRoot: String, registries: Registries,
                            jobs: Int, observe: @escaping @Sendable (PushEvent) -> Void) throws -> PushOutcome {
        let store = try Store(root: storeRoot)
        defer { store.close() }
        if let layout = ["oci:", "oci-archive:"].first(where: name.hasPrefix) {
            guard let repository = target.repository else {
                throw PipelineError("push \(name): an OCI layout has no repository of its own: give --repository REGISTRY/NAME")
            }
            let image = try ImageLocator.resolve(name, store: store, registries: registries)
            var destination = try Reference(parsing: repository, defaultTag: false)
            let rest = name.dropFirst(layout.count)
            if destination.tag == nil, let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("/") {
                let tag = String(rest[rest.index(after: colon)...])
                _ = try Reference(parsing: "x:" + tag)
                destination.tag = tag
            }
            return try push(image, name: destination, extraTags: extraTags, target: target, store: store, registries: registries,
                            jobs: jobs, observe: observe)
        }
        let source = try Reference(parsing: name)
        let image = try store.image(named: source.familiar)
        return try push(image, name: source, extraTags: extraTags, target: target, store: store, registries: registries, jobs: jobs, observe: observe)
    }

    /// `imagectl tag`: points tags at an image already in the registry, mounting its blobs.
    public static func retag(_ source: Reference, to destinations: [Reference], storeRoot: String, registries: Registries) throws -> Descriptor {
        let store = try Store(root: storeRoot)
        defer { store.close() }
        return try registries.retag(source, to: destinations, store: store)
    }

    /// What `rollback` found and did.
    public struct Rollback: Sendable {
        public var picked: String
        public var matches: [String]
        public var digest: Digest
    }

    /// `imagectl rollback`: points `tag` back at the build of commit `sha` (its BRANCH-SHA tag).
    public static func rollback(_ repo: Reference, to sha: String, tag: String, storeRoot: String, registries: Registries,
                                note: (String) -> Void = { _ in }) throws -> Rollback {
        let commit = sha.lowercased()
        guard commit.count >= 4, commit.allSatisfy(\.isHexDigit) else { throw PipelineError("--to takes a commit SHA (at least 4 hex digits)") }
        let tags = try registries.client(repo.registry).tags(repo.repository)
        // Builds are tagged BRANCH-SHA7 (or a longer SHA): match on the SHA part.
        let matches = tags.filter { t in
            guard let dash = t.lastIndex(of: "-") else { return false }
            let part = t[t.index(after: dash)...].lowercased()
            return !part.isEmpty && (commit.hasPrefix(part) || part.hasPrefix(commit))
        }.sorted()
        guard let pick = matches.first else {
            throw PipelineError("\(repo.registry)/\(repo.repository) has no tag for commit \(sha) (tags: \(tags.sorted().prefix(10).joined(separator: ", ")))")
        }
        // Said before the tag moves, so a failed retag still shows which build was meant.
        if matches.count > 1 { note("several builds match \(sha) (\(matches.joined(separator: ", "))); using \(pick)") }
        var src = repo
        src.tag = pick
        var dst = repo
        dst.tag = tag
        let top = try retag(src, to: [dst], storeRoot: storeRoot, registries: registries)
        return Rollback(picked: pick, matches: matches, digest: top.digest)
    }

    /// `imagectl index create`: merges images pushed by digest into one index and pushes it.
    public static func createIndex(_ sources: [Reference], names: [Reference], annotations: [String: String], target: PushTarget,
                                   storeRoot: String, registries: Registries, jobs: Int,
                                   observe: @escaping @Sendable (PushEvent) -> Void) throws -> PushOutcome {
        guard !sources.isEmpty else { throw PipelineError("give the images to merge") }
        let repository = try target.repository.map { try Reference(parsing: $0, defaultTag: false) }
        guard let first = names.first ?? repository else {
            throw PipelineError("name the index with -t REGISTRY/NAME:TAG or --repository")
        }
        guard names.allSatisfy({ $0.registry == first.registry && $0.repository == first.repository }) else {
            throw PipelineError("every -t must name the same repository")
        }
        let store = try Store(root: storeRoot)
        defer { store.close() }
        let index = try registries.createIndex(sources, annotations: annotations, store: store)
        var t = target
        t.repository = first.registry + "/" + first.repository
        return try push(index, name: first, extraTags: names.compactMap(\.tag), target: t, store: store, registries: registries,
                        jobs: jobs, observe: observe)
    }
}
