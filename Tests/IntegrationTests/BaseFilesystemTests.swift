import Foundation
import TestSupport
import Testing

/// COPY onto a base that has a real /etc, /usr/local/bin and /etc/passwd: the rules BuildKit
/// applies against the stage's filesystem, checked by unpacking the result with umoci.
@Suite struct BaseFilesystemTests {
    /// An OCI layout at tmp/layout, tagged 1, holding `files` and /bin as a link to usr/local/bin.
    static func layout(_ tmp: String, _ files: [String: String], then more: String = "") throws {
        for (path, text) in files { try write(text, to: tmp + "/base/rootfs/" + path) }
        try FileManager.default.createSymbolicLink(atPath: tmp + "/base/rootfs/bin", withDestinationPath: "usr/local/bin")
        try write("FROM scratch\nCOPY rootfs/ /\n" + more, to: tmp + "/base/Containerfile")
        let base = try CLI.run(["build", "-q", "-t", "base:1", "-o", "type=oci,dest=\(tmp)/layout", tmp + "/base"], home: tmp + "/store")
        #expect(base.status == 0, "\(base.stderr)")
    }

    @Test func copyFollowsTheBasesDirectoriesAndNames() throws {
        let tmp = try makeTempDir("base-fs")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        // The base: an /etc with users, a /usr/local/bin, and /bin as a link, as Debian has it.
        try Self.layout(tmp, [
            "etc/passwd": "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001:App:/home/app:/bin/sh\n",
            "etc/group": "root:x:0:\napp:x:1001:\n", "etc/hostname": "keep\n", "usr/local/bin/existing": "#!/bin/sh\n",
        ])
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

extension BaseFilesystemTests {
    /// COPY --from reads a stage's whole filesystem, its base image's files included, and an image
    /// named directly; owners and modes come along, links on the way are followed inside the root.
    @Test func copyFromReadsBaseFilesAndImages() throws {
        let tmp = try makeTempDir("copy-from")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        try Self.layout(tmp, [
            "etc/passwd": "root:x:0:0:root:/root:/bin/sh\n", "etc/hostname": "base-host\n",
            "usr/local/bin/tool": "#!/bin/sh\necho tool\n", "usr/lib/x/data": "lib\n",
        ], then: "COPY --chown=7:8 --chmod=750 rootfs/usr/local/bin/tool /usr/local/bin/owned\n")
        try write("x=1\n", to: tmp + "/app/conf")
        try write("""
            FROM oci-layout://\(tmp)/layout:1 AS base
            COPY conf /etc/
            FROM scratch
            COPY --from=base /etc/hostname /etc/conf /copied/
            COPY --from=base /bin/tool /linked-tool
            COPY --from=oci-layout://\(tmp)/layout:1 /usr/ /image-usr/
            COPY --from=base --exclude=x /usr/lib/ /lib-without-x/
            """, to: tmp + "/app/Containerfile")
        let app = try CLI.run(["build", "--progress", "plain", "-t", "app:1", "-o", "type=oci,dest=\(tmp)/out", tmp + "/app"], home: tmp + "/store")
        #expect(app.status == 0, "\(app.stderr)")
        _ = try run(["umoci", "unpack", "--image", "\(tmp)/out:1", tmp + "/bundle"])
        let root = tmp + "/bundle/rootfs"
        let fm = FileManager.default
        #expect(fm.contents(atPath: root + "/copied/hostname") == Data("base-host\n".utf8), "a file of the base image")
        #expect(fm.contents(atPath: root + "/copied/conf") == Data("x=1\n".utf8), "a file the stage copied")
        #expect(fm.contents(atPath: root + "/linked-tool") == Data("#!/bin/sh\necho tool\n".utf8), "a link on the way is followed")
        #expect(fm.contents(atPath: root + "/image-usr/lib/x/data") == Data("lib\n".utf8))
        let tool = try fm.attributesOfItem(atPath: root + "/image-usr/local/bin/owned")
        #expect(tool[.ownerAccountID] as? Int == 7 && tool[.groupOwnerAccountID] as? Int == 8 && tool[.posixPermissions] as? Int == 0o750,
                "owner and mode come with the file: \(tool)")
        #expect(!fm.fileExists(atPath: root + "/lib-without-x/x"))
        // The second build takes every layer from the cache without reading the base again.
        let again = try CLI.run(["build", "--progress", "plain", "-t", "app:1", tmp + "/app"], home: tmp + "/store")
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("built 0 layer(s)"), "\(again.stderr)")
        // A stage defined later, or an index past the stages, is one clear line.
        try write("FROM scratch AS first\nCOPY --from=later /a /b\nFROM scratch AS later\n", to: tmp + "/later.Containerfile")
        let later = try CLI.run(["build", "-q", "--target", "first", "-f", tmp + "/later.Containerfile", tmp + "/app"], home: tmp + "/store")
        #expect(later.status == 1)
        #expect(later.stderr.contains("later.Containerfile:2: COPY --from=later: cannot copy from stage \"later\", it needs to be defined before current stage \"first\""), "\(later.stderr)")
    }
}

extension BaseFilesystemTests {
    /// An image's ONBUILD triggers run first in a build FROM it, and are not handed on.
    @Test func anImagesOnBuildTriggersRun() throws {
        let tmp = try makeTempDir("onbuild")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        try write("FROM scratch\nONBUILD COPY app.conf /etc/\nONBUILD LABEL built.on=base\n", to: tmp + "/base/Containerfile")
        let base = try CLI.run(["build", "-q", "-t", "base:1", "-o", "type=oci,dest=\(tmp)/layout", tmp + "/base"], home: tmp + "/store")
        #expect(base.status == 0, "\(base.stderr)")
        try write("x=1\n", to: tmp + "/app/app.conf")
        try write("FROM oci-layout://\(tmp)/layout:1\n", to: tmp + "/app/Containerfile")
        let app = try CLI.run(["build", "-q", "-t", "app:1", "-o", "type=oci,dest=\(tmp)/out", tmp + "/app"], home: tmp + "/store")
        #expect(app.status == 0, "\(app.stderr)")
        let inspect = try JSONSerialization.jsonObject(with: try run(["skopeo", "inspect", "--config", "oci:\(tmp)/out:1"])) as? [String: Any]
        let config = inspect?["config"] as? [String: Any]
        #expect((config?["Labels"] as? [String: String])?["built.on"] == "base")
        #expect(config?["OnBuild"] == nil)
        _ = try run(["umoci", "unpack", "--image", "\(tmp)/out:1", tmp + "/bundle"])
        #expect(FileManager.default.contents(atPath: tmp + "/bundle/rootfs/etc/app.conf") == Data("x=1\n".utf8))
    }
}
