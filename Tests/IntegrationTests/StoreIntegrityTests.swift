import Foundation
import TestSupport
import Testing

/// The store keeps out other users, whatever the umask.
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
}
