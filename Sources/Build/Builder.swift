import Foundation
import Layers
import Rootfs
import OCI
import Registry
import Store

/// Builds images from a Containerfile without running anything inside them: every platform's
/// manifest is assembled from its base, layers made from the context, and a config.
public final class Builder: @unchecked Sendable {
    let options: BuildOptions
    let store: Store
    let containerfile: Containerfile
    let context: BuildContext
    let layers: LayerCache
    let report: (LayerEvent) -> Void
    let registries: Registries?
    var events: [LayerEvent] = []
    /// Images `COPY --from` named, per platform.
    var copyImages: [String: Stage] = [:]
    /// Hears what RUN steps write.
    let stepOutput: @Sendable (StepOutput) -> Void
    /// Whether stale containers and mounts were cleared, before this build's first step.
    var stepsPrepared = false
    /// Held by the platform being built; let go only while a step's runtime runs.
    let buildLock = NSLock()

    /// Runs `body` without the build lock, so another platform's steps go on meanwhile: for what
    /// touches nothing of the builder's (a step executing in its own root).
    func unlocked<T>(_ body: () throws -> T) rethrows -> T {
        buildLock.unlock()
        defer { buildLock.lock() }
        return try body()
    }
    /// Stages' filesystems, read from their layers only when a step needs to look.
    lazy var rootfs = StageRootfs(store: store, registries: registries)

    /// The Containerfile as text: bytes that are not UTF-8, or NUL, would otherwise become U+FFFD or
    /// vanish silently into labels and paths.
    static func text(of data: Data, file: String) throws -> String {
        let lines = data.split(separator: 10, omittingEmptySubsequences: false)
        for (n, line) in lines.enumerated() {
            if line.contains(0) { throw BuildError(file: file, line: n + 1, "contains a NUL byte") }
            if String(data: Data(line), encoding: .utf8) == nil {
                throw BuildError(file: file, line: n + 1, "is not valid UTF-8; save the file as UTF-8")
            }
        }
        return String(decoding: data, as: UTF8.self)
    }

