import Foundation
import Layers
@testable import Rootfs
import TestSupport
import Testing

/// A layer made by Python's tarfile (an independent writer), gzipped as registries serve them.
func makeLayer(_ dir: String, _ name: String, _ script: String) throws -> String {
    let path = "\(dir)/\(name).tar.gz"
    _ = try run(["python3", "-c", """
        import io, tarfile
        tf = tarfile.open('\(path)', 'w:gz')
        def f(name, data=b'', mode=0o644, uid=0, gid=0):
            t = tarfile.TarInfo(name); t.size = len(data); t.mode = mode; t.uid = uid; t.gid = gid; tf.addfile(t, io.BytesIO(data))
        def d(name, mode=0o755, uid=0, gid=0):
            t = tarfile.TarInfo(name); t.type = tarfile.DIRTYPE; t.mode = mode; t.uid = uid; t.gid = gid; tf.addfile(t)
        def l(name, target):
            t = tarfile.TarInfo(name); t.type = tarfile.SYMTYPE; t.linkname = target; tf.addfile(t)
        \(script.split(separator: "\n").joined(separator: "\n"))
        tf.close()
        """])
    return path
}

@Suite struct LayerReaderTests {
    @Test func listsEntriesWhiteoutsAndOpaqueDirectories() throws {
        let dir = try makeTempDir("layer-reader")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let layer = try makeLayer(dir, "l", """
            d('etc'); f('etc/passwd', b'root:x:0:0:root:/root:/bin/sh\\n', 0o644)
            f('app/.wh.old.txt'); f('cache/.wh..wh..opq'); d('home/app', 0o700, 1000, 1000); l('bin', 'usr/bin')
            """)
        let listing = try LayerReader.list(layer, name: "l")
        #expect(listing.whiteouts == ["app/old.txt"])
        #expect(listing.opaque == ["cache"])
        let home = listing.entries.first { $0.path == "home/app" }
        #expect(home?.kind == .directory && home?.mode == 0o700 && home?.uid == 1000)
        #expect(listing.entries.first { $0.path == "bin" }?.link == "usr/bin")
        let passwd = try LayerReader.contents(of: "etc/passwd", in: layer, name: "l", limit: 1 << 20)
        #expect(passwd.map { String(decoding: $0, as: UTF8.self) } == "root:x:0:0:root:/root:/bin/sh\n")
        #expect(try LayerReader.contents(of: "etc/group", in: layer, name: "l", limit: 1 << 20) == nil)
        #expect(throws: RootfsError.self) { try LayerReader.contents(of: "etc/passwd", in: layer, name: "l", limit: 4) }
    }

    @Test func anEntryThatClimbsOutIsRefused() throws {
        let dir = try makeTempDir("layer-escape")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let layer = try makeLayer(dir, "bad", "f('a/../../etc/shadow', b'x')")
        #expect { try LayerReader.list(layer, name: "bad") } throws: { "\($0)".contains("climbs out of the root") }
    }
}

@Suite struct StageFilesystemTests {
    static func file(_ p: PathBytes) -> RootfsEntry { RootfsEntry(path: p, kind: .file, mode: 0o644) }
    static func dir(_ p: PathBytes, uid: Int = 0) -> RootfsEntry { RootfsEntry(path: p, kind: .directory, mode: 0o755, uid: uid, gid: uid) }
    static func link(_ p: PathBytes, _ t: PathBytes) -> RootfsEntry { RootfsEntry(path: p, kind: .symlink, mode: 0o777, link: t) }

    @Test func whiteoutsAndOpaqueDirectoriesHideWhatIsBelow() {
        var fs = StageFilesystem(layers: [LayerListing(entries: [Self.dir("etc"), Self.file("etc/a"), Self.file("etc/b"),
                                                                 Self.dir("var/cache"), Self.file("var/cache/x")])])
        fs.apply(LayerListing(entries: [Self.file("var/cache/new")], whiteouts: ["etc/a"], opaque: ["var/cache"]))
        #expect(fs.entry(at: "etc/a") == nil)
        #expect(fs.entry(at: "etc/b") != nil)
        #expect(fs.entry(at: "var/cache/x") == nil)
        #expect(fs.entry(at: "var/cache/new") != nil)
        #expect(fs.isDirectory("var/cache"))
    }

