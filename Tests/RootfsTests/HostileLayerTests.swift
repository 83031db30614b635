import CArchive
import Foundation
import Layers
@testable import Rootfs
import TestSupport
import Testing

/// Layers made to reach out of the directory they are unpacked into: through a link the same or
/// an earlier layer wrote, or with a whiteout that names no file. Nothing outside may change.
@Suite struct HostileLayerTests {
    /// A directory outside the unpack root, with a file the layers aim at.
    func victim(_ dir: String) throws -> String {
        try write("keep\n", to: dir + "/victim/target")
        try write("keep\n", to: dir + "/victim/sub/file")
        return dir + "/victim"
    }

    func untouched(_ victim: String) -> Bool {
        FileManager.default.contents(atPath: victim + "/target") == Data("keep\n".utf8)
            && FileManager.default.contents(atPath: victim + "/sub/file") == Data("keep\n".utf8)
            && (try? FileManager.default.contentsOfDirectory(atPath: victim).sorted()) == ["sub", "target"]
    }

    @Test func overlayWhiteoutsDoNotFollowALinkTheLayerWrote() throws {
        let dir = try makeTempDir("hostile-overlay")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let v = try victim(dir)
        for script in ["l('a', '\(v)'); f('a/.wh.target')", "l('b', '../../../../../../..\(v)'); f('b/.wh..wh..opq')",
                       "l('c', '\(v)'); f('c/made/by/layer/.wh.x')"] {
            let layer = try makeLayer(dir, "l", script)
            try? FileManager.default.removeItem(atPath: dir + "/root")
            #expect(throws: RootfsError.self) { try OverlayLayer.unpack(layer, name: "l", into: dir + "/root") }
            #expect(untouched(v), "\(script)")
        }
    }

    @Test func unpackedWhiteoutsDoNotFollowALinkAnEarlierLayerWrote() throws {
        let dir = try makeTempDir("hostile-unpack")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let v = try victim(dir)
        let first = try makeLayer(dir, "one", "l('a', '\(v)')")
        let second = try makeLayer(dir, "two", "f('a/.wh.target'); f('a/sub/.wh..wh..opq')")
        try Unpacker.unpack([(first, "one"), (second, "two")], into: dir + "/root")
        #expect(untouched(v))
    }

    @Test(arguments: [".wh..", ".wh.", "x/.wh.."])
    func aWhiteoutThatNamesNoFileIsRefused(_ name: String) throws {
        let dir = try makeTempDir("hostile-wh")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let v = try victim(dir)
        let layer = try makeLayer(dir, "l", "f('\(name)')")
        #expect(throws: RootfsError.self) { try LayerReader.list(layer, name: "l") }
        try FileManager.default.createDirectory(atPath: dir + "/victim/out", withIntermediateDirectories: true)
        #expect(throws: RootfsError.self) { try Unpacker.unpack([(layer, "l")], into: dir + "/victim/out") }
        #expect(FileManager.default.contents(atPath: v + "/target") == Data("keep\n".utf8))
    }

    /// overlayfs's own attributes in a layer would redirect or hide directories of the stack:
    /// trusted.overlay.* as root, user.overlay.* where it is mounted in a user namespace.
    @Test func overlayAttributesAreNotWritten() throws {
        let dir = try makeTempDir("hostile-xattr")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let layer = "\(dir)/x.tar"
        _ = try run(["python3", "-c", """
            import tarfile
            tf = tarfile.open('\(layer)', 'w', format=tarfile.PAX_FORMAT)
            t = tarfile.TarInfo('d'); t.type = tarfile.DIRTYPE; t.mode = 0o755
            t.pax_headers = {'SCHILY.xattr.trusted.overlay.redirect': '/e', 'SCHILY.xattr.user.overlay.opaque': 'y',
                             'SCHILY.xattr.user.note': 'kept'}
            tf.addfile(t); tf.close()
            """])
        try OverlayLayer.unpack(layer, name: "x", into: dir + "/root")
        var buf = [UInt8](repeating: 0, count: 64)
        #expect(getxattr(dir + "/root/d", "trusted.overlay.redirect", &buf, buf.count) < 0)
        #expect(getxattr(dir + "/root/d", "user.overlay.opaque", &buf, buf.count) < 0)
        #expect(getxattr(dir + "/root/d", "user.note", &buf, buf.count) == 4)
    }
}
