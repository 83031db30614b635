import Foundation
import TestSupport
import Testing

/// A store on a disk with no room left: what must still work works, what cannot says why.
@Suite(.serialized) struct DiskFullStoreTests {
    /// A small tmpfs of its own, filled up by the caller when it wants it full.
    final class SmallDisk {
        let tmp: String
        let mount: String

        init(megabytes: Int) throws {
            tmp = try makeTempDir("small-disk")
            mount = tmp + "/disk"
            try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
            try run(["mount", "-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", mount])
        }

        /// Takes every byte left.
        func fill() throws {
            try run(["sh", "-c", "dd if=/dev/zero of=\(mount)/filler bs=64k 2> /dev/null; test -s \(mount)/filler"])
        }

        func remove() {
            _ = try? run(["umount", mount])
            try? FileManager.default.removeItem(atPath: tmp)
        }
    }

    @Test func aPushOfABuiltImageNeedsNoRoomInTheStore() throws {
        try CLI.requireFixtures()
        let disk = try SmallDisk(megabytes: 8)
        let registry = try TestRegistry("plain")
        defer { registry.stop(); disk.remove() }
        let home = disk.mount + "/store"
        #expect(try CLI.run(["build", "--progress", "quiet", "-t", "full:1", CLI.hello], home: home).status == 0)
        try disk.fill()
        let push = try CLI.run(["push", "full:1", "--repository", "\(registry.host)/ml/full", "--progress", "plain"], home: home)
        #expect(push.status == 0, "\(push.stderr)")
        try run(["skopeo", "inspect", "--raw", "--tls-verify=false", "docker://\(registry.host)/ml/full:1"])
    }
}
