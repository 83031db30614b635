import Foundation
import TestSupport
import Testing

/// A step's upper directory is kept as its layer's snapshot, and a later step must see there
/// exactly what it would see unpacked from the layer: the layer's times, its deletions, and none
/// of the mount points the runtime made.
@Suite(.serialized) struct RunSnapshotTests {
    static let steps = """
        RUN /bin/busybox mkdir -p /a/b && echo x > /a/b/f && echo y > /top && /bin/busybox rm /etc/group
        RUN --mount=type=tmpfs,target=/newdir/t echo z > /z
        FROM 0 AS look
        RUN (/bin/busybox stat -c '%Y %a %n' /a /a/b /a/b/f /top /z; /bin/busybox ls -a /newdir /etc) > /seen 2>&1 || true

        """

    @Test func aLaterStepSeesTheKeptUpperAsTheUnpackedLayer() throws {
        try CLI.requireFixtures()
        let tmp = try makeTempDir("run-snapshot")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        try RunTests.context(tmp + "/ctx", Self.steps)
        let home = tmp + "/store"
        let first = try CLI.run(["build", "--progress", "plain", "-o", "type=oci,dest=\(tmp)/kept", "-t", "s:1", tmp + "/ctx"], home: home)
        #expect(first.status == 0, "\(first.stderr)")
        // The snapshots go; the layers stay: the last stage's step runs again on unpacked layers.
        let prune = try CLI.run(["cache", "prune"], home: home)
        #expect(prune.status == 0 && prune.stdout.contains("snapshot"), "\(prune.stdout)")
        let second = try CLI.run(["build", "--progress", "plain", "--no-cache-filter", "look", "-o", "type=oci,dest=\(tmp)/unpacked", "-t", "s:1", tmp + "/ctx"], home: home)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stderr.contains("RUN (/bin/busybox stat") && second.stderr.contains(": built "), "\(second.stderr)")
        let root = try RunTests.unpack(tmp + "/kept", arch: "amd64", into: tmp + "/bundle")
        let seen = String(decoding: FileManager.default.contents(atPath: root + "/seen") ?? Data(), as: UTF8.self)
        let unpacked = try RunTests.unpack(tmp + "/unpacked", arch: "amd64", into: tmp + "/bundle2")
        #expect(FileManager.default.contents(atPath: unpacked + "/seen").map { String(decoding: $0, as: UTF8.self) } == seen,
                "the step saw the same on the kept upper as on the unpacked layers")
        #expect(seen.hasPrefix("0 755 /a\n0 755 /a/b\n0 644 /a/b/f\n0 644 /top\n0 644 /z\n"), "the layer's times: \(seen)")
        #expect(seen.contains("/newdir': No such file or directory") || seen.contains("/newdir: No such file"), "no mount point of the runtime: \(seen)")
        #expect(!seen.contains("group"), "the deletion: \(seen)")
    }
}
