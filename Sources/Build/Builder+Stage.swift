import Foundation
import Layers
import OCI
import Store

extension Builder {
    func runStage(_ spec: StagePlan.StageSpec, plan: StagePlan, built: [Int: Stage], platform: Platform) throws -> Stage {
        var stage = try located(spec.fromInstruction) { try baseStage(spec, plan: plan, built: built, platform: platform) }
        stage.name = spec.name
        // The base's ONBUILD triggers run first, as if written after FROM, and are not inherited.
        let triggers = stage.config.config.onBuild ?? []
        stage.config.config.onBuild = nil
        for text in triggers {
            try located(spec.fromInstruction) {
                let parsed = try Containerfile.parse(text, path: containerfile.path).instructions
                guard parsed.count == 1, var trigger = parsed.first else { throw BuildError("onbuild trigger should be a single expression") }
                guard !["ONBUILD", "FROM", "MAINTAINER"].contains(trigger.keyword) else {
                    throw BuildError("the base image's ONBUILD trigger \"\(text.prefix(80))\" is not an instruction a build may run")
                }
                try trigger.check()
                trigger.line = spec.fromInstruction.line
                try apply(trigger, to: &stage, plan: plan, built: built, platform: platform)
            }
        }
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
            // BuildKit's empty image starts in /.
            config.config.workingDir = "/"
            return Stage(config: config, layers: [], files: FileIndex(), fromScratch: true, args: [:])
        }
        if let i = plan.stage(named: from, before: spec.index), let prior = built[i] {
            var s = prior
            s.files = FileIndex(copying: prior.files)
            s.args = [:]
            s.argOrder = []
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
        guard manifest.layers.count == config.rootfs.diffIDs.count else {
            throw BuildError("\(spec): the manifest lists \(manifest.layers.count) layers but the config \(config.rootfs.diffIDs.count)")
        }
        rootfs.claim(manifest.layers, diffIDs: config.rootfs.diffIDs, image: "oci-layout://\(spec)")
        var c = config
        c.architecture = finalPlatform.architecture
        c.os = finalPlatform.os
        c.variant = finalPlatform.variant
        return Stage(config: c, layers: manifest.layers, files: FileIndex(), fromScratch: manifest.layers.isEmpty, args: [:],
                     base: ("oci-layout://" + spec, descriptor.digest))
    }

