import Foundation
import TestSupport
import Testing

/// An OCI layout output is the user's to edit: it shares nothing with the store, and writing into
/// an existing layout keeps what is there and trusts none of it.
@Suite struct LayoutOutputTests {
    static func inode(_ path: String) -> UInt {
        var st = stat()
        return lstat(path, &st) == 0 ? UInt(st.st_ino) : 0
    }

    @Test func anExportSharesNoInodeWithTheStore() throws {
        try CLI.requireFixtures()
        let tmp = try makeTempDir("layout-copy")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let home = tmp + "/store"
        let r = try CLI.run(["build", "--progress", "quiet", "-t", "copy:1", "--output", "type=oci,dest=\(tmp)/out", CLI.hello], home: home)
        #expect(r.status == 0, "\(r.stderr)")
        let blobs = try FileManager.default.contentsOfDirectory(atPath: tmp + "/out/blobs/sha256")
        #expect(blobs.count == 6)
        for b in blobs {
            #expect(Self.inode("\(tmp)/out/blobs/sha256/\(b)") != Self.inode("\(home)/blobs/sha256/\(b)"), "\(b) is the store's own file")
            // Whatever is done to the export, the store stays whole.
            chmod("\(tmp)/out/blobs/sha256/\(b)", 0o666)
            try Data("edited".utf8).write(to: URL(fileURLWithPath: "\(tmp)/out/blobs/sha256/\(b)"))
        }
        let verify = try CLI.run(["cache", "verify"], home: home)
        #expect(verify.status == 0, "\(verify.stdout)")
    }

    @Test func anExistingLayoutKeepsItsImagesAndLosesItsDamage() throws {
        try CLI.requireFixtures()
        let tmp = try makeTempDir("layout-into")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let home = tmp + "/store"
        let out = tmp + "/out"
        #expect(try CLI.run(["build", "--progress", "quiet", "-t", "into:one", "--output", "type=oci,dest=\(out)", CLI.hello], home: home).status == 0)
        // Every blob already there is damaged, its size kept; the next export must not take it as it is.
        for b in try FileManager.default.contentsOfDirectory(atPath: out + "/blobs/sha256") {
            let url = URL(fileURLWithPath: "\(out)/blobs/sha256/\(b)")
            var bytes = try Data(contentsOf: url)
            bytes[0] ^= 0xff
            try bytes.write(to: url)
        }
        #expect(try CLI.run(["export", "into:one", "--output", "type=oci,dest=\(out)"], home: home).status == 0)
        try run(["cp", "-a", CLI.hello, tmp + "/ctx"])
        try write("bias 0.2\nw 2\n", to: tmp + "/ctx/model/weights.txt")
        #expect(try CLI.run(["build", "--progress", "quiet", "-t", "into:two", "--output", "type=oci,dest=\(out)", tmp + "/ctx"], home: home).status == 0)
        for tag in ["one", "two"] {
            try run(["oci-image-tool", "validate", "--type", "image", "--ref", "name=\(tag)", out])
        }
    }

    @Test func anUnreadableIndexIsAnErrorNotReplaced() throws {
        try CLI.requireFixtures()
        let tmp = try makeTempDir("layout-bad-index")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let out = tmp + "/out"
        try write("{\"imageLayoutVersion\":\"1.0.0\"}", to: out + "/oci-layout")
        try write("{\"manifests\": [ truncated", to: out + "/index.json")
        let r = try CLI.run(["build", "--progress", "quiet", "-t", "bad:1", "--output", "type=oci,dest=\(out)", CLI.hello], home: tmp + "/store")
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("imagectl: error: \(out)/index.json: is not an OCI image index"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
        #expect(try String(contentsOfFile: out + "/index.json", encoding: .utf8) == "{\"manifests\": [ truncated")
        #expect(!FileManager.default.fileExists(atPath: out + "/blobs"))
    }
}
