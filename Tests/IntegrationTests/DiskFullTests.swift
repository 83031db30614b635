import Foundation
import TestSupport
import Testing

/// A store on a full disk: one clear line, nothing partial left, the store still verifies.
@Suite struct DiskFullTests {
    @Test func aFullDiskIsOneClearLineAndLeavesNothing() throws {
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
        let r = try CLI.run(["build", "--progress", "quiet", tmp + "/ctx"], home: mountPoint + "/store")
        #expect(r.status == 1)
        #expect(r.stderr.contains("no space left on the device"), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
        #expect(try FileManager.default.contentsOfDirectory(atPath: mountPoint + "/store/tmp").isEmpty)
        #expect(try CLI.run(["cache", "verify"], home: mountPoint + "/store").stdout.contains(" 0 corrupt"))
    }
}
