import Foundation
import Layers
import OCI
import Rootfs
import Runtime
import Store

/// What one RUN --mount adds to the step: its part of the cache key, always, and on a miss the
/// bind, tmpfs or environment the runtime gets.
struct PlannedMount {
    var mount: RunMount
    var target: String
    /// The stage or image a bind reads (nil: the build context).
    var stage: Stage?
    /// Context files a bind brings, by index.
    var contextFiles: [Int] = []
    var key: String
}

extension Builder {
    /// Reads the step's --mount flags and what each one's key is made of: a bind's content (the
    /// context files' digests, or the stage's layers), a cache's id, a secret's id and whether it
    /// is given (never its value).
    func planMounts(_ ins: Instruction, stage: Stage, plan: StagePlan, built: [Int: Stage], platform: Platform) throws -> [PlannedMount] {
        let words = plan.words
        var out: [PlannedMount] = []
        for value in ins.values(of: "mount") {
            let m = try RunMount(parsing: value) { try words.expand($0, stage.lookup) }
            var target = m.kind == .secret ? (m.secretTarget ?? "") : m.target
            if m.kind != .secret || !target.isEmpty {
                guard !target.isEmpty else { throw BuildError("--mount=\(value): a mount needs a target") }
                target = Builder.joinPath(stage.workdir, target)
                guard target != "/" else { throw BuildError("invalid mount target \"\(m.target)\"") }
            }
            var p = PlannedMount(mount: m, target: target, key: "")
            switch m.kind {
            case .bind:
                let source = Builder.cleanSource(m.source)
                if let from = m.from {
                    let s = try copySource(from, ins: ins, plan: plan, built: built, platform: platform, flag: "RUN --mount from")
                    p.stage = s
                    p.key = "bind \(target) \(m.readOnly) from \(s.layers.map(\.digest.description).joined(separator: ",")) \(source)"
                } else {
                    let files = try contextFiles(source, value: value)
                    try context.hash(files.filter { context.files[$0].type == .file })
                    p.contextFiles = files
                    var text = "bind \(target) \(m.readOnly) context \(source)\n"
                    for i in files {
                        let f = context.files[i]
                        text += "\(f.path)\u{0}\(f.type) \(f.mode) \(f.size) \(f.digest?.hex ?? "") \(f.linkTarget?.description ?? "")\n"
                    }
                    p.key = Digest.sha256(Array(text.utf8)).description
                }
            case .cache:
                // A cache's content is not an input: it only makes the step faster.
                p.key = "cache \(target)"
            case .tmpfs:
                p.key = "tmpfs \(target) \(m.sizeLimit ?? 0)"
            case .secret:
                let given = options.secrets[m.secretID] != nil
                if m.required, !given {
                    throw BuildError("secret \(m.secretID) is required but not given: pass --secret id=\(m.secretID),src=FILE (or env=VAR)")
                }
                p.key = "secret \(m.secretID) \(target) \(m.env ?? "") \(given)"
            case .ssh:
                break
            }
            out.append(p)
        }
        return out
    }

    /// The context files a bind of `source` brings: the path itself and what is below it.
    func contextFiles(_ source: String, value: String) throws -> [Int] {
        if source.isEmpty { return Array(context.files.indices) }
        guard let i = context.index(of: PathBytes(source)) else {
            throw BuildError("--mount=\(value): \(source) is not in the build context")
        }
        return [i] + Array(context.indexes(under: PathBytes(source)))
    }

    /// Gives the step its mounts, in `dir`; what is mounted for a bind from a stage is returned
    /// to be removed when the step ends, and a cache taken with sharing=locked stays locked until then.
    func attach(_ planned: [PlannedMount], to step: inout StepSpec, dir: String) throws -> [AnyObject] {
        var held: [AnyObject] = []
        // Caches this step locked, by directory: a second mount of the same id shares the lock.
        var locked: [String: CacheLock] = [:]
        for (n, p) in planned.enumerated() {
            let m = p.mount
            switch m.kind {
            case .bind:
                var source: String
                if let s = p.stage {
                    let root = try StepRoot(lowers: try snapshots(s), dir: store.tempPath("from"))
                    held.append(root)
                    source = root.merged
                } else {
                    source = "\(dir)/bind-\(n)"
                    try materialize(p.contextFiles, base: PathBytes(Builder.cleanSource(m.source)), into: source)
                }
                // A path in a stage is followed inside its root: a link there to /etc names the
                // stage's /etc, never the host's.
                if let s = p.stage {
                    let real = try rootfs.filesystem(s.layers).resolve(PathBytes(Builder.cleanSource(m.source)))
                    guard real.entry != nil else { throw BuildError("--mount: \(m.source) does not exist in \(m.from ?? "that stage")") }
                    source = try Builder.inside(source, real.path.description)
                }
                step.binds.append(.init(source: source, destination: p.target, readOnly: m.readOnly))
            case .cache:
                let (path, lock) = try cacheDirectory(m, dir: "\(dir)/cache-\(n)", locked: &locked)
                if let lock { held.append(lock) }
                let sub = Builder.cleanSource(m.source)
                var source = path
                if !sub.isEmpty {
                    // Earlier steps wrote this directory: its subdirectory is opened (and made)
                    // one element at a time without following a link they left, and the runtime
                    // mounts what was opened.
                    let base = try FileTree.open(path)
                    defer { close(base) }
                    let fd: Int32
                    do { fd = try FileTree.openDirectory(base, PathBytes(sub).components.map(\.bytes), create: true) } catch {
                        throw BuildError("--mount: \(m.source) in the cache: \(error)")
                    }
                    held.append(OpenDirectory(fd))
                    source = "/proc/\(getpid())/fd/\(fd)"
                }
                step.binds.append(.init(source: source, destination: p.target, readOnly: m.readOnly))
            case .tmpfs:
                step.tmpfs.append(.init(destination: p.target, size: m.sizeLimit))
            case .secret:
                guard let given = options.secrets[m.secretID] else { continue }
                let value = try secretValue(given, id: m.secretID)
                if let name = m.env { step.env.append("\(name)=\(String(decoding: value, as: UTF8.self))") }
                if !p.target.isEmpty {
                    let file = "\(dir)/secret-\(n)"
                    guard FileManager.default.createFile(atPath: file, contents: value, attributes: [.posixPermissions: Int(m.mode ?? 0o400)]) else {
                        throw BuildError("secret \(m.secretID) could not be written for the step")
                    }
                    chown(file, m.uid ?? 0, m.gid ?? 0)
                    chmod(file, mode_t(m.mode ?? 0o400))
                    step.binds.append(.init(source: file, destination: p.target, readOnly: true))
                }
            case .ssh:
                break
            }
        }
        return held
    }