    @Test func parentsALayerDoesNotListAreDirectories() {
        let fs = StageFilesystem(layers: [LayerListing(entries: [Self.file("usr/local/bin/tool")])])
        #expect(fs.isDirectory("usr/local/bin"))
        #expect(fs.isDirectory("usr"))
        #expect(fs.isDirectory(""))
    }

    /// A whiteout and new entries in one layer: what was there goes, the new entries and the
    /// parents they need are there; an opaque directory's new contents stay.
    @Test func aLayerReplacesWhatItWhitesOut() {
        var fs = StageFilesystem(layers: [LayerListing(entries: [Self.dir("a", uid: 7), Self.file("a/old"), Self.dir("d/e", uid: 7),
                                                                 Self.file("d/e/old")])])
        fs.apply(LayerListing(entries: [Self.file("a/b/new"), Self.file("d/e/f")], whiteouts: ["a"], opaque: ["d"]))
        #expect(fs.entry(at: "a/old") == nil)
        #expect(fs.entry(at: "a")?.uid == 0 && fs.isDirectory("a/b"))
        #expect(fs.entry(at: "a/b/new") != nil)
        #expect(fs.entry(at: "d/e")?.uid == 0)
        #expect(fs.entry(at: "d/e/old") == nil && fs.entry(at: "d/e/f") != nil)
        #expect(fs.paths == ["a", "a/b", "a/b/new", "d", "d/e", "d/e/f"])
        #expect(fs.entries(below: "d").map(\.path) == ["d/e", "d/e/f"])
        // A directory a higher layer only fills keeps the lower layer's owner.
        fs.apply(LayerListing(entries: [Self.file("d/e/g")]))
        #expect(fs.entry(at: "d")?.kind == .directory && fs.entry(at: "d/e/f") != nil && fs.entry(at: "d/e/g") != nil)
        #expect(StageFilesystem(layers: [LayerListing(entries: [Self.dir("x", uid: 7)]), LayerListing(entries: [Self.file("x/y")])])
            .entry(at: "x")?.uid == 7)
    }

    /// Lookups from the top layer down give what merging the layers in order gave (the way the
    /// stack was made before), on random stacks of directories, files, whiteouts and opaque
    /// directories whose layers, like any a filesystem makes, put nothing below a file.
    @Test(arguments: 1...40)
    func agreesWithMergingTheLayers(seed: UInt64) {
        var rng = SplitMix(seed)
        let names: [PathBytes] = ["a", "b", "a-x", "a.y", "a0"]
        func path(_ depth: Int) -> PathBytes { PathBytes(joining: (0..<depth).map { _ in names[rng.below(names.count)] }) }
        var merged: [PathBytes: RootfsEntry] = [:]
        var fs = StageFilesystem()
        for _ in 0..<(1 + rng.below(5)) {
            var layer = LayerListing()
            for _ in 0..<rng.below(12) {
                let p = path(1 + rng.below(4))
                // Nothing below a file: not in this layer, and not below a file of the stack.
                let ancestors = Array(sequence(first: p.parent) { $0.isEmpty ? nil : $0.parent }.dropLast())
                if ancestors.contains(where: { a in layer.entries.contains { $0.path == a && $0.kind == .file } || merged[a].map { $0.kind == .file } ?? false })
                    || layer.entries.contains(where: { $0.path.isBelow(p) || $0.path == p })
                    || merged.keys.contains(where: { $0.isBelow(p) }) && rng.below(2) == 0 {
                    continue
                }
                layer.entries.append(rng.below(3) == 0 ? Self.file(p) : Self.dir(p, uid: rng.below(3)))
            }
            for _ in 0..<rng.below(3) { (rng.below(2) == 0 ? { layer.whiteouts.append($0) } : { layer.opaque.append($0) })(path(1 + rng.below(2))) }
            // The merge, as unpacking in order does it.
            let gone = Set(layer.whiteouts)
            let emptied = Set(layer.opaque)
            merged = merged.filter { p, _ in
                var a = p
                var first = true
                while true {
                    if gone.contains(a) || (!first && emptied.contains(a)) { return false }
                    if a.isEmpty { return true }
                    a = a.parent
                    first = false
                }
            }
            for e in layer.entries {
                if let old = merged[e.path], old.kind == .directory, e.kind != .directory { merged = merged.filter { !$0.key.isBelow(e.path) } }
                merged[e.path] = e
                var parent = e.path.parent
                while !parent.isEmpty, merged[parent] == nil {
                    merged[parent] = RootfsEntry(path: parent, kind: .directory, mode: 0o755)
                    parent = parent.parent
                }
            }
            fs.apply(layer)
        }
        #expect(fs.paths == merged.keys.sorted(), "seed \(seed)")
        #expect(fs.entries(below: "").map(\.path) == merged.keys.sorted())
        for (p, e) in merged { #expect(fs.entry(at: p) == e, "\(p) seed \(seed)") }
        #expect(fs.entries(below: "a") == merged.values.filter { $0.path.isBelow("a") }.sorted { $0.path < $1.path })
    }

    @Test func aFileReplacingADirectoryTakesItsContentsAway() {
        var fs = StageFilesystem(layers: [LayerListing(entries: [Self.dir("opt/app"), Self.file("opt/app/x")])])
        fs.apply(LayerListing(entries: [Self.file("opt/app")]))
        #expect(fs.entry(at: "opt/app/x") == nil)
        #expect(!fs.isDirectory("opt/app"))
    }

    /// Links are followed inside the root: an absolute target starts again at the root and `..`
    /// never climbs above it, so /etc -> /../../host/etc is still the stage's own /host/etc.
    @Test func linksResolveInsideTheRoot() throws {
        let fs = StageFilesystem(layers: [LayerListing(entries: [
            Self.dir("usr/bin"), Self.link("bin", "usr/bin"), Self.link("etc", "/../../private/etc"), Self.dir("private/etc"),
            Self.link("loop", "loop2"), Self.link("loop2", "loop"), Self.link("usr/bin/up", "../../../../bin"),
        ])])
        #expect(fs.isDirectory("bin"))
        #expect(try fs.resolve("bin/tool").path == "usr/bin/tool")
        #expect(try fs.resolve("etc/passwd").path == "private/etc/passwd")
        #expect(try fs.resolve("usr/bin/up").path == "usr/bin")
        #expect(fs.entry(at: "bin")?.kind == .symlink)
        #expect { try fs.resolve("loop/x") } throws: { "\($0)".contains("too many levels of symbolic links") }
    }
}

