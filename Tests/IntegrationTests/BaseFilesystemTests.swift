import Foundation
import TestSupport
import Testing

/// COPY onto a base that has a real /etc, /usr/local/bin and /etc/passwd: the rules BuildKit
/// applies against the stage's filesystem, checked by unpacking the result with umoci.
@Suite struct BaseFilesystemTests {
    @Test func copyFollowsTheBasesDirectoriesAndNames() throws {
        let tmp = try makeTempDir("base-fs")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        // The base: an /etc with users, a /usr/local/bin, and /bin as a link, as Debian has it.
        try write("root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001:App:/home/app:/bin/sh\n", to: tmp + "/base/rootfs/etc/passwd")
        try write("root:x:0:\napp:x:1001:\n", to: tmp + "/base/rootfs/etc/group")
        try write("keep\n", to: tmp + "/base/rootfs/etc/hostname")
        try write("#!/bin/sh\n", to: tmp + "/base/rootfs/usr/local/bin/existing")
        try FileManager.default.createSymbolicLink(atPath: tmp + "/base/rootfs/bin", withDestinationPath: "usr/local/bin")
        try write("FROM scratch\nCOPY rootfs/ /\n", to: tmp + "/base/Containerfile")
        let base = try CLI.run(["build", "-q", "-t", "base:1", "-o", "type=oci,dest=\(tmp)/layout", tmp + "/base"], home: tmp + "/store")
        #expect(base.status == 0, "\(base.stderr)")
        try write("x=1\n", to: tmp + "/app/conf")
        try write("#!/bin/sh\necho hi\n", to: tmp + "/app/entrypoint.sh")
        try write("data\n", to: tmp + "/app/src/a.txt")
        try write("""
            FROM oci-layout://\(tmp)/layout:1
            COPY conf /etc
            COPY entrypoint.sh /usr/local/bin
            COPY entrypoint.sh /bin/tool
            COPY --chown=app:app src/ /srv/data/
            """, to: tmp + "/app/Containerfile")
        let app = try CLI.run(["build", "-q", "-t", "app:1", "-o", "type=oci,dest=\(tmp)/out", tmp + "/app"], home: tmp + "/store")
        #expect(app.status == 0, "\(app.stderr)")
        _ = try run(["umoci", "unpack", "--image", "\(tmp)/out:1", tmp + "/bundle"])
        let root = tmp + "/bundle/rootfs"
        let fm = FileManager.default
        #expect(fm.fileExists(atPath: root + "/etc/conf"), "COPY conf /etc lands inside /etc")
        #expect(fm.fileExists(atPath: root + "/etc/hostname"), "the base's /etc keeps its files")
        #expect(fm.fileExists(atPath: root + "/usr/local/bin/entrypoint.sh"))
        #expect(fm.fileExists(atPath: root + "/usr/local/bin/tool"), "a link in the destination is followed inside the root")
        #expect((try? fm.destinationOfSymbolicLink(atPath: root + "/bin")) == "usr/local/bin")
        for dir in ["/srv", "/srv/data"] {
            let a = try fm.attributesOfItem(atPath: root + dir)
            #expect(a[.ownerAccountID] as? Int == 1000 && a[.groupOwnerAccountID] as? Int == 1001, "\(dir): \(a)")
        }
        let file = try fm.attributesOfItem(atPath: root + "/srv/data/a.txt")
        #expect(file[.ownerAccountID] as? Int == 1000)
        try write("FROM oci-layout://\(tmp)/layout:1\nCOPY --chown=nobody conf /etc/\n", to: tmp + "/bad.Containerfile")
        let unknown = try CLI.run(["build", "-q", "-f", tmp + "/bad.Containerfile", tmp + "/app"], home: tmp + "/store")
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no user \"nobody\" in the stage's /etc/passwd"), "\(unknown.stderr)")
    }
}
