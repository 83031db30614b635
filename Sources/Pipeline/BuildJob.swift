import Build
import Foundation
import OCI
import Publish
import Registry
import Release
import Sinks
import Store

/// A build and everything that follows it in one CI step, as `imagectl build` flags describe it.
public struct BuildJob: Sendable {
    public var options: BuildOptions
    /// `-t` names and `type=registry,name=` outputs: the store names, and where a push goes.
    public var names: [Reference] = []
    /// Names of `type=image` outputs that do not push: the store's only.
    public var storeNames: [Reference] = []
    /// Local outputs (`type=oci`, `type=docker`, `--load`, `type=local`, `type=tar`).
    public var outputs: [OutputSpec] = []
    /// Push after the build (`--push`, `--by-digest`, `type=registry`).
    public var push = false
    /// `oci-mediatypes=` of the outputs that push; nil leaves OCI's types.
    public var pushOCIMediaTypes: Bool?
    public var target = PushTarget()
    public var cacheFrom: [Reference] = []
    public var cacheTo: Reference?
    public var storeRoot: String
    public var iidfile: ResultFile?
    public var metadataFile: ResultFile?
    public var jobs = 4

    public init(options: BuildOptions, storeRoot: String) {
        self.options = options
        self.storeRoot = storeRoot
    }

    /// Whether the image this build reports (its digest, its names in the store, the metadata
    /// file) has OCI's media types: that is the pushed image's form when it pushes, else the first
    /// image output's, else OCI's.
    var reportsOCIMediaTypes: Bool {
        if push { return pushOCIMediaTypes ?? true }
        return outputs.first { $0.kind == .oci || $0.kind == .docker }?.ociMediaTypes ?? true
    }

    /// Whether anything asks for Docker's media types.
    var wantsDockerMediaTypes: Bool { (push && pushOCIMediaTypes == false) || outputs.contains { $0.ociMediaTypes == false } }
}

/// What a build job came to.
public struct BuildOutcome {
    public var result: BuildResult
    public var pushes: [PushOutcome] = []
    /// The config digest of a single-platform image: the image ID Docker would show.
    public var configDigest: Digest?
    public var seconds = 0.0
    /// Kept alive until the process exits: freeing a large context's file list costs a noticeable
    /// part of an unchanged rebuild.
    public var builder: Builder
}