@Suite struct AccountsTests {
    static let accounts = Accounts(passwd: Data("""
        root:x:0:0:root:/root:/bin/sh
        # a comment
        broken line
        app:x:1000:1001:App:/home/app:/bin/sh
        """.utf8), group: Data("""
        root:x:0:
        app:x:1001:
        staff:x:50:app
        """.utf8))

    @Test(arguments: [("app", 1000, 1001), ("app:staff", 1000, 50), ("1000", 1000, 1000), ("1000:50", 1000, 50),
                      ("root:app", 0, 1001), ("app:7", 1000, 7)])
    func resolvesAsBuildKitDoes(spec: String, uid: Int, gid: Int) throws {
        let r = try AccountsTests.accounts.resolve(spec)
        #expect(r.uid == uid && r.gid == gid)
    }

    @Test(arguments: ["nobody", "app:nogroup", ":app", "99999999999"])
    func unknownNamesAreOneClearError(spec: String) {
        #expect(throws: RootfsError.self) { try AccountsTests.accounts.resolve(spec) }
    }
}

@Suite struct LayerIndexTests {
    static let listing = LayerListing(entries: [
        RootfsEntry(path: "etc", kind: .directory, mode: 0o755),
        RootfsEntry(path: PathBytes([0x63, 0x61, 0x66, 0xe9]), kind: .file, mode: 0o4755, uid: 1000, gid: 1000, size: 12),
        RootfsEntry(path: "bin", kind: .symlink, mode: 0o777, link: "usr/bin"),
    ], whiteouts: ["old"], opaque: ["cache"])

