import Foundation
import OCI

/// Unpacked layers for RUN: `snapshots/<chain ID>` holds one layer in overlayfs's form, made
/// once and never changed, stacked under a step's writable directory. `run/` is the OCI
/// runtime's state, so containers a killed imagectl left are found by the next one.
extension Store {
    public func snapshotPath(_ chainID: Digest) -> String { "\(root)/snapshots/\(chainID.hex)" }

    public var runtimeStateRoot: String { root + "/run" }

    /// The snapshot for `chainID`, made by `fill` (which unpacks into the directory it is given)
    /// when it is not there yet: in a temp directory, renamed into place once whole.
    public func snapshot(_ chainID: Digest, fill: (String) throws -> Void) throws -> String {
        let path = snapshotPath(chainID)
        // Kept from prune while this handle lives.
        lease.record(chainID)
        try Store.makePrivateDirectory(root + "/snapshots")
        if access(path, F_OK) == 0 { return path }
        let tmp = tempPath("snapshot")
        do {
            try fill(tmp)
        } catch {
            FileTree.removeTree(tmp)
            throw error
        }
        if rename(tmp, path) != 0 {
            let reason = String(cString: strerror(errno))
            FileTree.removeTree(tmp)
            // Another build made it first: theirs is the same.
            guard access(path, F_OK) == 0 else { throw StoreError.io(path, reason) }
        }
        return path
    }

    /// A directory of the store that is there, not a link out of it, and not another user's.
    func isOwnDirectory(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFDIR && st.st_uid == geteuid()
    }

    /// Takes `dir` (a directory on the store's filesystem, in the form `snapshot` fills) as the
    /// snapshot for `chainID`, unless there is one already.
    public func adoptSnapshot(_ chainID: Digest, from dir: String) {
        lease.record(chainID)
        guard (try? Store.makePrivateDirectory(root + "/snapshots")) != nil else { return }
        let path = snapshotPath(chainID)
        guard access(path, F_OK) != 0 else { return }
        _ = rename(dir, path)
    }

    /// Removes snapshots no live build uses (they are made again from the layers when needed) and,
    /// with `all`, every cache mount. Called by prune with the store lock held.
    func pruneSnapshots(live: Set<Digest>, all: Bool, into r: inout PruneResult) {
        let dir = root + "/snapshots"
        for name in (isOwnDirectory(dir) ? try? FileManager.default.contentsOfDirectory(atPath: dir) : nil) ?? [] {
            if let d = try? Digest(parsing: "sha256:" + name), live.contains(d) { continue }
            let size = Store.treeSize(dir + "/" + name)
            FileTree.removeTree(dir + "/" + name)
            if access(dir + "/" + name, F_OK) != 0 {
                r.snapshotsRemoved += 1
                r.bytesFreed += size
            }
        }
        guard all else { return }
        let caches = root + "/cachemounts"
        for name in (isOwnDirectory(caches) ? try? FileManager.default.contentsOfDirectory(atPath: caches) : nil) ?? [] where !name.hasSuffix(".lock") {
            let size = Store.treeSize(caches + "/" + name)
            FileTree.removeTree(caches + "/" + name)
            if access(caches + "/" + name, F_OK) != 0 {
                r.cacheMountsRemoved += 1
                r.bytesFreed += size
            }
        }
    }

    /// Bytes the files under `path` take, links not followed.
    static func treeSize(_ path: String) -> Int64 {
        var total: Int64 = 0
        var st = stat()
        guard lstat(path, &st) == 0 else { return 0 }
        total += Int64(st.st_size)
        if st.st_mode & S_IFMT == S_IFDIR {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] { total += treeSize(path + "/" + name) }
        }
        return total
    }

    /// Unmounts what steps of dead imagectl processes left mounted under `tmp/` (a kill -9 gives no
    /// chance to unmount), so their directories can go.
    public func releaseStaleMounts() {
        guard let text = KernelFile.text("/proc/self/mountinfo"),
              let live = try? Lease.live(root: root).ids else { return }
        let prefix = tmpDir + "/"
        var stale: [String] = []
        for line in text.split(separator: "\n") {
            let fields = line.split(separator: " ")
            guard fields.count > 4 else { continue }
            let point = Store.unescapeMountPath(String(fields[4]))
            guard point.hasPrefix(prefix) else { continue }
            let name = String(point.dropFirst(prefix.count).prefix { $0 != "/" })
            if let owner = Lease.owner(ofTemp: name), live.contains(owner) { continue }
            stale.append(point)
        }
        // Deepest first: a mount inside another goes before it.
        for point in stale.sorted(by: { $0.count > $1.count }) { _ = umount2(point, Int32(MNT_DETACH)) }
    }

    /// Unmounts and removes what imagectl processes that died left under `tmp/` (a step's
    /// directories, a half-made snapshot): what a build with RUN does before its first step.
    public func removeWhatDeadBuildsLeft() {
        releaseStaleMounts()
        guard let live = try? Lease.live(root: root).ids else { return }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: tmpDir)) ?? [] {
            guard let owner = Lease.owner(ofTemp: name), !live.contains(owner) else { continue }
            FileTree.removeTree("\(tmpDir)/\(name)")
        }
    }

    /// Whether the temp name (or a container named after one) belongs to a lease whose process is gone.
    public func isAbandoned(tempName: String) -> Bool {
        guard let owner = Lease.owner(ofTemp: tempName), let live = try? Lease.live(root: root).ids else { return false }
        return !live.contains(owner)
    }

    /// mountinfo writes a space, tab, newline and backslash in a path as an octal escape.
    static func unescapeMountPath(_ s: String) -> String {
        guard s.contains("\\") else { return s }
        var out: [UInt8] = []
        let b = Array(s.utf8)
        var i = 0
        while i < b.count {
            if b[i] == 0x5c, i + 3 < b.count, let v = UInt8(String(decoding: b[(i + 1)...(i + 3)], as: UTF8.self), radix: 8) {
                out.append(v)
                i += 4
            } else {
                out.append(b[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

extension Store {
    /// `cachemounts/<digest of the id>`: a RUN cache mount's directory, kept between builds and
    /// never in a layer; `cache prune --all` empties it.
    public func cacheMountPath(id: String) throws -> String {
        try Store.makePrivateDirectory(root + "/cachemounts")
        return "\(root)/cachemounts/\(Digest.sha256(Array(id.utf8)).hex)"
    }
}
