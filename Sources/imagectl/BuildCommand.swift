import ArgumentParser
import Build
import Foundation
import Layers
import OCI
import Pipeline
import Sinks
import Store

struct BuildCommand: ParsableCommand, RunsInUserNamespace {
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

    @Option(name: .shortAndLong, help: "The Containerfile, - for standard input (default: CONTEXT/Containerfile, then CONTEXT/Dockerfile).")
    var file: String?

    @Option(name: .shortAndLong, help: "Name the image in the store, as NAME[:TAG]. Repeatable.")
    var tag: [String] = []

    @Option(help: "Target platforms, comma-separated, as linux/amd64,linux/arm64 (default: this machine's).")
    var platform: [String] = []

    @Option(name: .customLong("build-arg"), help: "Set a build-time variable, KEY=VALUE. Repeatable.")
    var buildArgs: [String] = []

    @Option(help: "Set an image label, KEY=VALUE. Repeatable.")
    var label: [String] = []

    @Option(name: .shortAndLong, help: "Write the image: type=oci,dest=DIR|FILE.tar or type=docker,dest=FILE.tar[,platform=P][,oci-mediatypes=false].")
    var output: [String] = []

    @Flag(help: "Load the image into docker (when its daemon answers) or podman; same as --output type=docker.")
    var load = false

    @Option(help: "Layer compression: gzip or zstd, with an optional level (gzip,level=9).")
    var compression: String = "gzip"

    @Flag(name: .customLong("no-cache"), help: "Build every layer again instead of taking it from the cache.")
    var noCache = false

    @Option(help: ArgumentHelp("Make the steps of these stages again, whatever the cache holds (comma-separated, repeatable).", valueName: "stage"))
    var noCacheFilter: [String] = []

    @Option(help: "Build up to this stage.")
    var target: String?

    @Option(help: "Write the image ID to this file.")
    var iidfile: String?

    @Option(name: .customLong("metadata-file"), help: "Write build results as JSON to this file.")
    var metadataFile: String?

    @Option(help: "Progress output: auto, plain or quiet.")
    var progress: String = "auto"

    @Flag(name: .shortAndLong, help: "Print only the image digest (same as --progress quiet).")
    var quiet = false

    @Flag(help: "Resolve base image tags in the registry again (imagectl always does; accepted as buildx takes it).")
    var pull = false

    @Option(help: "Attach provenance: only false for now, as buildx takes it.")
    var provenance: String?

    @Option(help: "Attach an SBOM: only false for now, as buildx takes it.")
    var sbom: String?

    @Option(help: "The network for RUN steps: default (the host's), none or host.")
    var network: String = "default"