    /// `root/rel` with every link resolved, which must still be inside `root`.
    static func inside(_ root: String, _ rel: String) throws -> String {
        guard let realRoot = realpath(root, nil) else { throw BuildError("\(root): \(String(cString: strerror(errno)))") }
        defer { free(realRoot) }
        let base = String(cString: realRoot)
        guard !rel.isEmpty else { return base }
        guard let real = realpath(base + "/" + rel, nil) else { throw BuildError("--mount: \(rel): \(String(cString: strerror(errno)))") }
        defer { free(real) }
        let path = String(cString: real)
        guard path == base || path.hasPrefix(base + "/") else {
            throw BuildError("--mount: \(rel) leads out of the directory it is mounted from through a symbolic link")
        }
        return path
    }

    /// A copy of context files, as the step may change a read-write bind without touching the context.
    func materialize(_ files: [Int], base: PathBytes, into dir: String) throws {
        let fm = FileManager.default
        if files.count == 1, context.files[files[0]].type == .file {
            try fm.copyItem(atPath: context.absolute(context.files[files[0]].path).description, toPath: dir)
            return
        }
        try fm.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let skip = base.isEmpty ? 0 : base.bytes.count + 1
        for i in files {
            let f = context.files[i]
            guard f.path.bytes.count > skip || base.isEmpty else { continue }
            let rel = f.path.dropFirst(skip)
            guard !rel.isEmpty else { continue }
            let to = PathBytes(dir).appending(rel).description
            switch f.type {
            case .directory: try fm.createDirectory(atPath: to, withIntermediateDirectories: true)
            case .file: try fm.copyItem(atPath: context.absolute(f.path).description, toPath: to)
            case .symlink: try fm.createSymbolicLink(atPath: to, withDestinationPath: f.linkTarget?.description ?? "")
            }
        }
    }

    /// The cache mount's directory: shared by every step that names its id; `locked` waits for
    /// the one using it; `private` takes a fresh one when it is in use.
    func cacheDirectory(_ m: RunMount, dir: String, locked: inout [String: CacheLock]) throws -> (String, AnyObject?) {
        let id = m.id.isEmpty ? (m.target as NSString).standardizingPath : m.id
        let path = try store.cacheMountPath(id: id)
        if !FileManager.default.fileExists(atPath: path) {
            let tmp = store.tempPath("cachemount")
            try FileManager.default.createDirectory(atPath: tmp, withIntermediateDirectories: true)
            chmod(tmp, mode_t(m.mode ?? 0o755))
            chown(tmp, m.uid ?? 0, m.gid ?? 0)
            if rename(tmp, path) != 0 { try? FileManager.default.removeItem(atPath: tmp) }
        }
        let sharing = m.sharing ?? .shared
        guard sharing != .shared else { return (path, nil) }
        if locked[path] != nil { return (path, nil) }
        // Waiting for another build's step lets this build's other platforms go on.
        let lock = try unlocked { try CacheLock(path + ".lock", wait: sharing == .locked) }
        if lock.held {
            locked[path] = lock
            return (path, lock)
        }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        chmod(dir, mode_t(m.mode ?? 0o755))
        chown(dir, m.uid ?? 0, m.gid ?? 0)
        return (dir, nil)
    }

    /// A secret's bytes, from its file or variable: at most 512 KiB (BuildKit's limit is 500 KB).
    func secretValue(_ source: SecretSource, id: String) throws -> Data {
        switch source {
        case .environment(let name):
            guard let v = ProcessInfo.processInfo.environment[name] else {
                throw BuildError("secret \(id): the variable \(name) is not set")
            }
            return Data(v.utf8)
        case .file(let path):
            guard let h = FileHandle(forReadingAtPath: path) else { throw BuildError("secret \(id): \(path) cannot be read") }
            defer { try? h.close() }
            let data = (try? h.read(upToCount: 512 << 10 + 1)) ?? Data()
            guard data.count <= 512 << 10 else { throw BuildError("secret \(id): \(path) is larger than 512 KiB") }
            return data
        }
    }
}

/// A directory kept open while a step has it mounted through /proc/PID/fd.
final class OpenDirectory {
    let fd: Int32
    init(_ fd: Int32) { self.fd = fd }
    deinit { close(fd) }
}

/// An flock on a cache mount's lock file, released when this goes.
final class CacheLock {
    let fd: Int32
    let held: Bool

    init(_ path: String, wait: Bool) throws {
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw BuildError("\(path): \(String(cString: strerror(errno)))") }
        held = flock(fd, LOCK_EX | (wait ? 0 : LOCK_NB)) == 0
    }

    deinit { close(fd) }
}
