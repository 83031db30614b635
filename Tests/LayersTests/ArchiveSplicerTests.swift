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
        #expect(ArchiveSplicer.isArchive(PathBytes(a)))
        #expect(!ArchiveSplicer.isArchive(PathBytes(dir + "/src/sub/f")))
        let layer = try LayerWriter().write([LayerEntry(path: "opt/x", kind: .archive(source: PathBytes(a)), mode: 0o755)], to: dir + "/layer")
        let listing = String(decoding: try run(["tar", "-tzf", dir + "/layer"]), as: UTF8.self)
        #expect(listing.contains("opt/x/sub/f"))
        #expect(layer.size > 0)
    }

    /// A hard link in a tar header has no file type (libarchive reads 0): it is kept as a hard
    /// link, not refused as a device. Root filesystem tarballs (mmdebstrap's perl) have them.
    @Test(arguments: ["tar --format=gnu", "tar --format=pax", "bsdtar"])
    func keepsHardLinksInsideTheArchive(_ tool: String) throws {
        let dir = try makeTempDir("add-hardlink")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = try archive(dir, "mkdir -p src/bin && echo x > src/bin/perl && ln src/bin/perl src/bin/perl5 && \(tool) -czf a.tar.gz -C src ./bin")
        _ = try LayerWriter().write([LayerEntry(path: "usr", kind: .archive(source: PathBytes(a)), mode: 0o755)], to: dir + "/layer")
        let listing = String(decoding: try run(["tar", "-tvzf", dir + "/layer"]), as: UTF8.self)
        #expect(listing.contains("usr/bin/perl5 link to usr/bin/perl") || listing.contains("usr/bin/perl link to usr/bin/perl5"), "\(listing)")
    }

    @Test func refusesEntriesThatClimbOut() throws {
        let dir = try makeTempDir("evil")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = try archive(dir, "mkdir -p w/in && echo x > w/evil && tar -czf a.tar.gz -C w/in --absolute-names ../evil")
        #expect(throws: LayerError.self) {
            try LayerWriter().write([LayerEntry(path: "opt", kind: .archive(source: PathBytes(a)), mode: 0o755)], to: dir + "/layer")
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
        // Huge or lying headers: refused by libarchive's 1 MB header cap or by Linux's name limits,
        // and a size that claims 8 GB is not padded out with zeros on the way to the error.
        ("huge-pax", "t = tarfile.TarInfo('a/' + 'x' * (8 << 20)); t.size = 1; tf.addfile(t, io.BytesIO(b'x'))", false),
        ("huge-gnu", "tf.format = tarfile.GNU_FORMAT; t = tarfile.TarInfo('a/' + 'y' * (8 << 20)); t.size = 1; tf.addfile(t, io.BytesIO(b'y'))", false),
        ("path-5k", "t = tarfile.TarInfo('/'.join(['x' * 200] * 25)); t.size = 1; tf.addfile(t, io.BytesIO(b'x'))", false),
        ("component-300", "t = tarfile.TarInfo('a/' + 'x' * 300); t.size = 1; tf.addfile(t, io.BytesIO(b'x'))", false),
        ("symlink-5k", "t = tarfile.TarInfo('l'); t.type = tarfile.SYMTYPE; t.linkname = 'z/' * 2500; tf.addfile(t)", false),
        ("size-8g", "t = tarfile.TarInfo('big'); t.size = 8 << 30; tf.fileobj.write(t.tobuf(format=tarfile.GNU_FORMAT))", false),
        ("through-symlink", "t = tarfile.TarInfo('etc'); t.type = tarfile.SYMTYPE; t.linkname = '/etc'; tf.addfile(t); t = tarfile.TarInfo('etc/passwd'); t.size = 1; tf.addfile(t, io.BytesIO(b'x'))", false),
        ("escaping-symlink-kept", "t = tarfile.TarInfo('contained'); t.type = tarfile.SYMTYPE; t.linkname = '../../../etc/passwd'; tf.addfile(t)", true),
        ("many-xattrs", "t = tarfile.TarInfo('c'); t.size = 1; t.pax_headers = {f'SCHILY.xattr.user.k{i}': 'v' * 10 for i in range(20000)}; tf.addfile(t, io.BytesIO(b'c'))", true),
    ])
    func craftedArchives(_ name: String, _ entry: String, _ accepted: Bool) throws {
        let dir = try makeTempDir("crafted-\(name)")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try run(["python3", "-c", "import io, sys, tarfile\ntf = tarfile.open(sys.argv[1], 'w:gz', format=tarfile.PAX_FORMAT)\n\(entry)\ntf.close()", dir + "/a.tar.gz"])
        let entries = [LayerEntry(path: "opt", kind: .archive(source: PathBytes(dir + "/a.tar.gz")), mode: 0o755)]
        if accepted {
            let layer = try LayerWriter().write(entries, to: dir + "/layer")
            #expect(layer.size > 0)
            let listing = String(decoding: try run(["tar", "-tzf", dir + "/layer"]), as: UTF8.self)
            #expect(listing.contains("opt/etc/contained") || listing.contains("opt/c"))
            if name == "escaping-symlink-kept" {
                let verbose = String(decoding: try run(["tar", "-tzvf", dir + "/layer"]), as: UTF8.self)
                #expect(verbose.contains("opt/contained -> ../../../etc/passwd") && verbose.hasPrefix("l"), "a symlink stays a symlink: \(verbose)")
            }
        } else {
            #expect(throws: LayerError.self) { try LayerWriter().write(entries, to: dir + "/layer") }
        }
    }
}