    /// Entries come back in path order, one per path (the last, as unpacking leaves it).
    @Test func roundTrips() {
        var sorted = LayerIndexTests.listing
        sorted.entries.sort { $0.path < $1.path }
        #expect(LayerIndex.decode(LayerIndex.encode(LayerIndexTests.listing)) == sorted)
        var twice = LayerIndexTests.listing
        twice.entries.append(RootfsEntry(path: "etc", kind: .symlink, mode: 0o777, link: "private/etc"))
        #expect(LayerIndex(twice).entry(at: "etc")?.link == "private/etc")
        #expect(LayerIndex(twice).count == 3)
    }

    /// Lookups are binary searches in the index as it lies; kept files come back byte for byte.
    @Test func looksUpWithoutDecoding() throws {
        var listing = LayerIndexTests.listing
        listing.entries += [RootfsEntry(path: "etc/passwd", kind: .file, mode: 0o644, size: 5),
                            RootfsEntry(path: "etc-x", kind: .file, mode: 0o644), RootfsEntry(path: "etc/sub/deep", kind: .file, mode: 0o600)]
        listing.kept["etc/passwd"] = Data("root\n".utf8)
        let index = try #require(LayerIndex(data: LayerIndex.encode(listing)))
        #expect(index.entry(at: "bin")?.link == "usr/bin")
        #expect(index.entry(at: "etc/sub/deep")?.mode == 0o600)
        #expect(index.entry(at: "etc/sub") == nil)
        #expect(index.kind(at: "etc") == .directory)
        #expect(index.hasEntries(below: "etc") && index.hasEntries(below: "etc/sub") && !index.hasEntries(below: "etc/passwd"))
        #expect(index.entries(below: "etc").map { index.entry($0).path } == ["etc/passwd", "etc/sub/deep"])
        #expect(index.isWhiteout("old") && !index.isWhiteout("cache") && index.isOpaque("cache"))
        #expect(index.kept("etc/passwd") == Data("root\n".utf8))
        #expect(index.kept("etc/group") == nil)
    }

    /// A damaged index is read as no index (the layer is listed again), never trusted, never a crash.
    @Test func everyTruncationAndFlippedByteIsHandled() {
        let good = [UInt8](LayerIndex.encode(LayerIndexTests.listing))
        for n in 0..<good.count { #expect(LayerIndex.decode(Data(good[0..<n])) == nil) }
        for i in good.indices {
            var bad = good
            bad[i] ^= 0xff
            _ = LayerIndex.decode(Data(bad))
        }
        var huge = good
        huge.replaceSubrange(LayerIndex.magic.count..<LayerIndex.magic.count + 8, with: [UInt8](repeating: 0xff, count: 8))
        #expect(LayerIndex.decode(Data(huge)) == nil)
    }
}

@Suite struct UnpackerTests {
    @Test func layersUnpackWithWhiteoutsAndStayInside() throws {
        let dir = try makeTempDir("unpack")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let base = try makeLayer(dir, "base", """
            d('etc'); f('etc/keep', b'k'); f('etc/old', b'o'); d('cache'); f('cache/lower', b'l'); f('bin/tool', b'#!', 0o755)
            l('escape', '/'); l('up', '../../../../tmp')
            """)
        let top = try makeLayer(dir, "top", """
            f('etc/.wh.old'); f('cache/.wh..wh..opq'); f('cache/upper', b'u'); f('escape/owned', b'x'); f('up/owned2', b'y')
            """)
        let root = dir + "/root"
        try Unpacker.unpack([(base, "base"), (top, "top")], into: root)
        let fm = FileManager.default
        #expect(fm.fileExists(atPath: root + "/etc/keep"))
        #expect(!fm.fileExists(atPath: root + "/etc/old"))
        #expect(!fm.fileExists(atPath: root + "/cache/lower"))
        #expect(fm.fileExists(atPath: root + "/cache/upper"))
        #expect((try fm.attributesOfItem(atPath: root + "/bin/tool")[.posixPermissions] as? Int) == 0o755)
        // Written through no link: nothing outside the root.
        #expect(!fm.fileExists(atPath: "/owned") && !fm.fileExists(atPath: "/tmp/owned2"))
    }
}

/// A small seeded generator, so a failing random case can be run again.
struct SplitMix {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
}
