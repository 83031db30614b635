import CArchive
import Foundation
import Layers
import OCI
@testable import Rootfs
import TestSupport
import Testing

/// The rule every snapshotter must keep, on random stacks and random steps: the step sees the
/// stage as the layers make it, and its layer, put over the stage, gives back what the step left.
/// The same steps are run through kernel overlayfs, fuse-overlayfs and a copy (as root, on the
/// mounts directly: no runtime), and the copy gives overlayfs's entries.
@Suite(.serialized) struct SnapshotterTests {
    static let all: [Snapshotter] = [.overlay, .fuseOverlayfs, .copy]

    @Test(arguments: 0..<16 as Range<UInt64>)
    func everySnapshotterGivesTheLayerThatRemakesTheStep(seed: UInt64) throws {
        let tmp = try makeTempDir("snap")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        var rng = SplitMix(seed)
        var lowers: [String] = []
        for n in 0..<3 { lowers.append(try Self.randomLayer("\(tmp)/layers/\(n)", below: lowers, rng: &rng)) }
        var results: [Snapshotter: (before: Model, after: Model, entries: [Model.Entry])] = [:]
        for s in Self.all {
            let root = try StepRoot(lowers: lowers, dir: "\(tmp)/\(s.rawValue)", environment: [Snapshotter.variable: s.rawValue])
            defer { root.remove() }
            #expect(root.snapshotter == s)
            let before = try Model(root.merged)
            var ops = SplitMix(seed &* 7919)
            try Self.randomStep(root.merged, rng: &ops)
            let after = try Model(root.merged)
            let entries = try root.changes(lower: before.stage).map(Model.Entry.init)
            results[s] = (before, after, entries)
            #expect(before.applying(entries) == after, "\(s.rawValue), seed \(seed): the layer over the stage is not what the step left:\n\(entries.map(\.description).joined(separator: "\n"))")
        }
        // fuse-overlayfs is its own overlay: it copies up more than the kernel (the other paths
        // of a hard link a step unlinks) and moves directories itself, so only the rule above
        // holds for it; the copy gives overlayfs's layer, entry for entry.
        let overlay = try #require(results[.overlay])
        for s in Self.all.dropFirst() {
            #expect(results[s]?.before == overlay.before, "\(s.rawValue), seed \(seed): the step's root is not the stage")
        }
        #expect(results[.copy]?.after == overlay.after, "seed \(seed): the step left another filesystem on the copy")
        #expect(results[.copy]?.entries == overlay.entries, """
            seed \(seed): not the layer overlayfs gives:
            \(results[.copy]?.entries.map(\.description).joined(separator: "\n") ?? "")
            overlay:
            \(overlay.entries.map(\.description).joined(separator: "\n"))
            """)
    }

    /// fuse-overlayfs without the privilege to make devices writes deletions as `.wh.` files: the
    /// same layer.
    @Test func fuseWhiteoutFilesGiveTheSameLayer() throws {
        let tmp = try makeTempDir("snap-wh")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        var rng = SplitMix(99)
        var lowers: [String] = []
        for n in 0..<2 { lowers.append(try Self.randomLayer("\(tmp)/layers/\(n)", below: lowers, rng: &rng)) }
        var got: [[Model.Entry]] = []
        for (n, env) in [[:], ["FUSE_OVERLAYFS_DISABLE_OVL_WHITEOUT": "1"]].enumerated() {
            let root = try StepRoot(lowers: lowers, dir: "\(tmp)/\(n)", environment: env.merging([Snapshotter.variable: "fuse-overlayfs"]) { a, _ in a })
            defer { root.remove() }
            let before = try Model(root.merged)
            var ops = SplitMix(5)
            try Self.randomStep(root.merged, rng: &ops)
            got.append(try root.changes(lower: before.stage).map(Model.Entry.init))
        }
        #expect(got[0].contains { $0.path.lastComponent.hasPrefix(".wh.") && $0.path.lastComponent != ".wh..wh..opq" })
        #expect(got[0] == got[1])
    }

    /// A file with a capability keeps it through the copy, is left out when the step does not touch
    /// it, and goes in with it when the step changes its times.
    @Test(arguments: [Snapshotter.overlay, .fuseOverlayfs, .copy])
    func capabilitiesAreKept(_ s: Snapshotter) throws {
        let tmp = try makeTempDir("snap-cap")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let layer = try makeLayer(tmp, "cap", """
            t = tarfile.TarInfo('bin/ping'); data = b'#!/bin/sh\\n'; t.size = len(data); t.mode = 0o755
            t.pax_headers = {'SCHILY.xattr.security.capability': '\\x01\\x00\\x00\\x02\\x00\\x20\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00'}
            tf.addfile(t, io.BytesIO(data))
            f('bin/other', b'x')
            """)
        try OverlayLayer.unpack(layer, name: "cap", into: tmp + "/l")
        let root = try StepRoot(lowers: [tmp + "/l"], dir: tmp + "/step", environment: [Snapshotter.variable: s.rawValue])
        defer { root.remove() }
        let cap = LayerXattrs.read(PathBytes(root.merged + "/bin/ping")) { $0 == "security.capability" }?["security.capability"]
        #expect(cap?.count == 20, "the step sees the capability")
        let before = try Model(root.merged)
        #expect(utimensat(AT_FDCWD, root.merged + "/bin/ping", [timespec(tv_sec: 5, tv_nsec: 0), timespec(tv_sec: 5, tv_nsec: 0)], AT_SYMLINK_NOFOLLOW) == 0)
        let entries = try root.changes(lower: before.stage)
        #expect(entries.map(\.path) == ["bin", "bin/ping"])
        #expect(entries.last?.xattrs?["security.capability"] == cap)
    }

    /// overlayfs's own attributes, which a step may set on its files, never reach a layer: a
    /// consumer's overlay would read them as opaque markers or redirects.
    @Test(arguments: [Snapshotter.overlay, .fuseOverlayfs, .copy])
    func overlaysOwnAttributesStayOut(_ s: Snapshotter) throws {
        let tmp = try makeTempDir("snap-ovl-attrs")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let layer = try makeLayer(tmp, "base", "d('d1'); f('d1/x', b'x'); d('etc')")
        try OverlayLayer.unpack(layer, name: "base", into: tmp + "/l")
        let root = try StepRoot(lowers: [tmp + "/l"], dir: tmp + "/step", environment: [Snapshotter.variable: s.rawValue])
        defer { root.remove() }
        let before = try Model(root.merged)
        for (path, key, value) in [("d1", "user.overlay.opaque", "y"), ("etc", "user.overlay.redirect", "/d1"), ("etc", "user.note", "kept")] {
            _ = setxattr(root.merged + "/" + path, key, value, value.utf8.count, 0)
        }
        #expect(utimensat(AT_FDCWD, root.merged + "/d1/x", [timespec(tv_sec: 5, tv_nsec: 0), timespec(tv_sec: 5, tv_nsec: 0)], 0) == 0)
        let entries = try root.changes(lower: before.stage)
        let keys = entries.flatMap { ($0.xattrs ?? [:]).keys }
        #expect(!keys.contains { $0.hasPrefix("user.overlay.") || $0.hasPrefix("trusted.") }, "\(s.rawValue): \(entries.map { "\($0.path)" })")
        #expect(entries.contains { $0.path == "d1/x" }, "\(s.rawValue): \(entries.map { "\($0.path)" })")
        // fuse-overlayfs keeps a step's user.overlay.opaque in its upper directory, where it is
        // one of its own opaque marks; the kernel's overlay (as root) and a copy have no such mark.
        if s != .fuseOverlayfs {
            #expect(!entries.contains { $0.path.lastComponent == ".wh..wh..opq" }, "a step's user.overlay.opaque hides nothing")
        }
    }

    /// A comma or colon in a snapshot's path would split the mount options into other lower
    /// directories: such a path is refused, not mounted.
    @Test(arguments: [Snapshotter.overlay, .fuseOverlayfs])
    func pathsThatWouldSplitMountOptionsAreRefused(_ s: Snapshotter) throws {
        let tmp = try makeTempDir("snap-comma")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        for odd in ["/l,lowerdir=/", "/l:x"] {
            try FileManager.default.createDirectory(atPath: tmp + odd, withIntermediateDirectories: true)
            #expect {
                try StepRoot(lowers: [tmp + odd], dir: tmp + "/step", environment: [Snapshotter.variable: s.rawValue])
            } throws: { "\($0)".contains("overlay mount options cannot carry a path with") }
            #expect(!FileManager.default.fileExists(atPath: tmp + "/step"), "nothing is left of the step")
        }
    }

    // MARK: random stacks and steps

    static let names = ["a", "b", "c", "d"]

    /// A layer in overlayfs's form, as `OverlayLayer.unpack` leaves one: files with owners, modes,
    /// attributes and links, devices 0/0 for deletions (of what a layer `below` holds, as a
    /// build writes them), opaque directories.
    static func randomLayer(_ dir: String, below: [String], rng: inout SplitMix) throws -> String {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        for _ in 0..<(8 + rng.below(8)) {
            let depth = 1 + rng.below(3)
            let parts = (0..<depth).map { _ in names[rng.below(names.count)] }
            let path = dir + "/" + parts.joined(separator: "/")
            // Parents that are not directories in this layer are made ones.
            var st = stat()
            for n in 1..<parts.count {
                let parent = dir + "/" + parts.prefix(n).joined(separator: "/")
                if lstat(parent, &st) == 0, st.st_mode & S_IFMT != S_IFDIR { unlink(parent) }
                mkdir(parent, 0o755)
            }
            if lstat(path, &st) == 0 { continue }
            switch rng.below(7) {
            case 0, 1: try writeFile(path, rng: &rng)
            case 2: mkdir(path, 0o755)
            case 3: symlink("../" + names[rng.below(names.count)], path)
            case 4:
                let rel = parts.joined(separator: "/")
                if below.contains(where: { lstat($0 + "/" + rel, &st) == 0 && !(st.st_mode & S_IFMT == S_IFCHR && st.st_rdev == 0) }) {
                    mknod(path, S_IFCHR, 0)
                } else {
                    try writeFile(path, rng: &rng)
                }
            case 5:
                mkdir(path, 0o750)
                setxattr(path, "trusted.overlay.opaque", "y", 1, 0)
            default:
                try writeFile(path, rng: &rng)
                link(path, path + "-link")
            }
        }
        return dir
    }

    static func writeFile(_ path: String, rng: inout SplitMix) throws {
        let bytes = (0..<rng.below(40)).map { _ in UInt8(rng.below(256)) }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        chmod(path, [0o644, 0o600, 0o755, 0o4755][rng.below(4)])
        chown(path, [0, 1000][rng.below(2)], [0, 1000][rng.below(2)])
        if rng.below(3) == 0 { setxattr(path, "user.note", "n\(rng.below(9))", 2, 0) }
        if rng.below(4) == 0 {
            let cap: [UInt8] = [1, 0, 0, 2, UInt8(rng.below(64)), 0, 0, 0] + [UInt8](repeating: 0, count: 12)
            setxattr(path, "security.capability", cap, cap.count, 0)
        }
        // Times from a tar have no nanoseconds: the copy's differ must read these.
        utimensat(AT_FDCWD, path, [timespec(tv_sec: 1000, tv_nsec: 0), timespec(tv_sec: 1000 + rng.below(3), tv_nsec: 0)], AT_SYMLINK_NOFOLLOW)
    }

    /// Operations a step does, on what the root holds: each changes what it touches (overlayfs
    /// copies up what is opened for writing even when nothing changes, a copy sees only changes),
    /// and files that already have several links are left alone (overlayfs breaks such links when
    /// it copies one up, and copies up the others when one goes, where a copy keeps them).
    static func randomStep(_ root: String, rng: inout SplitMix) throws {
        for _ in 0..<(6 + rng.below(6)) {
            let model = try Model(root)
            let paths = model.nodes.keys.sorted()
            let dirs = [""] + paths.filter { model.nodes[$0]?.kind == "d" }
            let single = paths.filter { model.nodes[$0]?.kind == "f" && model.nodes[$0]?.links.isEmpty == true }
            // Directories holding no file with several links: mv's copy (overlayfs refuses to move
            // a directory) would break such a link where a rename keeps it.
            let linked = paths.filter { model.nodes[$0]?.links.isEmpty == false }
            let plainDirs = dirs.filter { d in !d.isEmpty && !linked.contains { $0.hasPrefix(d + "/") } }
            func pick(_ from: [String]) -> String? { from.isEmpty ? nil : from[rng.below(from.count)] }
            func fresh() -> String? {
                guard let d = pick(dirs) else { return nil }
                let p = (d.isEmpty ? "" : d + "/") + "n\(rng.below(5))"
                return model.nodes[p] == nil ? p : nil
            }
            func at(_ p: String) -> String { root + "/" + p }
            switch rng.below(14) {
            case 0: if let p = fresh() { try writeFile(at(p), rng: &rng) }
            case 1:
                if let p = pick(single), let h = FileHandle(forWritingAtPath: at(p)) {
                    h.seekToEndOfFile()
                    h.write(Data([UInt8(rng.below(256)), 1]))
                    h.closeFile()
                }
            case 2: if let p = pick(paths.filter { model.nodes[$0]?.kind != "d" && model.nodes[$0]?.links.isEmpty == true }) { unlink(at(p)) }
            case 3: if let p = pick(plainDirs) { FileTree.removeTree(at(p)) }
            case 4:
                if let p = pick(plainDirs) {
                    FileTree.removeTree(at(p))
                    mkdir(at(p), 0o700)
                    try writeFile(at(p) + "/again", rng: &rng)
                }
            case 5: if let p = fresh() { mkdir(at(p), 0o755) }
            case 6:
                if let p = pick(single + dirs.filter { !$0.isEmpty }), let mode = model.nodes[p]?.mode {
                    chmod(at(p), mode == 0o711 ? 0o700 : 0o711)
                }
            case 7: if let p = pick(single), let uid = model.nodes[p]?.uid { chown(at(p), uid == 0 ? 2000 : 0, 2000) }
            case 8: if let p = fresh() { symlink("/elsewhere/\(rng.below(9))", at(p)) }
            case 9: if let p = pick(single), let q = fresh() { link(at(p), at(q)) }
            case 10: if let p = pick(single), let q = fresh() { rename(at(p), at(q)) }
            case 11:
                // A directory moved: overlayfs without redirects refuses (EXDEV) and mv copies it.
                if let p = pick(plainDirs), let q = fresh(), !q.hasPrefix(p + "/"), rename(at(p), at(q)) != 0 {
                    #expect(errno == EXDEV)
                    _ = try run(["cp", "-a", at(p), at(q)])
                    FileTree.removeTree(at(p))
                }
            case 12: if let p = pick(single) { setxattr(at(p), "user.step", "v\(rng.below(1000))", 4, 0) }
            default:
                if let p = pick(single) {
                    utimensat(AT_FDCWD, at(p), [timespec(tv_sec: 7, tv_nsec: 0), timespec(tv_sec: 7, tv_nsec: 1 + rng.below(1000))], AT_SYMLINK_NOFOLLOW)
                }
            }
        }
    }
}

/// A filesystem as a layer can describe it: kinds, modes, owners, bytes, link targets, the
/// attributes a layer keeps, and which files are links of one another.
struct Model: Equatable {
    struct Node: Equatable {
        var kind: String
        var mode: UInt32
        var uid: Int
        var gid: Int
        var data: [UInt8] = []
        var xattrs: [String: [UInt8]] = [:]
        /// The other paths of a file with several links.
        var links: Set<String> = []
    }

    var nodes: [String: Node] = [:]

    init(nodes: [String: Node]) { self.nodes = nodes }

    init(_ root: String) throws {
        var inodes: [UInt64: [String]] = [:]
        func walk(_ rel: String) throws {
            for name in try FileManager.default.contentsOfDirectory(atPath: root + "/" + rel).sorted() {
                let p = rel.isEmpty ? name : rel + "/" + name
                var st = stat()
                guard lstat(root + "/" + p, &st) == 0 else { continue }
                var n = Node(kind: "?", mode: UInt32(st.st_mode) & 0o7777, uid: Int(st.st_uid), gid: Int(st.st_gid))
                n.xattrs = LayerXattrs.read(PathBytes(root + "/" + p), keep: LayerXattrs.belongsInLayer) ?? [:]
                switch st.st_mode & S_IFMT {
                case S_IFDIR: n.kind = "d"
                case S_IFREG:
                    n.kind = "f"
                    n.data = Array(FileManager.default.contents(atPath: root + "/" + p) ?? Data())
                    if st.st_nlink > 1 { inodes[UInt64(st.st_ino), default: []].append(p) }
                case S_IFLNK:
                    n.kind = "l"
                    n.mode = 0o777
                    n.data = Array(try FileManager.default.destinationOfSymbolicLink(atPath: root + "/" + p).utf8)
                default: continue
                }
                nodes[p] = n
                if n.kind == "d" { try walk(p) }
            }
        }
        try walk("")
        for group in inodes.values where group.count > 1 {
            for p in group { nodes[p]?.links = Set(group).subtracting([p]) }
        }
    }

    /// The stage as StageFilesystem gives it to the differs.
    var stage: StageFilesystem {
        StageFilesystem(layers: [LayerListing(entries: nodes.map { p, n in
            RootfsEntry(path: PathBytes(p), kind: n.kind == "d" ? .directory : n.kind == "l" ? .symlink : .file, mode: n.mode, uid: n.uid, gid: n.gid)
        })])
    }

    /// One layer entry, its file's bytes read.
    struct Entry: Equatable, CustomStringConvertible {
        var path: PathBytes
        var kind: String
        var mode: UInt32
        var uid: Int
        var gid: Int
        var data: [UInt8] = []
        var xattrs: [String: [UInt8]]

        init(_ e: LayerEntry) throws {
            path = e.path
            mode = e.mode
            uid = e.uid
            gid = e.gid
            xattrs = e.xattrs ?? [:]
            switch e.kind {
            case .directory: kind = "d"
            case .file(let source, _):
                kind = "f"
                data = Array(FileManager.default.contents(atPath: source.description) ?? Data())
            case .symlink(let t): kind = "l"; data = t.bytes
            case .hardlink(let t): kind = "h"; data = t.bytes
            case .archive: kind = "?"
            }
        }

        var description: String { "\(kind) \(path) \(String(mode, radix: 8)) \(uid):\(gid) \(data.count)B \(xattrs.keys.sorted())" }
    }

    /// The filesystem with `entries` put over it, as a runtime unpacks a layer.
    func applying(_ entries: [Entry]) -> Model {
        var out = nodes
        func removeBelow(_ p: String) { for k in out.keys where k.hasPrefix(p + "/") { out[k] = nil } }
        func remove(_ p: String) {
            for (k, n) in out where n.links.contains(p) { out[k]?.links.remove(p) }
            out[p] = nil
            removeBelow(p)
        }
        for e in entries {
            let p = e.path.description
            let name = e.path.lastComponent.description
            let parent = e.path.parent.description
            if name == ".wh..wh..opq" {
                if parent.isEmpty { out = [:] } else { removeBelow(parent) }
                continue
            }
            if name.hasPrefix(".wh.") {
                remove((parent.isEmpty ? "" : parent + "/") + name.dropFirst(4))
                continue
            }
            if e.kind == "d", out[p]?.kind == "d" {
                out[p]?.mode = e.mode
                out[p]?.uid = e.uid
                out[p]?.gid = e.gid
                out[p]?.xattrs = e.xattrs
                continue
            }
            remove(p)
            if e.kind == "h" {
                let target = String(decoding: e.data, as: UTF8.self)
                guard var n = out[target] else { continue }
                let group = n.links.union([target])
                for q in group { out[q]?.links.insert(p) }
                n.links = group
                out[p] = n
                continue
            }
            out[p] = Node(kind: e.kind, mode: e.mode, uid: e.uid, gid: e.gid, data: e.data, xattrs: e.xattrs)
        }
        return Model(nodes: out)
    }
}

/// Which snapshotter a step gets.
@Suite struct SnapshotterChoiceTests {
    /// Attempts that fail as unavailable for the snapshotters in `missing`, noting what was tried.
    final class Attempts {
        var tried: [Snapshotter] = []
        let missing: Set<Snapshotter>
        init(_ missing: Set<Snapshotter>) { self.missing = missing }
        func run(_ s: Snapshotter) throws {
            tried.append(s)
            if missing.contains(s) { throw SnapshotterUnavailable("\(s.rawValue) is missing") }
        }
    }

    @Test(arguments: [(Set<Snapshotter>(), Snapshotter.overlay), (Set([Snapshotter.overlay]), Snapshotter.fuseOverlayfs),
                      (Set([Snapshotter.overlay, .fuseOverlayfs]), Snapshotter.copy)] as [(Set<Snapshotter>, Snapshotter)])
    func theFirstThatWorksIsTakenAndTheOthersNotTriedAgain(missing: Set<Snapshotter>, expected: Snapshotter) throws {
        let memo = Snapshotter.Memo()
        let first = Attempts(missing)
        #expect(try Snapshotter.choose([:], memo: memo, attempt: first.run) == expected)
        #expect(first.tried == Snapshotter.allCases.filter { missing.contains($0) } + [expected])
        let again = Attempts(missing)
        #expect(try Snapshotter.choose([:], memo: memo, attempt: again.run) == expected)
        #expect(again.tried == [expected], "what failed as unavailable is not tried again")
        // A fallback is told once, with why; taking the first one is not news.
        let notice = memo.fallbackNotice()
        if missing.isEmpty {
            #expect(notice == nil)
        } else {
            #expect(notice?.hasPrefix("steps run on \(expected == .copy ? "a copy of the stage" : expected.rawValue), slower") == true, "\(notice ?? "")")
            #expect(missing.allSatisfy { notice?.contains("\($0.rawValue) is missing") == true }, "\(notice ?? "")")
            #expect(memo.fallbackNotice() == nil, "once")
        }
    }

    @Test func anotherFailureIsTheStepsError() {
        let attempts = Attempts([])
        #expect(throws: RootfsError.self) {
            try Snapshotter.choose([:], memo: Snapshotter.Memo()) { s in
                attempts.tried.append(s)
                throw RootfsError("disk full")
            }
        }
        #expect(attempts.tried == [.overlay], "no fallback from an error that is not about availability")
    }

    @Test(arguments: Snapshotter.allCases)
    func aForcedOneIsTheOnlyOneAndItsFailureOneLine(_ forced: Snapshotter) throws {
        let env = [Snapshotter.variable: forced.rawValue]
        let works = Attempts([])
        #expect(try Snapshotter.choose(env, memo: Snapshotter.Memo(), attempt: works.run) == forced)
        #expect(works.tried == [forced])
        do {
            _ = try Snapshotter.choose(env, memo: Snapshotter.Memo(), attempt: Attempts(Set(Snapshotter.allCases)).run)
            Issue.record("a forced snapshotter that cannot work must fail")
        } catch {
            #expect("\(error)" == "IMAGECTL_SNAPSHOTTER=\(forced.rawValue): \(forced.rawValue) is missing")
        }
        #expect(throws: RootfsError.self) { try Snapshotter.forced([Snapshotter.variable: "vfs"]) }
    }
}
