import Foundation
import TestSupport
import Testing

/// The whole story on a real base: a busybox image with /etc, /etc/passwd and /usr/local/bin for
/// both platforms in a registry; an app copied into its existing directories, with a non-root
/// USER and its WORKDIR; the amd64 image run by podman as that user writing where it should,
/// the arm64 one unpacked and its busybox run through qemu.
@Suite struct BusyboxBaseTests {
    @Test func anAppOnABusyboxBaseRunsAsItsUser() throws {
        try CLI.requireFixtures()
        let registry = try TestRegistry("plain")
        let tmp = try makeTempDir("busybox-base")
        defer { registry.stop(); try? FileManager.default.removeItem(atPath: tmp) }
        let home = tmp + "/store"
        try FileManager.default.createDirectory(atPath: tmp + "/base", withIntermediateDirectories: true)
        try run(["cp", "-a", CLI.hello + "/rootfs", tmp + "/base/rootfs"])
        try write("root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:App:/home/app:/bin/sh\n", to: tmp + "/base/etc/passwd")
        try write("root:x:0:\napp:x:1000:\n", to: tmp + "/base/etc/group")
        try write("NAME=busybox-base\n", to: tmp + "/base/etc/os-release")
        try write("#!/bin/sh\necho base\n", to: tmp + "/base/base-tool")
        try write("""
            FROM scratch
            ARG TARGETARCH
            COPY rootfs/${TARGETARCH}/ /
            COPY etc/ /etc/
            COPY --chmod=755 base-tool /usr/local/bin/base-tool
            """, to: tmp + "/base/Containerfile")
        let base = "\(registry.host)/os/busybox:1"
        let pushed = try CLI.run(["build", "-q", "--platform", "linux/amd64,linux/arm64", "--push", "-t", base, tmp + "/base"], home: home)
        #expect(pushed.status == 0, "\(pushed.stderr)")

        try write("greeting=hello\n", to: tmp + "/app/app.conf")
        try write("""
            #!/bin/sh
            bb=/bin/busybox
            $bb touch ./written /srv/data/new || exit 1
            echo "$($bb id -u):$($bb id -g) $(pwd) $($bb ls /srv/data | $bb tr '\\n' ' ')$(cat /etc/app.conf) $(base-tool)"
            """, to: tmp + "/app/entrypoint.sh")
        try write("a\n", to: tmp + "/app/data/a.txt")
        try write("""
            FROM \(base)
            COPY app.conf /etc
            COPY --chmod=755 entrypoint.sh /usr/local/bin
            COPY --chown=app:app data/ /srv/data/
            USER app
            WORKDIR /home/app/work
            ENTRYPOINT ["/usr/local/bin/entrypoint.sh"]
            """, to: tmp + "/app/Containerfile")
        let app = "\(registry.host)/ml/app:1"
        let built = try CLI.run(["build", "--progress", "plain", "--platform", "linux/amd64,linux/arm64", "--push", "-t", app,
                                 "--output", "type=docker,dest=\(tmp)/app.tar,platform=linux/amd64", tmp + "/app"], home: home)
        #expect(built.status == 0, "\(built.stderr)")

        // amd64: podman runs it as app, in its WORKDIR, which app may write to, as to /srv/data.
        let podman = Podman(root: try shortTempDir())
        defer { try? FileManager.default.removeItem(atPath: podman.root) }
        _ = try podman.run(["load", "-i", tmp + "/app.tar"])
        let out = String(decoding: try podman.run(["run", "--rm", "--runtime", "runc", "--ulimit", "nofile=1024:1024",
                                                   "--ulimit", "nproc=1024:1024", app]), as: UTF8.self)
        #expect(out == "1000:1000 /home/app/work a.txt new greeting=hello base\n")

        // arm64: the same tree, owners and modes, and a busybox for that machine.
        _ = try run(["skopeo", "copy", "-q", "--override-arch", "arm64", "--src-tls-verify=false", "docker://\(app)", "oci:\(tmp)/arm64:1"])
        _ = try run(["umoci", "unpack", "--image", "\(tmp)/arm64:1", tmp + "/bundle"])
        let root = tmp + "/bundle/rootfs"
        let fm = FileManager.default
        for (path, uid) in [("/home/app/work", 1000), ("/home/app", 1000), ("/srv/data", 1000), ("/srv/data/a.txt", 1000), ("/etc", 0)] {
            let a = try fm.attributesOfItem(atPath: root + path)
            #expect(a[.ownerAccountID] as? Int == uid && a[.groupOwnerAccountID] as? Int == uid, "\(path): \(a)")
        }
        #expect(fm.contents(atPath: root + "/etc/os-release") == Data("NAME=busybox-base\n".utf8), "the base's /etc is kept")
        #expect(fm.contents(atPath: root + "/etc/app.conf") == Data("greeting=hello\n".utf8), "COPY into /etc lands inside it")
        #expect(fm.isExecutableFile(atPath: root + "/usr/local/bin/entrypoint.sh"))
        #expect(fm.isExecutableFile(atPath: root + "/usr/local/bin/base-tool"))
        let arch = String(decoding: try run(["qemu-aarch64-static", root + "/bin/busybox", "uname", "-m"]), as: UTF8.self)
        #expect(arch == "aarch64\n")
    }
}
