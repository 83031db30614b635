import Foundation
import TestSupport
import Testing

/// A store on a full disk: one clear line, nothing partial left, the store still verifies.
@Suite struct DiskFullTests {
    /// Runs `body` with a temp dir holding a context with a 6 MB file (ctx/) and a 3 MB tmpfs (small/).
    static func withSmallDisk(_ body: (_ tmp: String, _ small: String) throws -> Void) throws {
        let tmp = try makeTempDir("diskfull")
        let mountPoint = tmp + "/small"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        try run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", mountPoint])
        defer {
            _ = try? run(["umount", mountPoint])
            try? FileManager.default.removeItem(atPath: tmp)
        }
        try run(["bash", "-c", "mkdir -p \(tmp)/ctx && head -c 6M /dev/urandom > \(tmp)/ctx/big.bin"])
        try write("FROM scratch\nCOPY big.bin /big.bin\n", to: tmp + "/ctx/Containerfile")
        try body(tmp, mountPoint)
    }

    @Test func aFullDiskIsOneClearLineAndLeavesNothing() throws {
        try Self.withSmallDisk { tmp, small in
            let r = try CLI.run(["build", "--progress", "quiet", tmp + "/ctx"], home: small + "/store")
            #expect(r.status == 1)
            #expect(r.stderr.contains("no space left on the device"), "\(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1)
            #expect(try FileManager.default.contentsOfDirectory(atPath: small + "/store/tmp").isEmpty)
            #expect(try CLI.run(["cache", "verify"], home: small + "/store").stdout.contains(" 0 corrupt"))
        }
    }

    /// Importing a layout into a store on a full disk (inspect reads it in; FROM oci-layout:// copies
    /// its layers): one line that says the disk is full, not Foundation's text or a missing blob.
    @Test func importingIntoAFullStoreSaysTheDiskIsFull() throws {
        try Self.withSmallDisk { tmp, small in
            let b = try CLI.run(["build", "--progress", "quiet", "-t", "big:1", "--output", "type=oci,dest=\(tmp)/app/base", tmp + "/ctx"],
                                home: tmp + "/store")
            #expect(b.status == 0, "\(b.stderr)")
            try write("FROM oci-layout://base:1\nLABEL a=b\n", to: tmp + "/app/Containerfile")
            for args in [["inspect", tmp + "/app/base:1"], ["build", "--progress", "quiet", tmp + "/app"]] {
                let r = try CLI.run(args, home: small + "/store")
                #expect(r.status == 1, "\(args[0]): \(r.stderr)")
                #expect(r.stderr.split(separator: "\n").count == 1, "\(args[0]): \(r.stderr)")
                #expect(r.stderr.contains("No space left on device: free space on that filesystem and run again"), "\(args[0]): \(r.stderr)")
                #expect(!r.stderr.contains("NSCocoaErrorDomain") && !r.stderr.contains("missing"), "\(args[0]): \(r.stderr)")
            }
        }
    }

    /// A layout written to another, full filesystem (blobs are copied, not linked, there).
    @Test func anExportToAFullDiskSaysSoAndLeavesNoPartialBlob() throws {
        try Self.withSmallDisk { tmp, small in
            let r = try CLI.run(["build", "--progress", "quiet", "--output", "type=oci,dest=\(small)/layout", tmp + "/ctx"], home: tmp + "/store")
            #expect(r.status == 1, "\(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
            #expect(r.stderr.contains("No space left on device: free space on that filesystem and run again"), "\(r.stderr)")
            #expect(!r.stderr.contains("couldn’t"), "\(r.stderr)")
            let left = (try? FileManager.default.contentsOfDirectory(atPath: small + "/layout/blobs/sha256")) ?? []
            #expect(!left.contains { $0.contains(".tmp-") }, "\(left)")
        }
    }
}