    @Option(help: ArgumentHelp("A secret for RUN --mount=type=secret: id=ID,src=FILE or id=ID,env=VAR (repeatable); never stored or printed.",
                               valueName: "id=ID,src=FILE"))
    var secret: [String] = []

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
        for (flag, value) in [("--provenance", provenance), ("--sbom", sbom)] {
            if let value, !["false", "0"].contains(value.lowercased()) {
                throw ValidationError("\(flag)=\(value): imagectl does not attach attestations yet; pass \(flag)=false or leave it out")
            }
        }
        guard ["default", "none", "host"].contains(network) else {
            throw ValidationError("--network must be default, none or host")
        }
    }

    func run() throws {
        try guarded {
            let progress = quiet ? "quiet" : self.progress
            var job = BuildJob(options: try buildOptions(), storeRoot: cacheDir ?? Store.defaultRoot())
            job.iidfile = iidfile.map { ResultFile(flag: "--iidfile", path: $0) }
            job.metadataFile = metadataFile.map { ResultFile(flag: "--metadata-file", path: $0) }
            var outputs = try output.map { try OutputSpec(parsing: $0) }
            // As buildx: --push makes every type=image output push, --load is a type=docker without dest.
            for i in outputs.indices where outputs[i].kind == .image && push { outputs[i].push = true }
            if load, !outputs.contains(where: \.isLoad) { outputs.append(try OutputSpec(parsing: "type=docker")) }
            let pushing = outputs.filter(\.push)
            let pushTypes = Set(pushing.compactMap(\.ociMediaTypes))
            guard pushTypes.count <= 1 else {
                throw ValidationError("--output: the outputs that push disagree on oci-mediatypes; imagectl pushes one image, so give one value")
            }
            job.pushOCIMediaTypes = pushTypes.first
            job.outputs = outputs.filter { $0.kind != .registry && $0.kind != .image }
            // buildx takes the layers' compression in --output too; the layers are built with it.
            if let c = outputs.compactMap(\.compression).first { job.options.compression = try Compression(parsing: c) }
            let toStandardOutput = outputs.contains(where: \.isStandardOutput)
            job.names = try tag.map { try Reference(parsing: $0) } + pushing.compactMap { try $0.name.map { try Reference(parsing: $0) } }
            job.storeNames = try outputs.filter { $0.kind == .image && !$0.push }.compactMap { try $0.name.map { try Reference(parsing: $0) } }
            job.target = pushTarget.target
            if let byDigest {
                job.target.repository = byDigest
                job.target.byDigest = true
            }
            job.push = push || byDigest != nil || !pushing.isEmpty
            job.cacheFrom = try cacheFrom.map { try BuildCommand.cacheRef($0, flag: "--cache-from") }
            job.cacheTo = try cacheTo.map { try BuildCommand.cacheRef($0, flag: "--cache-to") }
            job.jobs = registryFlags.jobs
            let registries = try registryFlags.registries()
            let reporter = ProgressReporter(mode: progress)
            let display = PushDisplay(mode: progress == "auto" && registries.options.trace != nil ? "plain" : progress)
            let quiet = progress == "quiet"
            let outcome = try Pipeline.build(job, registries: registries, observe: Observers(
                layer: { reporter.layer($0) }, push: { display.handle($0) }, note: { if !quiet { standardError($0) } },
                stepOutput: { reporter.output($0) }))
            reporter.summary(outcome.result, seconds: outcome.seconds)
            // --by-digest prints what `index create` takes: REPO@DIGEST. A tar on stdout is alone there.
            if !toStandardOutput {
                print(byDigest.map { $0 + "@" } ?? "", terminator: "")
                print(outcome.result.descriptor.digest)
            }
            // Freeing a large context's file list costs a noticeable part of an unchanged rebuild;
            // the process is done, so leave it to exit.
            withExtendedLifetime(outcome.builder) { Foundation.exit(0) }
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

    func buildOptions() throws -> BuildOptions {
        var platforms: [Platform] = []
        let named = platform.flatMap { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        if !platform.isEmpty, named.contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) {
            throw ValidationError("--platform \"\(platform.joined(separator: ","))\": an empty platform; list them as linux/amd64,linux/arm64")
        }
        for p in named {
            let text = p.trimmingCharacters(in: .whitespaces)
            // buildx's name for the platform of the machine it runs on.
            let parsed = text == "local" ? Platform.host : try Platform(parsing: text)
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
        var options = BuildOptions(
            context: context, file: file, platforms: platforms.isEmpty ? [.host] : platforms,
            buildArgs: try pairs(buildArgs, "--build-arg"), labels: try pairs(label, "--label"),
            compression: try Compression(parsing: compression), noCache: noCache,
            epoch: try BuildOptions.epoch(from: ProcessInfo.processInfo.environment), target: target)
        options.network = network
        options.noCacheFilter = Set(noCacheFilter.flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() } })
        for spec in secret {
            let (id, source) = try BuildCommand.secret(spec)
            options.secrets[id] = source
        }
        return options
    }

    /// buildx's `--secret`: `id=ID,src=FILE` (or `source=`), `id=ID,env=VAR`, `type=file|env`; a
    /// lone `id=ID` reads the variable ID.
    static func secret(_ spec: String) throws -> (String, SecretSource) {
        var id = "", file: String?, env: String?, type: String?
        for field in spec.split(separator: ",") {
            guard let eq = field.firstIndex(of: "=") else { throw ValidationError("--secret \(field): expected KEY=VALUE (id=, src=, env=, type=)") }
            let key = field[..<eq].lowercased(), value = String(field[field.index(after: eq)...])
            switch key {
            case "id": id = value
            case "src", "source": file = value
            case "env": env = value
            case "type": type = value
            default: throw ValidationError("--secret: unexpected key \(key) (id=, src=, env=, type=)")
            }
        }
        if type == "env", env == nil { (env, file) = (file, nil) }
        if id.isEmpty { id = file.map { ($0 as NSString).lastPathComponent } ?? env ?? "" }
        guard !id.isEmpty else { throw ValidationError("--secret \(spec.prefix(40)): give id=ID") }
        if let file {
            guard FileManager.default.isReadableFile(atPath: file) else { throw ValidationError("--secret id=\(id): \(file) cannot be read") }
            return (id, .file(file))
        }
        return (id, .environment(env ?? id))
    }
}
