import Foundation
import Layers
import OCI
import Store

extension Builder {
    func runStage(_ spec: StagePlan.StageSpec, plan: StagePlan, built: [Int: Stage], platform: Platform) throws -> Stage {
        var stage = try located(spec.fromInstruction) { try baseStage(spec, plan: plan, built: built, platform: platform) }
        stage.name = spec.name
        for ins in spec.body {
            try located(ins) { try apply(ins, to: &stage, plan: plan, built: built, platform: platform) }
        }
        return stage
    }

    /// The starting state of a stage: scratch, an earlier stage, or an image from an OCI layout.
    func baseStage(_ spec: StagePlan.StageSpec, plan: StagePlan, built: [Int: Stage], platform: Platform) throws -> Stage {
        let from = spec.from
        var target = platform
        if let p = spec.fromInstruction.flags["platform"] {
            let value = try plan.words.expand(p) { plan.globalArgs[$0] ?? plan.automaticArgs[$0] }
            target = try Platform(parsing: value)
        }
        if from.lowercased() == "scratch" {
            var config = ImageConfig(platform: platform)
            config.config.env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
            return Stage(config: config, layers: [], files: FileIndex(), fromScratch: true, args: [:])
        }
        if let i = plan.stage(named: from, before: spec.index), let prior = built[i] {
            var s = prior
            s.files = FileIndex(copying: prior.files)
            s.args = [:]
            s.cmdSetHere = false
            return s
        }
        if from.hasPrefix("oci-layout://") {
            return try layoutStage(String(from.dropFirst("oci-layout://".count)), platform: target, finalPlatform: platform)
        }
        return try registryStage(try Reference(parsing: from), platform: target, finalPlatform: platform)
    }

    /// A base from an OCI image layout: its blobs are verified and copied into the store once.
    func layoutStage(_ spec: String, platform: Platform, finalPlatform: Platform) throws -> Stage {
        var path = spec
        var tag: String?
        var digest: Digest?
        if let at = path.lastIndex(of: "@") {
            digest = try Digest(parsing: String(path[path.index(after: at)...]))
            path = String(path[..<at])
        } else if let colon = path.lastIndex(of: ":"), !path[colon...].contains("/") {
            tag = String(path[path.index(after: colon)...])
            path = String(path[..<colon])
        }
        if !path.hasPrefix("/") { path = context.root + "/" + path }
        let layout = OCILayout(path: path)
        let (manifest, config, descriptor) = try layout.resolve(tag: tag, digest: digest, platform: platform)
        for layer in manifest.layers where !store.hasBlob(layer.digest) {
            let tmp = store.tempPath("base")
            guard access(layout.blobPath(layer.digest), F_OK) == 0 else {
                throw BuildError("\(spec): layer \(layer.digest) is missing from the layout")
            }
            do {
                try FileManager.default.copyItem(atPath: layout.blobPath(layer.digest), toPath: tmp)
            } catch {
                unlink(tmp)
                throw BuildError("\(spec): layer \(layer.digest) could not be copied into the store: \(SystemError.foundation(error)?.reason ?? "\(error)")")
            }
            guard try Digest.sha256(fileAt: tmp, algorithm: layer.digest.algorithm) == layer.digest else {
                unlink(tmp)
                throw BuildError("\(spec): layer \(layer.digest) does not match its digest; the layout is damaged")
            }
            try store.commitBlob(tempPath: tmp, digest: layer.digest)
        }
        var c = config
        c.architecture = finalPlatform.architecture
        c.os = finalPlatform.os
        c.variant = finalPlatform.variant
        return Stage(config: c, layers: manifest.layers, files: FileIndex(), fromScratch: manifest.layers.isEmpty, args: [:],
                     base: ("oci-layout://" + spec, descriptor.digest))
    }

