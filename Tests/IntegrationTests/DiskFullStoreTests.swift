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

    @Test func anImportThatRunsOutOfRoomSaysSo() throws {
        try CLI.requireFixtures()
        let disk = try SmallDisk(megabytes: 3)
        defer { disk.remove() }
        let big = disk.tmp + "/big"
        try run(["bash", "-c", "mkdir -p \(big) && head -c 6M /dev/urandom > \(big)/big.bin"])
        try write("FROM scratch\nCOPY big.bin /big.bin\n", to: big + "/Containerfile")
        #expect(try CLI.run(["build", "--progress", "quiet", "-t", "big:1", "--output", "type=oci,dest=\(disk.tmp)/big.tar", big],
                            home: disk.tmp + "/roomy").status == 0)
        let r = try CLI.run(["inspect", disk.tmp + "/big.tar"], home: disk.mount + "/store")
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("imagectl: error: \(disk.tmp)/big.tar: unpacking into the store: No space left on device"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: disk.mount + "/store/tmp").isEmpty)
    }
}
