import ArgumentParser
import Build
import Export
import Foundation
import Layers
import OCI
import Publish
import Registry
import Release
import Store

struct BuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Build an image for one or more platforms from a Containerfile.",
        discussion: """
        Examples:
          imagectl build -t hello:dev .
          imagectl build --platform linux/amd64,linux/arm64 -t hello:1.0 --output type=oci,dest=hello.tar Fixtures/hello
          imagectl build --output type=docker,dest=hello.tar -t hello:1.0 .   # then: docker load -i hello.tar
        The image digest is printed last on stdout; progress goes to stderr.
        """
    )

    @Argument(help: "The build context directory.")
    var context: String = "."

    @Option(name: .shortAndLong, help: "The Containerfile (default: CONTEXT/Containerfile, then CONTEXT/Dockerfile).")
    var file: String?

    @Option(name: .shortAndLong, help: "Name the image in the store, as NAME[:TAG]. Repeatable.")
    var tag: [String] = []

    @Option(help: "Target platforms, comma-separated, as linux/amd64,linux/arm64 (default: this machine's).")
    var platform: [String] = []

    @Option(name: .customLong("build-arg"), help: "Set a build-time variable, KEY=VALUE. Repeatable.")
    var buildArgs: [String] = []

    @Option(help: "Set an image label, KEY=VALUE. Repeatable.")
    var label: [String] = []

    @Option(name: .shortAndLong, help: "Write the image: type=oci,dest=DIR|FILE.tar or type=docker,dest=FILE.tar[,platform=P].")
    var output: [String] = []

    @Option(help: "Layer compression: gzip or zstd, with an optional level (gzip,level=9).")
    var compression: String = "gzip"

    @Flag(name: .customLong("no-cache"), help: "Build every layer again instead of taking it from the cache.")
    var noCache = false

    @Option(help: "Build up to this stage.")
    var target: String?

    @Option(help: "Write the image ID to this file.")
    var iidfile: String?

    @Option(name: .customLong("metadata-file"), help: "Write build results as JSON to this file.")
    var metadataFile: String?

    @Option(help: "Progress output: auto, plain or quiet.")
    var progress: String = "auto"

    @Flag(help: "Push the image to the registry its -t names (or --repository) name; same as --output type=registry.")
    var push = false

    @Option(name: .customLong("by-digest"), help: "Push to this repository without a tag and print REPO@DIGEST (one runner's platform; merge with index create).")
    var byDigest: String?

    @Option(name: .customLong("cache-from"), help: "Import a layer cache: type=registry,ref=REGISTRY/NAME:TAG. Repeatable.")
    var cacheFrom: [String] = []

    @Option(name: .customLong("cache-to"), help: "Export this build's layer cache: type=registry,ref=REGISTRY/NAME:TAG.")
    var cacheTo: String?

    @Option(name: .customLong("cache-dir"), help: "The store and layer cache directory (default $IMAGECTL_HOME); keep it with actions/cache.")
    var cacheDir: String?

    @OptionGroup var pushTarget: PushTargetFlags
    @OptionGroup var registryFlags: RegistryFlags

    func validate() throws {
        guard ["auto", "plain", "quiet", "tty"].contains(progress) else {
            throw ValidationError("--progress must be auto, plain or quiet")
        }
    }

    func run() throws {
        try guarded {
            let resultFiles = (iid: iidfile.map { ResultFile(flag: "--iidfile", path: $0) },
                               metadata: metadataFile.map { ResultFile(flag: "--metadata-file", path: $0) })
            try resultFiles.iid?.check()
            try resultFiles.metadata?.check()
            var options = try buildOptions()
            let outputs = try output.map { try OutputSpec(parsing: $0) }
            var names = try tag.map { t -> (String, Reference) in
                let ref = try Reference(parsing: t)
                return (ref.familiar, ref)
            }
            for spec in outputs where spec.kind == .registry {
                if let n = spec.name { names.append((try Reference(parsing: n).familiar, try Reference(parsing: n))) }
            }
            var pushTarget = self.pushTarget
            if let byDigest { pushTarget.repository = byDigest }
            let pushing = push || byDigest != nil || outputs.contains { $0.kind == .registry }
            if pushing, names.isEmpty, pushTarget.repository == nil {
                throw ValidationError("--push needs a destination: -t REGISTRY/NAME:TAG or --repository REGISTRY/NAME")
            }
            if pushing, pushTarget.tagsFromGit {
                try addGitLabels(&options, pushTarget)
            }
            let store = try Store(root: cacheDir ?? Store.defaultRoot())
            defer { store.close() }
            let registries = try registryFlags.registries()
            let started = Date()
            let cacheSources = try cacheFrom.map { try BuildCommand.cacheRef($0, flag: "--cache-from") }
            let cacheDestination = try cacheTo.map { try BuildCommand.cacheRef($0, flag: "--cache-to") }
            for ref in cacheSources {
                let n = try RegistryCache.import(ref, store: store, registries: registries)
                if progress != "quiet" { standardError("cache: \(n) layer record(s) from \(ref)") }
            }
            let reporter = ProgressReporter(mode: progress)
            let builder = try Builder(options: options, store: store, registries: registries) { reporter.layer($0) }
            let result = try builder.build()
            for (name, _) in names { try store.tag(name, result.descriptor) }
            let local = outputs.filter { $0.kind != .registry }
            if !local.isEmpty { _ = try registries.fetchMissing(result.descriptor, store: store) }
            for spec in local {
                try ImageExport(store: store, image: result.descriptor).write(spec, names: names.map(\.1))
            }
            if let cacheDestination {
                let d = try RegistryCache.export(result.layerKeys, to: cacheDestination, store: store, registries: registries)
                if progress != "quiet" { standardError("cache: \(result.layerKeys.count) layer record(s) to \(cacheDestination) (\(d.digest.hex.prefix(12)))") }
            }
            var pushedTags: [String] = []
            if pushing {
                // One push per repository; each name's tag goes with it.
                var byRepo: [(Reference, [String])] = []
                if pushTarget.repository != nil {
                    byRepo = [(try Reference(parsing: pushTarget.repository!, defaultTag: false), names.compactMap { $0.1.tag })]
                } else {
                    for (_, ref) in names {
                        if let i = byRepo.firstIndex(where: { $0.0.registry == ref.registry && $0.0.repository == ref.repository }) {
                            byRepo[i].1 += ref.tag.map { [$0] } ?? []
                        } else {
                            byRepo.append((ref, ref.tag.map { [$0] } ?? []))
                        }
                    }
                }
                for (repo, tags) in byRepo {
                    GitHubActions().group("push \(repo.registry)/\(repo.repository)")
                    defer { GitHubActions().endGroup() }
                    var t = pushTarget
                    t.repository = repo.registry + "/" + repo.repository
                    var flow = PushFlow(registries: registries, store: store, target: t, progress: progress, jobs: registryFlags.jobs, directory: context)
                    flow.byDigest = byDigest != nil
                    let r = try flow.push(result.descriptor, name: repo, extraTags: tags)
                    pushedTags += r.summary.tags.map { "\(t.repository!):\($0)" }
                    if progress != "quiet" {
                        standardError("pushed \(r.summary.pushed), skipped \(r.summary.skipped), mounted \(r.summary.mounted) blob(s) to \(t.repository!) as \(r.summary.tags.joined(separator: ", "))")
                    }
                }
            }
            let configDigest = try singleConfigDigest(result, store: store)
            try resultFiles.iid?.write(Data((configDigest ?? result.descriptor.digest).description.utf8))
            let metadata = try metadataJSON(result: result, configDigest: configDigest, names: names.map(\.1))
            try resultFiles.metadata?.write(metadata)
            try githubReport(result, store: store, configDigest: configDigest, metadata: metadata,
                             tags: pushedTags.isEmpty ? names.map { $0.1.description } : pushedTags, options: options,
                             seconds: Date().timeIntervalSince(started))
            reporter.summary(result, seconds: Date().timeIntervalSince(started))
            // --by-digest prints what `index create` takes: REPO@DIGEST.
            print(pushTarget.repository.flatMap { repo in byDigest.map { _ in repo + "@" } } ?? "", terminator: "")
            print(result.descriptor.digest)
            store.close()
            // Freeing a large context's file list costs a noticeable part of an unchanged rebuild;
            // the process is done, so leave it to exit.
            withExtendedLifetime(builder) { Foundation.exit(0) }
        }
    }

    /// `type=registry,ref=REF` as buildx spells it, or a bare REF.
    static func cacheRef(_ spec: String, flag: String) throws -> Reference {
        var ref = spec
        if spec.contains("=") {
            var fields: [String: String] = [:]
            for part in spec.split(separator: ",") {
                let kv = part.split(separator: "=", maxSplits: 1).map(String.init)
                guard kv.count == 2 else { throw ValidationError("\(flag) \(spec): expected type=registry,ref=REGISTRY/NAME:TAG") }
                fields[kv[0]] = kv[1]
            }
            guard fields["type"] ?? "registry" == "registry", let r = fields["ref"] else {
                throw ValidationError("\(flag) \(spec): only type=registry,ref=… is supported (for a local cache use --cache-dir)")
            }
            ref = r
        }
        var parsed = try Reference(parsing: ref, defaultTag: false)
        if parsed.tag == nil, parsed.digest == nil { parsed.tag = "buildcache" }
        return parsed
    }

    /// The OCI labels docker/metadata-action sets, from the same git context as the tags.
    func addGitLabels(_ options: inout BuildOptions, _ pushTarget: PushTargetFlags) throws {
        let env = ProcessInfo.processInfo.environment
        let git = try GitContext.current(environment: env, directory: context, defaultBranch: pushTarget.defaultBranch)
        let epoch = env["SOURCE_DATE_EPOCH"] != nil ? options.epoch : (git.commitTime ?? options.epoch)
        options.created = epoch
        let created = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: TimeInterval(epoch)))
        for (k, v) in git.labels(version: git.tags(shortShaLength: try GitContext.shortShaLength(env)).first, created: created)
        where options.labels[k] == nil {
            options.labels[k] = v
        }
    }

    func buildOptions() throws -> BuildOptions {
        var platforms: [Platform] = []
        let named = platform.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        if !platform.isEmpty, named.contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            throw ValidationError("--platform \"\(platform.joined(separator: ","))\": an empty platform; list them as linux/amd64,linux/arm64")
        }
        for p in named {
            let parsed = try Platform(parsing: p.trimmingCharacters(in: .whitespaces))
            if !platforms.contains(parsed) { platforms.append(parsed) }
        }
        func pairs(_ list: [String], _ flag: String) throws -> [String: String] {
            var out: [String: String] = [:]
            for item in list {
                guard let eq = item.firstIndex(of: "="), eq != item.startIndex else {
                    // Docker takes `--build-arg NAME` to mean the value of NAME in the environment.
                    if flag == "--build-arg", let v = ProcessInfo.processInfo.environment[item] { out[item] = v; continue }
                    throw ValidationError("\(flag) \(item): expected KEY=VALUE")
                }
                let key = String(item[..<eq])
                // A build arg is used as ${NAME}; a name that could never be referenced is a typo.
                if flag == "--build-arg", !key.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }) {
                    throw ValidationError("\(flag) \(item.prefix(80)): the name must be letters, digits and _")
                }
                out[key] = String(item[item.index(after: eq)...])
            }
            return out
        }
        return BuildOptions(
            context: context, file: file, platforms: platforms.isEmpty ? [.host] : platforms,
            buildArgs: try pairs(buildArgs, "--build-arg"), labels: try pairs(label, "--label"),
            compression: try Compression(parsing: compression), noCache: noCache,
            epoch: try BuildOptions.epoch(from: ProcessInfo.processInfo.environment), target: target)
    }

    /// The image ID Docker would show: the config digest of a single-platform image.
    func singleConfigDigest(_ result: BuildResult, store: Store) throws -> Digest? {
        guard result.manifests.count == 1 else { return nil }
        let m = try CanonicalJSON.decode(ImageManifest.self, from: try store.readBlob(result.manifests[0].digest))
        return m.config.digest
    }

    /// Step outputs and the job summary, inside GitHub Actions.
    func githubReport(_ result: BuildResult, store: Store, configDigest: Digest?, metadata: Data, tags: [String],
                      options: BuildOptions, seconds: Double) throws {
        let actions = GitHubActions()
        guard actions.isActive else { return }
        var lines: [BuildReport.PlatformLine] = []
        var labels: [String: String] = [:]
        for m in result.manifests {
            let manifest = try CanonicalJSON.decode(ImageManifest.self, from: try store.readBlob(m.digest))
            let config = try CanonicalJSON.decode(ImageConfig.self, from: try store.readBlob(manifest.config.digest))
            labels = config.config.labels ?? [:]
            lines.append(.init(platform: m.platform?.description ?? config.platform.description, digest: m.digest.description,
                               size: manifest.size))
        }
        let built = result.events.filter { $0.outcome == .built }.count
        try BuildReport(digest: result.descriptor.digest.description, imageID: (configDigest ?? result.descriptor.digest).description,
                        metadata: String(decoding: metadata, as: UTF8.self), tags: tags, labels: labels,
                        version: labels["org.opencontainers.image.version"], platforms: lines, layersBuilt: built,
                        layersReused: result.events.count - built, seconds: seconds).write(to: actions)
    }

    /// The keys buildx writes with --metadata-file.
    func metadataJSON(result: BuildResult, configDigest: Digest?, names: [Reference]) throws -> Data {
        var d = result.descriptor
        d.platform = nil
        var meta: [String: AnyEncodable] = [
            "containerimage.digest": AnyEncodable(d.digest.description),
            "containerimage.descriptor": AnyEncodable(d),
        ]
        if let configDigest { meta["containerimage.config.digest"] = AnyEncodable(configDigest.description) }
        if !names.isEmpty { meta["image.name"] = AnyEncodable(names.map(\.description).joined(separator: ",")) }
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try e.encode(meta)
    }
}

struct AnyEncodable: Encodable {
    let encodeValue: (Encoder) throws -> Void
    init<T: Encodable>(_ v: T) { encodeValue = v.encode }
    func encode(to encoder: Encoder) throws { try encodeValue(encoder) }
}
