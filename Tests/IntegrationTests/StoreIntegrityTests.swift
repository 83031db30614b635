import Foundation
import TestSupport
import Testing

/// The store keeps out other users, whatever the umask, and verify catches cache records that
/// would reuse a missing or damaged layer.
@Suite struct StoreIntegrityTests {
    /// Every directory and file under `root` that others could write to, or that is not 0700 (directories).
    static func loose(_ root: String) throws -> [String] {
        var out: [String] = []
        let all = [""] + (FileManager.default.subpaths(atPath: root) ?? []).map { "/" + $0 }
        for rel in all {
            var st = stat()
            guard lstat(root + rel, &st) == 0 else { continue }
            let mode = st.st_mode & 0o777
            let isDir = st.st_mode & S_IFMT == S_IFDIR
            if (isDir && mode != 0o700) || mode & 0o022 != 0 { out.append("\(rel.isEmpty ? "." : rel) \(String(mode, radix: 8))") }
        }
        return out
    }

    @Test func aStoreMadeUnderUmask000IsOwnerOnly() throws {
        try CLI.requireFixtures()
        let tmp = try makeTempDir("umask")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let home = tmp + "/cache/imagectl"
        try run(["env", "IMAGECTL_HOME=\(home)", "sh", "-c", "umask 000 && exec \"$0\" \"$@\"",
                 CLI.binary, "build", "--progress", "quiet", "-t", "u:1", CLI.hello])
        #expect(try Self.loose(home) == [])
        // The parent it had to create is the user's too.
        #expect(try Self.loose(tmp + "/cache").filter { !$0.hasPrefix("/imagectl") } == [])
    }

    @Test func anExistingWorldWritableStoreIsRestricted() throws {
        let tmp = try makeTempDir("loose")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let home = tmp + "/store"
        for dir in ["", "/cache", "/images", "/blobs", "/blobs/sha256"] {
            try FileManager.default.createDirectory(atPath: home + dir, withIntermediateDirectories: true)
            chmod(home + dir, 0o777)
        }
        #expect(try CLI.run(["images"], home: home).status == 0)
        #expect(try Self.loose(home) == [])
    }

    @Test func verifyRemovesCacheRecordsWhoseLayerIsMissingOrDamaged() throws {
        try CLI.requireFixtures()
        let tmp = try makeTempDir("records")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let home = tmp + "/store"
        #expect(try CLI.run(["build", "--progress", "quiet", "-t", "r:1", CLI.hello], home: home).status == 0)
        let records = try FileManager.default.contentsOfDirectory(atPath: home + "/cache").sorted()
        #expect(records.count == 4)
        let layers = try records.map { name -> String in
            let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(home)/cache/\(name)"))) as? [String: Any]
            return ((json?["descriptor"] as? [String: Any])?["digest"] as? String ?? "").replacingOccurrences(of: "sha256:", with: "")
        }
        try FileManager.default.removeItem(atPath: "\(home)/blobs/sha256/\(layers[0])")
        try Data("not the layer".utf8).write(to: URL(fileURLWithPath: "\(home)/blobs/sha256/\(layers[1])"))
        let verify = try CLI.run(["cache", "verify"], home: home)
        #expect(verify.status == 1)
        #expect(verify.stdout.contains("removed cache record \(records[0].dropLast(5)): its layer sha256:\(layers[0]) is missing"), "\(verify.stdout)")
        #expect(verify.stdout.contains("removed cache record \(records[1].dropLast(5)): its layer sha256:\(layers[1]) is corrupt"), "\(verify.stdout)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: home + "/cache").sorted() == Array(records[2...]))
        // The next build makes both layers again instead of reusing what is not there.
        let rebuild = try CLI.run(["build", "--progress", "plain", "-t", "r:1", CLI.hello], home: home)
        #expect(rebuild.stderr.contains("built 2 layer(s), reused 2"), "\(rebuild.stderr)")
        #expect(try CLI.run(["cache", "verify"], home: home).status == 0)
    }

    @Test func aLayoutBlobThatIsASymlinkIsNeverStoredAsOne() throws {
        try CLI.requireFixtures()
        let tmp = try makeTempDir("symlink-blob")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        #expect(try CLI.run(["build", "--progress", "quiet", "-t", "s:1", "--output", "type=oci,dest=\(tmp)/layout", CLI.hello],
                            home: tmp + "/first").status == 0)
        // The busybox layer points at a file outside the layout that its owner may change at will.
        let blobs = tmp + "/layout/blobs/sha256"
        let layer = try FileManager.default.contentsOfDirectory(atPath: blobs).max {
            (try FileManager.default.attributesOfItem(atPath: "\(blobs)/\($0)")[.size] as? Int ?? 0) <
                (try FileManager.default.attributesOfItem(atPath: "\(blobs)/\($1)")[.size] as? Int ?? 0)
        }!
        try FileManager.default.moveItem(atPath: "\(blobs)/\(layer)", toPath: tmp + "/elsewhere")
        try FileManager.default.createSymbolicLink(atPath: "\(blobs)/\(layer)", withDestinationPath: tmp + "/elsewhere")
        let home = tmp + "/second"
        let r = try CLI.run(["inspect", tmp + "/layout:1"], home: home)
        #expect(r.status == 1)
        #expect(r.stderr.contains("blob sha256:\(layer) came as a symlink"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
        var st = stat()
        #expect(lstat("\(home)/blobs/sha256/\(layer)", &st) != 0)
    }
}
