import Foundation
import Layers
import OCI
import Processes
import Rootfs
import Runtime
import Store

extension Builder {
    /// RUN: the step runs with an OCI runtime over the stage's layers stacked with overlayfs, and
    /// what it changed is the layer. Its cache key is the chain of layers below it and everything
    /// the step is given (command, environment, user, directory, network, platform): a hit runs nothing.
    func run(_ ins: Instruction, in stage: inout Stage, plan: StagePlan, built: [Int: Stage], platform: Platform) throws {
        let command = try RunCommand(ins, shell: stage.shell)
        let network = ins.flags["network"] ?? (options.network == "default" ? nil : options.network)
        let mode: StepSpec.Network
        switch network ?? "default" {
        case "default", "host": mode = .host
        case "none": mode = .none
        default: throw BuildError("RUN --network=\(network!): use default, none or host")
        }
        if let security = ins.flags["security"], security != "sandbox" {
            throw BuildError("RUN --security=\(security) is not supported: steps run sandboxed")
        }
        // The stage's ENV, then its ARGs with values (not persisted in the image), as BuildKit hands them on.
        var env = stage.config.config.env ?? []
        var buildArgs: [(String, String)] = []
        for name in stage.argOrder {
            let value = stage.config.config.envValue(name) ?? stage.args[name] ?? ""
            buildArgs.append((name, value))
            if stage.config.config.envValue(name) == nil, let v = stage.args[name] { env.append("\(name)=\(v)") }
        }
        let user = stage.config.config.user ?? ""
        let ids: (uid: UInt32, gid: UInt32, additional: [UInt32])
        do { ids = try rootfs.accounts(stage.layers).execUser(user) } catch let e as RootfsError { throw BuildError("USER \(user): \(e)") }
        var step = StepSpec(args: command.args, env: env, cwd: stage.workdir, uid: ids.uid, gid: ids.gid,
                            additionalGids: ids.additional, network: mode)
        let history = RunCommand.history(command.args, buildArgs: buildArgs)
        let mounts = try planMounts(ins, stage: stage, plan: plan, built: built, platform: platform)
        let key = try runKey(step, script: command.script, mounts: mounts.map(\.key), stage: stage, platform: platform)

        let started = Date()
        var outcome = LayerEvent.Outcome.cached
        var entriesCount = 0
        let record: LayerRecord
        if let known = layers.remembered(key) {
            record = known
            outcome = .shared
        } else if !ignoresCache(stage), let cached = store.cachedLayer(key: key) {
            record = cached
        } else {
            let (built, root) = try execute(&step, script: command.script, mounts: mounts, ins: ins, stage: stage, platform: platform)
            defer { root.remove() }
            let (r, _) = try layers.layer(built, key: key)
            // The step's upper directory becomes the new layer's snapshot: a later step stacks it
            // rather than unpack the layer just written.
            if let upper = root.upperAsSnapshot(layer: built, epoch: layers.writer.epoch),
               let chain = ChainID.of((stage.layers + [r.descriptor]).map(\.digest)).last {
                store.adoptSnapshot(chain, from: upper)
            }
            record = r
            outcome = .built
            entriesCount = built.count
            rootfs.remember(built, as: r.descriptor.digest)
        }
        layers.note(key, record)
        stage.layers.append(record.descriptor)
        stage.config.rootfs.diffIDs.append(record.diffID)
        stage.config.history = (stage.config.history ?? []) + [
            ImageConfig.History(created: Builder.timestamp(options.created ?? options.epoch), createdBy: history, comment: Builder.historyComment),
        ]
        let event = LayerEvent(platform: platform, line: ins.line, instruction: ins.original, outcome: outcome,
                               digest: record.descriptor.digest, size: record.descriptor.size, files: entriesCount,
                               seconds: Date().timeIntervalSince(started))
        events.append(event)
        report(event)
    }

    /// Everything a step's result depends on, and nothing it does not (no cache mount, no secret's value).
    func runKey(_ step: StepSpec, script: (name: String, body: String)?, mounts: [String], stage: Stage, platform: Platform) throws -> Digest {
        struct Key: Encodable {
            var version = "imagectl-run-v1"
            var platform: String
            var layers: [String]
            var args: [String]
            var env: [String]
            var uid: UInt32
            var gid: UInt32
            var additionalGids: [UInt32]
            var cwd: String
            var network: String
            var script: [String]?
            var mounts: [String]
            var compression: String
            var epoch: Int
        }
        // Layers by their digests, which the store checked, not by the diffIDs a config claims.
        let key = Key(platform: platform.description, layers: stage.layers.map(\.digest.description), args: step.args, env: step.env,
                      uid: step.uid, gid: step.gid, additionalGids: step.additionalGids, cwd: step.cwd, network: step.network.rawValue,
                      script: script.map { [$0.name, $0.body] }, mounts: mounts, compression: "\(layers.writer.compression)", epoch: layers.writer.epoch)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Digest.sha256(Array(try encoder.encode(key)))
    }

