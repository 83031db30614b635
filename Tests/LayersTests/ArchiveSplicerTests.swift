import Foundation
import Layers
import OCI
import TestSupport
import Testing

@Suite struct ArchiveSplicerTests {
    func archive(_ dir: String, _ build: String) throws -> String {
        try run(["bash", "-c", "cd \(dir) && \(build)"])
        return dir + "/a.tar.gz"
    }

    @Test func unpacksUnderTheDestination() throws {
        let dir = try makeTempDir("add")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = try archive(dir, "mkdir -p src/sub && echo hi > src/sub/f && tar -czf a.tar.gz -C src .")
        #expect(ArchiveSplicer.isArchive(a))
        #expect(!ArchiveSplicer.isArchive(dir + "/src/sub/f"))
        let layer = try LayerWriter().write([LayerEntry(path: "opt/x", kind: .archive(source: a), mode: 0o755)], to: dir + "/layer")
        let listing = String(decoding: try run(["tar", "-tzf", dir + "/layer"]), as: UTF8.self)
        #expect(listing.contains("opt/x/sub/f"))
        #expect(layer.size > 0)
    }

    @Test func refusesEntriesThatClimbOut() throws {
        let dir = try makeTempDir("evil")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = try archive(dir, "mkdir -p w/in && echo x > w/evil && tar -czf a.tar.gz -C w/in --absolute-names ../evil")
        #expect(throws: LayerError.self) {
            try LayerWriter().write([LayerEntry(path: "opt", kind: .archive(source: a), mode: 0o755)], to: dir + "/layer")
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/opt"))
    }

    /// Crafted archives: what would escape or is not a plain file is refused; absolute paths are contained.
    @Test(arguments: [
        ("dev", "t = tarfile.TarInfo('dev/null0'); t.type = tarfile.CHRTYPE; t.devmajor = 1; t.devminor = 3; tf.addfile(t)", false),
        ("hardlink", "t = tarfile.TarInfo('link'); t.type = tarfile.LNKTYPE; t.linkname = '../../etc/passwd'; tf.addfile(t)", false),
        ("dotdot", "d = b'x'; t = tarfile.TarInfo('a/../../escape'); t.size = 1; tf.addfile(t, io.BytesIO(d))", false),
        ("fifo", "t = tarfile.TarInfo('pipe'); t.type = tarfile.FIFOTYPE; tf.addfile(t)", false),
        ("absolute", "d = b'x'; t = tarfile.TarInfo('/etc/contained'); t.size = 1; tf.addfile(t, io.BytesIO(d))", true),
    ])
    func craftedArchives(_ name: String, _ entry: String, _ accepted: Bool) throws {
        let dir = try makeTempDir("crafted-\(name)")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try run(["python3", "-c", "import io, sys, tarfile\ntf = tarfile.open(sys.argv[1], 'w:gz')\n\(entry)\ntf.close()", dir + "/a.tar.gz"])
        let entries = [LayerEntry(path: "opt", kind: .archive(source: dir + "/a.tar.gz"), mode: 0o755)]
        if accepted {
            let layer = try LayerWriter().write(entries, to: dir + "/layer")
            #expect(layer.size > 0)
            #expect(String(decoding: try run(["tar", "-tzf", dir + "/layer"]), as: UTF8.self).contains("opt/etc/contained"))
        } else {
            #expect(throws: LayerError.self) { try LayerWriter().write(entries, to: dir + "/layer") }
        }
    }
}