    /// Applies one instruction. Each records in the image's history what BuildKit records for it
    /// (dockerfile2llb's commitToHistory): the instruction with its words expanded, one line.
    func apply(_ ins: Instruction, to stage: inout Stage, plan: StagePlan, built: [Int: Stage], platform: Platform) throws {
        let words = plan.words
        let expand: (String) throws -> String = { [stage] in try words.expand($0, stage.lookup) }
        let history: String
        switch ins.keyword {
        case "ARG":
            var shown: [String] = []
            for word in ins.args {
                let (k, v) = StagePlan.splitArg(word)
                guard !k.isEmpty, k.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
                    throw BuildError("ARG name \"\(k)\" must be letters, digits and _")
                }
                let value = try options.buildArgs[k] ?? v.map(expand) ?? plan.globalArgs[k] ?? plan.automaticArgs[k] ?? stage.args[k]
                stage.args[k] = value
                if !stage.argOrder.contains(k) { stage.argOrder.append(k) }
                shown.append(value.map { "\(k)=\($0)" } ?? k)
            }
            history = "ARG " + shown.joined(separator: " ")
        case "ENV":
            let pairs = try keyValues(ins, expand)
            for (k, v) in pairs { stage.config.config.setEnv(k, v) }
            history = "ENV" + pairs.map { " \($0)=\($1)" }.joined()
        case "LABEL":
            let pairs = try keyValues(ins, expand)
            var labels = stage.config.config.labels ?? [:]
            for (k, v) in pairs { labels[k] = v }
            stage.config.config.labels = labels
            history = "LABEL" + pairs.map { " \($0)=\($1)" }.joined()
        case "WORKDIR":
            let dir = try expand(ins.args[0])
            guard !dir.isEmpty else { throw BuildError("WORKDIR \(ins.args[0]) names no directory") }
            stage.config.config.workingDir = Builder.joinPath(stage.workdir, dir)
            if stage.workdir != "/" {
                try workdir(ins, in: &stage, platform: platform)
                return
            }
            history = "WORKDIR /"
        case "USER":
            stage.config.config.user = try expand(ins.args[0])
            history = "USER " + stage.config.config.user!
        case "EXPOSE":
            // Each word is split again after expansion: EXPOSE $PORTS with PORTS="80 443" is two ports.
            var ports = stage.config.config.exposedPorts ?? [:]
            var added: [String] = []
            for word in ins.args.sorted() {
                for spec in try words.words(word, stage.lookup) { added += try ExposedPort.parse(spec) }
            }
            for p in added { ports[p] = ImageConfig.Empty() }
            stage.config.config.exposedPorts = ports
            history = "EXPOSE " + GoText.list(added)
        case "VOLUME":
            let list = try ins.args.map(expand)
            guard list.allSatisfy({ !$0.isEmpty }) else { throw BuildError("VOLUME \(ins.args.joined(separator: " ")): a path is empty") }
            var volumes = stage.config.config.volumes ?? [:]
            for v in list { volumes[v] = ImageConfig.Empty() }
            stage.config.config.volumes = volumes
            history = "VOLUME " + GoText.list(list)
        case "STOPSIGNAL":
            let sig = try expand(ins.args[0])
            guard !sig.isEmpty, !sig.contains(" ") else { throw BuildError("STOPSIGNAL takes one signal, as in STOPSIGNAL SIGTERM") }
            stage.config.config.stopSignal = sig
            history = "STOPSIGNAL " + sig
        case "SHELL":
            stage.config.config.shell = ins.args
            history = "SHELL " + GoText.list(ins.args)
        case "ENTRYPOINT":
            // ENTRYPOINT [] clears it; a shell-form one runs its text with the stage's SHELL.
            let entrypoint = ins.json && ins.args.isEmpty ? nil : command(ins, stage: stage)
            stage.config.config.entrypoint = entrypoint
            if !stage.cmdSetHere { stage.config.config.cmd = nil }
            history = "ENTRYPOINT " + GoText.quotedList(entrypoint ?? [])
        case "CMD":
            stage.config.config.cmd = command(ins, stage: stage)
            stage.cmdSetHere = true
            history = "CMD " + GoText.quotedList(stage.config.config.cmd!)
        case "HEALTHCHECK":
            let check = try healthcheck(ins)
            stage.config.config.healthcheck = check
            history = "HEALTHCHECK " + GoText.healthcheck(check)
        case "MAINTAINER":
            stage.config.author = ins.args[0]
            history = "MAINTAINER " + ins.args[0]
        case "COPY", "ADD":
            try copy(ins, into: &stage, plan: plan, built: built, platform: platform)
            return
        case "RUN":
            try run(ins, in: &stage, plan: plan, built: built, platform: platform)
            return
        case "ONBUILD":
            // Recorded for builds FROM this image; BuildKit writes no history entry for it.
            stage.config.config.onBuild = (stage.config.config.onBuild ?? []) + [ins.onBuildExpression]
            return
        default:
            throw BuildError("\(ins.keyword) is not supported")
        }
        stage.config.history = (stage.config.history ?? []) + [
            ImageConfig.History(created: Builder.timestamp(options.created ?? options.epoch), createdBy: history,
                                comment: Builder.historyComment, emptyLayer: true),
        ]
    }

    /// What BuildKit writes as every history entry's comment.
    static let historyComment = "buildkit.dockerfile.v0"

    /// ENV and LABEL pairs, key and value each expanded (the legacy `KEY value` form is one pair).
    func keyValues(_ ins: Instruction, _ expand: (String) throws -> String) throws -> [(String, String)] {
        try stride(from: 0, to: ins.args.count, by: 3).map { k in
            let key = try expand(ins.args[k])
            guard !key.isEmpty else { throw BuildError("\(ins.keyword) \(ins.args[k])=…: the name expands to nothing") }
            return (key, try expand(ins.args[k + 1]))
        }
    }

    /// The exec form as given; the shell form's text after the stage's SHELL. Neither is expanded:
    /// the shell does that when the container starts.
    func command(_ ins: Instruction, stage: Stage) -> [String] {
        ins.json ? ins.args : stage.shell + [ins.args.joined(separator: " ")]
    }

    /// HEALTHCHECK NONE, or CMD with its flags; a duration or retry count of 0 means Docker's default.
    func healthcheck(_ ins: Instruction) throws -> ImageConfig.Healthcheck {
        if ins.args[0].uppercased() == "NONE" { return ImageConfig.Healthcheck(test: ["NONE"]) }
        let cmd = Array(ins.args.dropFirst())
        var h = ImageConfig.Healthcheck(test: ins.json ? ["CMD"] + cmd : ["CMD-SHELL", cmd.joined(separator: " ")])
        for (flag, value) in ins.flags {
            switch flag {
            case "retries":
                guard let n = Int32(value) else { throw BuildError("--retries=\(value): expected a whole number") }
                guard n >= 0 else { throw BuildError("--retries=\(value): retries cannot be negative") }
                h.retries = n == 0 ? nil : Int(n)
            default:
                let ns = value.isEmpty ? 0 : try GoDuration.parse(value, flag: flag)
                guard ns == 0 || ns >= 1_000_000 else {
                    throw BuildError("--\(flag)=\(value): a healthcheck duration is at least 1ms (0 means Docker's default)")
                }
                let set = ns == 0 ? nil : ns
                switch flag {
                case "interval": h.interval = set
                case "timeout": h.timeout = set
                case "start-period": h.startPeriod = set
                default: h.startInterval = set
                }
            }
        }
        return h
    }

    /// Resolves `path` against a directory, lexically, as WORKDIR and COPY destinations do.
    static func joinPath(_ base: String, _ path: String) -> String {
        "/" + (CleanPath.relative(path.hasPrefix("/") ? path : base + "/" + path, above: .clamp) ?? "")
    }
}