    /// Runs the step and returns what it changed, as layer entries read from its upper directory
    /// (valid until the step's directory is removed, which the layer writer finishes before).
    func execute(_ step: inout StepSpec, script: (name: String, body: String)?, mounts: [PlannedMount], ins: Instruction, stage: Stage,
                 platform: Platform) throws -> ([LayerEntry], StepRoot) {
        // A program the stage does not hold is one clear line, not the runtime's.
        if let program = step.args.first, program.hasPrefix("/"), script == nil {
            let fs = try rootfs.filesystem(stage.layers)
            let found = try? fs.resolve(PathBytes(String(program.dropFirst())))
            guard let entry = found?.entry, entry.kind == .file || entry.kind == .hardlink else {
                let hint = stage.layers.isEmpty ? ": a stage FROM scratch has no shell; start FROM an image that has one" : ""
                throw BuildError("RUN: \(program) is not in the stage's filesystem\(hint)")
            }
        }
        // The runtime mounts its own /proc: a working directory there (named, or through a link
        // the image holds) is how runc's leaked descriptors reached the host (CVE-2024-21626).
        // No build needs it, so no runtime version is trusted with it.
        if let cwd = try? rootfs.filesystem(stage.layers).resolve(PathBytes(String(step.cwd.drop { $0 == "/" }))).path,
           cwd == "proc" || cwd.bytes.starts(with: Array("proc/".utf8)) {
            throw BuildError(file: containerfile.path, line: ins.line, "RUN: the working directory \(step.cwd) is /\(cwd), in the runtime's /proc: choose another WORKDIR")
        }
        // Without root, imagectl entered a user namespace when it started, where it is root (see UserNamespace).
        guard geteuid() == 0 else {
            let why = UserNamespace.unavailable ?? "imagectl did not enter one"
            throw BuildError("RUN without root needs a user namespace, and \(why); or run imagectl as root")
        }
        do {
            try Binfmt.check(architecture: platform.architecture, variant: platform.variant, host: Platform.host.architecture)
        } catch let e as RuntimeError { throw BuildError("\(e)") }
        let runtime: OCIRuntime
        do { runtime = try OCIRuntime.find(stateRoot: store.runtimeStateRoot) } catch let e as RuntimeError { throw BuildError("\(e)") }
        prepareForSteps(runtime)
        let lowers = try snapshots(stage)
        let dir = store.tempPath("run")
        let root: StepRoot
        do { root = try StepRoot(lowers: lowers, dir: dir) } catch let e as RootfsError { throw BuildError("\(e)") }
        if let notice = Snapshotter.Memo.process.fallbackNotice() {
            stepOutput(StepOutput(platform: platform, line: ins.line, text: Data(("imagectl: " + notice + "\n").utf8)))
        }
        if let script {
            guard !script.name.contains("/"), script.name != ".", script.name != ".." else {
                throw BuildError("<<\(script.name) cannot name a script file: use a plain name such as EOF")
            }
            let pipes = dir + "/pipes"
            try FileManager.default.createDirectory(atPath: pipes, withIntermediateDirectories: true)
            try Data(script.body.utf8).write(to: URL(fileURLWithPath: pipes + "/" + script.name))
            chmod(pipes + "/" + script.name, 0o755)
            step.binds.append(.init(source: pipes, destination: "/dev/pipes", readOnly: true))
        }
        let held = try attach(mounts, to: &step, dir: dir)
        root.noteMountPoints(step.mountPoints)
        // A missing working directory is made by the runtime, inside the container's root (a
        // directory made from here could follow a link the image holds out to the host).
        let tail = OutputTail()
        let hook = stepOutput
        let spec = step, bundle = dir + "/bundle", merged = root.merged
        let status = try unlocked {
            // Named after the step's directory, and so after this build's lease: the next build
            // can tell a container a dead build left from one a live build is running.
            try runtime.run(spec, rootfs: merged, bundle: bundle, id: (dir as NSString).lastPathComponent) { data in
                tail.add(data)
                hook(StepOutput(platform: platform, line: ins.line, text: data))
            }
        }
        // Binds from stages and locked caches are let go once the step is done.
        withExtendedLifetime(held) {}
        for case let r as StepRoot in held { r.remove() }
        guard status == 0 else {
            root.remove()
            let said = tail.lines.suffix(5).map { "\n  " + $0 }.joined()
            throw BuildError(file: containerfile.path, line: ins.line, "RUN failed with exit status \(status)\(said)")
        }
        do { return (try root.changes(lower: try rootfs.filesystem(stage.layers)), root) } catch let e as RootfsError {
            root.remove()
            throw BuildError("\(e)")
        }
    }

    /// The stage's layers unpacked for overlayfs, bottom first: each once per chain, ever. The
    /// chain is of the layers' digests (checked when they came into the store); a config's
    /// diffIDs are only claims, and a snapshot named by them could be another image's files.
    func snapshots(_ stage: Stage) throws -> [String] {
        let chain = ChainID.of(stage.layers.map(\.digest))
        return try zip(stage.layers, chain).map { layer, chainID in
            try store.snapshot(chainID) { dir in
                do {
                    try OverlayLayer.unpack(try rootfs.blobPath(layer), name: "layer \(layer.digest.hex.prefix(12))", into: dir)
                } catch let e as RootfsError { throw BuildError("\(e)") }
            }
        }
    }

    /// Once a build: containers and mounts a killed imagectl left behind go first.
    func prepareForSteps(_ runtime: OCIRuntime) {
        guard !stepsPrepared else { return }
        stepsPrepared = true
        runtime.removeStale { [store] in store.isAbandoned(tempName: $0) }
        store.removeWhatDeadBuildsLeft()
    }
}

/// The last lines a failing step wrote, for its error.
final class OutputTail: @unchecked Sendable {
    private let lock = NSLock()
    private var data = Data()

    func add(_ d: Data) {
        lock.lock()
        data.append(d)
        if data.count > 16 << 10 { data.removeFirst(data.count - (16 << 10)) }
        lock.unlock()
    }

    var lines: [String] {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).map(String.init)
    }
}