    public init(options: BuildOptions, store: Store, registries: Registries? = nil,
                report: @escaping (LayerEvent) -> Void = { _ in }, stepOutput: @escaping @Sendable (StepOutput) -> Void = { _ in }) throws {
        self.stepOutput = stepOutput
        self.options = options
        self.store = store
        self.registries = registries
        self.report = report
        let contextPath = options.context
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: contextPath, isDirectory: &isDir), isDir.boolValue else {
            throw BuildError("build context \"\(contextPath)\" is not a directory: pass the directory that holds your files")
        }
        let fromStandardInput = options.file == "-"
        let file = fromStandardInput ? Builder.standardInputName : try Builder.findContainerfile(options.file, context: contextPath)
        let data = try Builder.readContainerfile(fromStandardInput ? nil : file)
        containerfile = try Containerfile(path: file, text: try Builder.text(of: data, file: file))
        let absolute = URL(fileURLWithPath: contextPath).standardizedFileURL.path
        // From standard input there is no file beside which its own .dockerignore could be, as in buildx.
        context = try BuildContext(root: contextPath, containerfile: fromStandardInput ? nil : file,
                                   statCachePath: store.statCachePath(context: absolute))
        layers = LayerCache(store: store, writer: LayerWriter(compression: options.compression, epoch: options.epoch),
                            noCache: options.noCache, sourceRoot: context.root)
    }

    /// What errors call a Containerfile read from standard input (`-f -`).
    static let standardInputName = "<stdin>"
    /// The most a Containerfile may hold, from a file or standard input: BuildKit reads it through
    /// a gRPC message, whose default limit this is. Far past any real one, it stops a build from
    /// reading a device or a stream without end into memory.
    public static let maxContainerfileBytes = 16 << 20

    /// The Containerfile's bytes, from `path` or, when nil, standard input, at most `maxContainerfileBytes`.
    static func readContainerfile(_ path: String?) throws -> Data {
        let shown = path ?? standardInputName
        let fd = path.map { open($0, O_RDONLY | O_CLOEXEC) } ?? STDIN_FILENO
        guard fd >= 0 else { throw BuildError(file: shown, "cannot be read: \(SystemError.reason(errno))") }
        defer { if path != nil { close(fd) } }
        var data = Data()
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buf.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { throw BuildError(file: shown, "cannot be read: \(SystemError.reason(errno))") }
            if n == 0 { return data }
            data.append(contentsOf: buf[..<n])
            guard data.count <= maxContainerfileBytes else {
                throw BuildError(file: shown, "holds more than \(maxContainerfileBytes >> 20) MiB, which no Containerfile needs: check what -f names")
            }
        }
    }

    static func findContainerfile(_ file: String?, context: String) throws -> String {
        if let file {
            guard FileManager.default.fileExists(atPath: file) else {
                throw BuildError(file: file, "no such Containerfile: check the -f path")
            }
            return file
        }
        for name in ["Containerfile", "Dockerfile"] where FileManager.default.fileExists(atPath: "\(context)/\(name)") {
            return "\(context)/\(name)"
        }
        throw BuildError("\(context): no Containerfile or Dockerfile in the context: add one or pass -f FILE")
    }

    /// Builds every platform and stores the result: one manifest, or an index of them. What it
    /// writes and reuses is held by the store handle's lease until the handle is closed.
    public func build() throws -> BuildResult {
        let platforms = options.platforms
        let results = PlatformResults(count: platforms.count)
        // Platforms build side by side when there are steps to run and cores to run them on: each
        // holds the build lock except while its runtime executes a step (see `unlocked`), so
        // everything else a build does stays one thing at a time.
        let parallel = platforms.count > 1 && ProcessInfo.processInfo.activeProcessorCount > 1
            && containerfile.instructions.contains { $0.keyword == "RUN" }
        let buildOne: @Sendable (Int) -> Void = { i in
            self.buildLock.lock()
            defer { self.buildLock.unlock() }
            do { results.built[i] = try self.buildPlatform(platforms[i]) } catch { results.failures[i] = error }
        }
        if parallel {
            DispatchQueue.concurrentPerform(iterations: platforms.count, execute: buildOne)
        } else {
            for i in platforms.indices {
                buildOne(i)
                if results.failures[i] != nil { break }
            }
        }
        if let failure = results.failures.compactMap({ $0 }).first { throw failure }
        let manifests = results.built.compactMap { $0 }
        try context.saveStatCache { try store.writeAtomically(to: $0, $1) }
        let top: Descriptor
        if manifests.count == 1 {
            top = manifests[0]
        } else {
            let index = try Blob(json: ImageIndex(manifests: manifests), mediaType: MediaType.ociIndex)
            try store.putBlob(index.data)
            top = index.descriptor
        }
        return BuildResult(descriptor: top, manifests: manifests, events: events, hashedFiles: context.hashedFiles, layerKeys: layers.used)
    }

    /// Runs the stages the target needs for one platform and stores its config and manifest.
    func buildPlatform(_ platform: Platform) throws -> Descriptor {
        let plan = try StagePlan(containerfile: containerfile, options: options, platform: platform)
        var built: [Int: Stage] = [:]
        for index in plan.needed {
            built[index] = try runStage(plan.stages[index], plan: plan, built: built, platform: platform)
        }
        var final = built[plan.target]!
        if !options.labels.isEmpty {
            var labels = final.config.config.labels ?? [:]
            for (k, v) in options.labels { labels[k] = v }
            final.config.config.labels = labels
        }
        final.config.created = Builder.timestamp(options.created ?? options.epoch)
        let config = try Blob(json: final.config, mediaType: MediaType.ociConfig)
        try store.putBlob(config.data)
        var annotations: [String: String]?
        if let base = final.base {
            annotations = ["org.opencontainers.image.base.name": base.name,
                           "org.opencontainers.image.base.digest": base.digest.description]
        }
        let manifest = try Blob(json: ImageManifest(config: config.descriptor, layers: final.layers, annotations: annotations),
                                mediaType: MediaType.ociManifest)
        try store.putBlob(manifest.data)
        var d = manifest.descriptor
        d.platform = platform
        return d
    }

    static func timestamp(_ epoch: Int) -> String { Timestamp.rfc3339(epoch) }

    /// Adds the file and line of the instruction to errors that lack them.
    func located<T>(_ ins: Instruction, _ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch var e as BuildError {
            if e.line == nil {
                e.file = containerfile.path
                e.line = ins.line
            }
            throw e
        } catch {
            throw BuildError(file: containerfile.path, line: ins.line, SystemError.message(error))
        }
    }
}

/// Each platform's manifest or error, written only under the build lock.
final class PlatformResults: @unchecked Sendable {
    var built: [Descriptor?]
    var failures: [Error?]

    init(count: Int) {
        built = Array(repeating: nil, count: count)
        failures = Array(repeating: nil, count: count)
    }
}