    func apply(_ ins: Instruction, to stage: inout Stage, plan: StagePlan, built: [Int: Stage], platform: Platform) throws {
        let words = plan.words
        let expand: (String) throws -> String = { [stage] in try words.expand($0, stage.lookup) }
        var history = true
        switch ins.keyword {
        case "ARG":
            history = false
            for word in words.split(ins.arguments) {
                let (k, v) = StagePlan.splitArg(try expand(word))
                guard !k.isEmpty, k.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                    throw BuildError("ARG name \"\(k)\" must be letters, digits and _")
                }
                stage.args[k] = options.buildArgs[k] ?? v ?? plan.globalArgs[k] ?? plan.automaticArgs[k] ?? stage.args[k]
            }
        case "ENV":
            for (k, v) in try keyValues(ins, words: words, lookup: stage.lookup, legacy: true) {
                stage.config.config.setEnv(k, v)
            }
        case "LABEL":
            var labels = stage.config.config.labels ?? [:]
            for (k, v) in try keyValues(ins, words: words, lookup: stage.lookup, legacy: false) { labels[k] = v }
            stage.config.config.labels = labels
        case "WORKDIR":
            let dir = try expand(ins.arguments)
            guard !dir.isEmpty else { throw BuildError("WORKDIR needs a directory") }
            stage.config.config.workingDir = Builder.joinPath(stage.workdir, dir)
        case "USER":
            let user = try expand(ins.arguments)
            guard !user.isEmpty, !user.contains(" ") else { throw BuildError("USER takes one user[:group], as in USER 1000:1000") }
            stage.config.config.user = user
        case "EXPOSE":
            var ports = stage.config.config.exposedPorts ?? [:]
            for word in words.split(ins.arguments) {
                for p in try Builder.ports(try expand(word)) { ports[p] = ImageConfig.Empty() }
            }
            stage.config.config.exposedPorts = ports
        case "VOLUME":
            let list = try ShellWords.jsonArray(ins.arguments) ?? words.split(ins.arguments).map(expand)
            guard !list.isEmpty, list.allSatisfy({ !$0.isEmpty }) else { throw BuildError("VOLUME needs at least one path") }
            var volumes = stage.config.config.volumes ?? [:]
            for v in list { volumes[v] = ImageConfig.Empty() }
            stage.config.config.volumes = volumes
        case "STOPSIGNAL":
            let sig = try expand(ins.arguments)
            guard !sig.isEmpty, !sig.contains(" ") else { throw BuildError("STOPSIGNAL takes one signal, as in STOPSIGNAL SIGTERM") }
            stage.config.config.stopSignal = sig
        case "SHELL":
            guard let list = ShellWords.jsonArray(ins.arguments), !list.isEmpty else {
                throw BuildError("SHELL must be a JSON array, as in SHELL [\"/bin/sh\", \"-c\"]")
            }
            stage.config.config.shell = list
        case "ENTRYPOINT":
            stage.config.config.entrypoint = command(ins.arguments, stage: stage)
            if !stage.cmdSetHere { stage.config.config.cmd = nil }
        case "CMD":
            stage.config.config.cmd = command(ins.arguments, stage: stage)
            stage.cmdSetHere = true
        case "HEALTHCHECK":
            stage.config.config.healthcheck = try healthcheck(ins, stage: stage)
        case "MAINTAINER":
            stage.config.author = ins.arguments
        case "COPY", "ADD":
            history = false
            try copy(ins, into: &stage, plan: plan, built: built, platform: platform)
        case "RUN":
            throw BuildError("RUN would execute code inside the image, which imagectl never does: "
                + "build the artefact outside the image (per ${TARGETARCH} for several platforms) and COPY it in")
        case "ONBUILD":
            throw BuildError("ONBUILD is not supported: put the instructions in the Containerfile that builds on this image")
        default:
            throw BuildError("\(ins.keyword) is not supported")
        }
        if history {
            stage.config.history = (stage.config.history ?? []) + [
                ImageConfig.History(created: Builder.timestamp(options.created ?? options.epoch), createdBy: ins.original, emptyLayer: true),
            ]
        }
    }

    /// `K=V K2="v 2"` pairs, or Docker's legacy `ENV K the rest` form.
    func keyValues(_ ins: Instruction, words: ShellWords, lookup: (String) -> String?, legacy: Bool) throws -> [(String, String)] {
        let parts = words.split(ins.arguments)
        guard !parts.isEmpty else { throw BuildError("\(ins.keyword) needs at least one KEY=VALUE") }
        if legacy, !parts[0].contains("=") {
            guard parts.count >= 2 else { throw BuildError("ENV \(parts[0]) needs a value: ENV \(parts[0])=VALUE") }
            let rest = ins.arguments.dropFirst(parts[0].count).trimmingCharacters(in: .whitespaces)
            return [(parts[0], try words.expand(rest, lookup))]
        }
        return try parts.map { part in
            guard let eq = part.firstIndex(of: "=") else {
                throw BuildError("\(ins.keyword) \(part): expected KEY=VALUE")
            }
            let key = try words.expand(String(part[..<eq]), lookup)
            guard !key.isEmpty else { throw BuildError("\(ins.keyword) \(part): the key is empty") }
            return (key, try words.expand(String(part[part.index(after: eq)...]), lookup))
        }
    }

    /// Exec form as given; shell form wrapped in the stage's SHELL.
    func command(_ args: String, stage: Stage) -> [String] {
        if let list = ShellWords.jsonArray(args) { return list }
        return stage.shell + [args]
    }

    func healthcheck(_ ins: Instruction, stage: Stage) throws -> ImageConfig.Healthcheck {
        let args = ins.arguments
        if args.uppercased() == "NONE" { return ImageConfig.Healthcheck(test: ["NONE"]) }
        guard args.uppercased().hasPrefix("CMD") else { throw BuildError("HEALTHCHECK takes CMD <command> or NONE") }
        let cmd = args.dropFirst(3).trimmingCharacters(in: .whitespaces)
        guard !cmd.isEmpty else { throw BuildError("HEALTHCHECK CMD needs a command") }
        var h = ImageConfig.Healthcheck(test: ShellWords.jsonArray(cmd).map { ["CMD"] + $0 } ?? ["CMD-SHELL", cmd])
        for (flag, value) in ins.flags {
            switch flag {
            case "retries":
                guard let n = Int(value), n >= 0 else { throw BuildError("--retries=\(value): expected a whole number") }
                h.retries = n
            default:
                let ns = try Builder.duration(value, flag: flag)
                switch flag {
                case "interval": h.interval = ns
                case "timeout": h.timeout = ns
                case "start-period": h.startPeriod = ns
                default: h.startInterval = ns
                }
            }
        }
        return h
    }

    /// Go durations as Docker takes them: 30s, 1m30s, 500ms, 1h.
    static func duration(_ s: String, flag: String) throws -> Int64 {
        let units: [(String, Double)] = [("ms", 1e6), ("us", 1e3), ("ns", 1), ("h", 3.6e12), ("m", 6e10), ("s", 1e9)]
        var rest = Substring(s)
        var total = 0.0
        while !rest.isEmpty {
            let num = rest.prefix(while: { $0.isNumber || $0 == "." })
            rest = rest.dropFirst(num.count)
            guard let v = Double(num), let unit = units.first(where: { rest.hasPrefix($0.0) }) else {
                throw BuildError("--\(flag)=\(s): expected a duration such as 30s, 1m30s or 500ms")
            }
            rest = rest.dropFirst(unit.0.count)
            total += v * unit.1
        }
        guard total > 0 else { throw BuildError("--\(flag)=\(s): expected a duration such as 30s") }
        return Int64(total)
    }

    /// `80`, `80/tcp`, `53/udp`, `8000-8002` -> `80/tcp` keys, as Docker writes ExposedPorts.
    static func ports(_ spec: String) throws -> [String] {
        let parts = spec.split(separator: "/", maxSplits: 1).map(String.init)
        let proto = parts.count == 2 ? parts[1].lowercased() : "tcp"
        guard ["tcp", "udp", "sctp"].contains(proto), let range = parts.first else {
            throw BuildError("EXPOSE \(spec): expected PORT[/tcp|udp|sctp]")
        }
        let bounds = range.split(separator: "-").map { Int($0) }
        guard (1...2).contains(bounds.count), bounds.allSatisfy({ $0 != nil && (0...65535).contains($0!) }),
              bounds.last!! >= bounds.first!!, bounds.last!! - bounds.first!! < 10000 else {
            throw BuildError("EXPOSE \(spec): ports are numbers from 0 to 65535")
        }
        return (bounds.first!!...bounds.last!!).map { "\($0)/\(proto)" }
    }

    /// Resolves `path` against a directory, lexically, as WORKDIR and COPY destinations do.
    static func joinPath(_ base: String, _ path: String) -> String {
        "/" + (CleanPath.relative(path.hasPrefix("/") ? path : base + "/" + path, above: .clamp) ?? "")
    }
}