extension Pipeline {
    public static func build(_ job: BuildJob, registries: Registries, observe: Observers) throws -> BuildOutcome {
        // Checked before anything runs: a path that cannot be written must not fail the job after
        // its push has moved the tags.
        try job.iidfile?.check()
        try job.metadataFile?.check()
        if job.push, job.names.isEmpty, job.target.repository == nil {
            throw PipelineError("--push needs a destination: -t REGISTRY/NAME:TAG or --repository REGISTRY/NAME")
        }
        var options = job.options
        if case .zstd = options.compression, job.wantsDockerMediaTypes {
            // As BuildKit refuses it, before anything is built: Docker has no media type for zstd.
            throw PipelineError("compression zstd has no Docker media type, and oci-mediatypes=false asks for Docker's: use gzip, or leave oci-mediatypes at true")
        }
        if job.push, job.target.tagsFromGit { try addGitLabels(&options, job.target) }
        let store = try Store(root: job.storeRoot)
        defer { store.close() }
        let started = Date()
        for ref in job.cacheFrom {
            let n = try RegistryCache.import(ref, store: store, registries: registries)
            observe.note("cache: \(n) layer record(s) from \(ref)")
        }
        let builder = try Builder(options: options, store: store, registries: registries, report: observe.layer,
                                  stepOutput: observe.stepOutput)
        let built = try builder.build()
        // Outputs take the image as built, with OCI's types, and each rewrites it as it asks; the
        // names, the push and the digests reported are of one form, the push's when there is one.
        var result = built
        if !job.reportsOCIMediaTypes {
            result.descriptor = try store.withDockerMediaTypes(built.descriptor, name: "the built image")
            result.manifests = try ImageView(result.descriptor, source: store, name: "the built image").manifests()
        }
        for name in job.names + job.storeNames { try store.tag(name.familiar, result.descriptor) }
        let sinks = job.outputs.compactMap { $0.sink(note: observe.note) }
        if !sinks.isEmpty { _ = try registries.fetchMissing(built.descriptor, store: store) }
        for sink in sinks { try sink.write(built.descriptor, from: store, names: job.names) }
        if let destination = job.cacheTo {
            let d = try RegistryCache.export(result.layerKeys, to: destination, store: store, registries: registries)
            observe.note("cache: \(result.layerKeys.count) layer record(s) to \(destination) (\(d.digest.hex.prefix(12)))")
        }
        var outcome = BuildOutcome(result: result, builder: builder)
        if job.push {
            for (repo, tags) in try pushDestinations(job) {
                GitHubActions().group("push \(repo.registry)/\(repo.repository)")
                defer { GitHubActions().endGroup() }
                var target = job.target
                target.repository = repo.registry + "/" + repo.repository
                target.directory = options.context
                let r = try push(result.descriptor, name: repo, extraTags: tags, target: target, store: store, registries: registries,
                                 jobs: job.jobs, observe: observe.push)
                outcome.pushes.append(r)
                observe.note("pushed \(r.summary.pushed), skipped \(r.summary.skipped), mounted \(r.summary.mounted) blob(s) to \(target.repository!) as \(r.summary.tags.joined(separator: ", "))")
            }
        }
        let view = ImageView(result.descriptor, source: store, name: "the built image")
        outcome.configDigest = result.manifests.count == 1 ? try view.manifest(result.manifests[0]).config.digest : nil
        try job.iidfile?.write(Data((outcome.configDigest ?? result.descriptor.digest).description.utf8))
        let metadata = try BuildMetadata.json(result: result, configDigest: outcome.configDigest, names: job.names)
        try job.metadataFile?.write(metadata)
        outcome.seconds = Date().timeIntervalSince(started)
        let pushedTags = outcome.pushes.flatMap { p in p.summary.tags.map { "\(p.repository.registry)/\(p.repository.repository):\($0)" } }
        try BuildMetadata.reportToGitHub(outcome, view: view, metadata: metadata,
                                         tags: pushedTags.isEmpty ? job.names.map(\.description) : pushedTags)
        return outcome
    }

    /// One push per repository, each name's tag going with it; `--repository` takes every tag.
    static func pushDestinations(_ job: BuildJob) throws -> [(Reference, [String])] {
        if let repository = job.target.repository {
            return [(try Reference(parsing: repository, defaultTag: false), job.names.compactMap(\.tag))]
        }
        var byRepo: [(Reference, [String])] = []
        for ref in job.names {
            if let i = byRepo.firstIndex(where: { $0.0.registry == ref.registry && $0.0.repository == ref.repository }) {
                byRepo[i].1 += ref.tag.map { [$0] } ?? []
            } else {
                byRepo.append((ref, ref.tag.map { [$0] } ?? []))
            }
        }
        return byRepo
    }

    /// The OCI labels docker/metadata-action sets, from the same git context as the tags.
    static func addGitLabels(_ options: inout BuildOptions, _ target: PushTarget) throws {
        let env = ProcessInfo.processInfo.environment
        let git = try GitContext.current(environment: env, directory: options.context, defaultBranch: target.defaultBranch)
        let epoch = env["SOURCE_DATE_EPOCH"] != nil ? options.epoch : (git.commitTime ?? options.epoch)
        options.created = epoch
        let created = Timestamp.rfc3339(epoch)
        for (k, v) in git.labels(version: try git.tags(shortShaLength: try GitContext.shortShaLength(env)).first, created: created)
        where options.labels[k] == nil {
            options.labels[k] = v
        }
    }
}
