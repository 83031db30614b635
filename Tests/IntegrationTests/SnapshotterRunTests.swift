import Foundation
import OCI
import TestSupport
import Testing

/// RUN steps with runc over each fallback snapshotter (IMAGECTL_SNAPSHOTTER: fuse-overlayfs, which
/// Scripts/setup installs, and a copy), beside kernel overlayfs: the same layers, entry for entry
/// and digest for digest, and nothing left behind by a failed, killed or dead-mounted step.
@Suite(.serialized) struct SnapshotterRunTests {
    static let steps = """
        RUN /bin/busybox mkdir -p /d/sub /hl /e && echo a > /d/sub/a && echo b > /gone && echo h > /hl/one && /bin/busybox ln /hl/one /hl/two && echo x > /e/x && echo y > /e/y && /bin/busybox chmod 4755 /e/y
        RUN /bin/busybox rm /gone && /bin/busybox rm -rf /d && /bin/busybox mkdir /d && echo new > /d/new && /bin/busybox rm /e/x && echo changed >> /e/y && /bin/busybox ls -a /d
        USER app
        WORKDIR /home/app
        RUN /bin/busybox id > id && /bin/busybox ls -a /d > seen
        """

    /// The entries of each RUN layer of the image, as `tar -tv` lists them.
    static func runLayers(_ layout: String) throws -> [[String]] {
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: layout + "/index.json"))) as? [String: Any]
        let digest = ((index?["manifests"] as? [[String: Any]])?.first?["digest"] as? String ?? "").dropFirst(7)
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(layout)/blobs/sha256/\(digest)"))) as? [String: Any]
        let layers = (manifest?["layers"] as? [[String: Any]] ?? []).compactMap { ($0["digest"] as? String)?.dropFirst(7) }
        return try layers.dropFirst(2).map { l in
            String(decoding: try run(["tar", "-tvzf", "\(layout)/blobs/sha256/\(l)"]), as: UTF8.self)
                .split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true) }
                .map { "\($0[0]) \($0[1]) \($0[5...].joined(separator: " "))" }
        }
    }

    static func build(_ ctx: String, _ snapshotter: String, out: String, home: String) throws -> CLI.Result {
        try CLI.run(["build", "--progress", "plain", "-o", "type=oci,dest=\(out)", "-t", "s:1", ctx], home: home,
                    environment: ["IMAGECTL_SNAPSHOTTER": snapshotter])
    }

    @Test(arguments: ["fuse-overlayfs", "copy"])
    func aStepGivesOverlayfssLayer(_ snapshotter: String) throws {
        try CLI.requireFixtures()
        let tmp = try makeTempDir("snap-run")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        try RunTests.context(tmp + "/ctx", Self.steps)
        let kernel = try Self.build(tmp + "/ctx", "overlay", out: tmp + "/kernel", home: tmp + "/home-kernel")
        let other = try Self.build(tmp + "/ctx", snapshotter, out: tmp + "/other", home: tmp + "/home-other")
        #expect(kernel.status == 0 && other.status == 0, "\(kernel.stderr)\n\(other.stderr)")
        #expect(other.stdout == kernel.stdout, "the same image digest: \(other.stdout) vs \(kernel.stdout)")
        let layers = try Self.runLayers(tmp + "/other")
        #expect(layers == (try Self.runLayers(tmp + "/kernel")))
        #expect(layers.count == 4)
        guard layers.count == 4 else { return }
        #expect(layers[0] == ["drwxr-xr-x 0/0 d/", "drwxr-xr-x 0/0 d/sub/", "-rw-r--r-- 0/0 d/sub/a", "drwxr-xr-x 0/0 e/",
                              "-rw-r--r-- 0/0 e/x", "-rwsr-xr-x 0/0 e/y", "-rw-r--r-- 0/0 gone", "drwxr-xr-x 0/0 hl/",
                              "-rw-r--r-- 0/0 hl/one", "hrw-r--r-- 0/0 hl/two link to hl/one"], "added files, setuid and hard links: \(layers[0])")
        #expect(layers[1] == ["drwxr-xr-x 0/0 d/", "---------- 0/0 d/.wh..wh..opq", "-rw-r--r-- 0/0 d/new", "drwxr-xr-x 0/0 e/",
                              "---------- 0/0 e/.wh.x", "-rwsr-xr-x 0/0 e/y", "---------- 0/0 .wh.gone"],
                "a replaced directory is opaque, deletions are whiteouts, a changed file goes in whole: \(layers[1])")
        #expect(layers[3] == ["drwxr-xr-x 1000/1000 home/", "drwxr-xr-x 1000/1000 home/app/", "-rw-r--r-- 1000/1000 home/app/id",
                              "-rw-r--r-- 1000/1000 home/app/seen"], "\(layers[3])")
        let root = try RunTests.unpack(tmp + "/other", arch: "amd64", into: tmp + "/bundle")
        #expect(FileManager.default.contents(atPath: root + "/home/app/seen") == Data(".\n..\nnew\n".utf8), "the step sees no marker of the snapshotter")
        #expect(FileManager.default.contents(atPath: root + "/home/app/id").map { String(decoding: $0, as: UTF8.self) } == "uid=1000(app) gid=1000(app) groups=1000(app),2000(extra)\n")
    }

    @Test(arguments: ["fuse-overlayfs", "copy"])
    func aFailingStepLeavesNothing(_ snapshotter: String) throws {
        try CLI.requireFixtures()
        let tmp = try makeTempDir("snap-fail")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        try RunTests.context(tmp + "/ctx", "RUN echo before > /f && exit 3\n")
        let home = tmp + "/store"
        let r = try CLI.run(["build", "--progress", "quiet", tmp + "/ctx"], home: home, environment: ["IMAGECTL_SNAPSHOTTER": snapshotter])
        #expect(r.status == 1)
        #expect(r.stderr.contains("Containerfile:5: RUN failed with exit status 3"), "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: home + "/tmp").isEmpty)
        #expect(!(KernelFile.text("/proc/self/mountinfo") ?? "").contains(home))
        let daemons = try run(["sh", "-c", "pgrep -f '[f]use-overlayfs.*\(home)' || true"])
        #expect(daemons.isEmpty, "no fuse-overlayfs daemon stays")
    }

    /// kill -9 of imagectl and of its fuse-overlayfs daemon mid-step leaves a dead mount (ENOTCONN
    /// to anything that looks in): the next build unmounts it, removes the step, and succeeds.
    @Test func aDeadFuseMountIsCleanedUpByTheNextBuild() throws {
        try CLI.requireFixtures()
        let tmp = try makeTempDir("snap-kill")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        try RunTests.context(tmp + "/ctx", "RUN /bin/busybox sleep 60\n")
        let home = tmp + "/store"
        let p = try RunTests.buildUntilStepRuns([tmp + "/ctx"], home: home, environment: ["IMAGECTL_SNAPSHOTTER": "fuse-overlayfs"])
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        let daemon = String(decoding: try run(["sh", "-c", "pgrep -f '[f]use-overlayfs.*\(home)' || true"]), as: UTF8.self)
        let pids = daemon.split(separator: "\n").compactMap { Int32($0) }
        #expect(pids.count == 1, "the step's fuse-overlayfs daemon: \(daemon)")
        for pid in pids { kill(pid, SIGKILL) }
        Thread.sleep(forTimeInterval: 0.3)
        let mounts = (KernelFile.text("/proc/self/mountinfo") ?? "").split(separator: "\n")
        let dead = mounts.first { $0.contains(home + "/tmp") }.map { String($0.split(separator: " ")[4]) }
        #expect(dead != nil, "the mount is still there")
        if let dead { #expect(open(dead, O_RDONLY | O_DIRECTORY) < 0 && errno == ENOTCONN, "a dead fuse mount answers ENOTCONN") }
        try RunTests.context(tmp + "/ctx", "RUN echo quick > /quick\n")
        let r = try CLI.run(["build", "--progress", "quiet", tmp + "/ctx"], home: home, environment: ["IMAGECTL_SNAPSHOTTER": "fuse-overlayfs"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!(KernelFile.text("/proc/self/mountinfo") ?? "").contains(home + "/tmp"), "the dead mount is gone")
        #expect(try FileManager.default.contentsOfDirectory(atPath: home + "/tmp").isEmpty, "the killed step's directories are gone")
    }

    /// SIGTERM mid-step on the copy: the step stops and its copied root goes before imagectl exits.
    @Test func aTerminatedStepOnACopyLeavesNothing() throws {
        try CLI.requireFixtures()
        let tmp = try makeTempDir("snap-term")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        try RunTests.context(tmp + "/ctx", "RUN /bin/busybox sleep 60\n")
        let home = tmp + "/store"
        let p = try RunTests.buildUntilStepRuns([tmp + "/ctx"], home: home, environment: ["IMAGECTL_SNAPSHOTTER": "copy"])
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        #expect(p.terminationStatus == 143)
        #expect(try FileManager.default.contentsOfDirectory(atPath: home + "/tmp").allSatisfy { !$0.contains("-run-") }, "the copied root is gone")
    }

    /// A snapshotter forced but not to be had is one line that says what to do.
    @Test func aForcedSnapshotterThatCannotWorkIsOneLine() throws {
        try CLI.requireFixtures()
        let tmp = try makeTempDir("snap-forced")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        try RunTests.context(tmp + "/ctx", "RUN true\n")
        for (env, said) in [(["IMAGECTL_SNAPSHOTTER": "fuse-overlayfs", "PATH": "/nonexistent"],
                             "IMAGECTL_SNAPSHOTTER=fuse-overlayfs: fuse-overlayfs is not on PATH (apt-get install fuse-overlayfs)"),
                            (["IMAGECTL_SNAPSHOTTER": "vfs"], "IMAGECTL_SNAPSHOTTER=vfs: use overlay, fuse-overlayfs, copy")] {
            let r = try CLI.run(["build", "--progress", "quiet", tmp + "/ctx"], home: tmp + "/store", environment: env)
            #expect(r.status == 1)
            #expect(r.stderr.hasSuffix("Containerfile:5: \(said)\n") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        }
    }
}
