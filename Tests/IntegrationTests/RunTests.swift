import Foundation
import OCI
import TestSupport
import Testing

/// RUN with runc over overlayfs, for both platforms (arm64 through qemu: Scripts/test registers
/// qemu-user's binfmt_misc handlers for the machine), on a busybox base; results checked by
/// unpacking with umoci and running with podman.
@Suite(.serialized) struct RunTests {
    /// A busybox context with users, and a Containerfile built on it.
    static func context(_ dir: String, _ body: String) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try run(["cp", "-a", CLI.hello + "/rootfs", dir + "/rootfs"])
        try write("root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:App:/home/app:/bin/sh\n", to: dir + "/etc/passwd")
        try write("root:x:0:\napp:x:1000:\nextra:x:2000:app\n", to: dir + "/etc/group")
        try write("FROM scratch\nARG TARGETARCH\nCOPY rootfs/${TARGETARCH}/ /\nCOPY etc/ /etc/\n" + body, to: dir + "/Containerfile")
    }

    static func requireEmulation() throws {
        let status = try CLI.run(["binfmt"], home: "/tmp/imagectl-unused")
        guard status.stdout.contains("linux/arm64: runs") else {
            throw ToolError(message: "arm64 steps need qemu's binfmt handler: run `imagectl binfmt --install` as root (Scripts/test does)")
        }
    }

    /// The files of one platform's image, unpacked by umoci from an OCI layout.
    static func unpack(_ layout: String, arch: String, into bundle: String) throws -> String {
        _ = try run(["skopeo", "copy", "-q", "--override-arch", arch, "oci:\(layout):1", "oci:\(layout)-\(arch):1"])
        _ = try run(["umoci", "unpack", "--image", "\(layout)-\(arch):1", bundle])
        return bundle + "/rootfs"
    }

    @Test func stepsRunAsBuildKitRunsThemOnBothPlatforms() throws {
        try CLI.requireFixtures()
        try Self.requireEmulation()
        let tmp = try makeTempDir("run")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        try Self.context(tmp + "/ctx", """
            ARG BUILD_ONLY=from-arg
            ENV KEPT=from-env
            RUN echo "$BUILD_ONLY $KEPT" > /args && /bin/busybox id > /root-id && /bin/busybox uname -m > /arch
            RUN ["/bin/busybox", "sh", "-c", "echo exec > /exec"]
            RUN <<EOF
            #!/bin/sh
            echo script > /script
            EOF
            RUN /bin/busybox mkdir -p /d/sub /hl && echo a > /d/sub/a && echo b > /gone && echo h > /hl/one && /bin/busybox ln /hl/one /hl/two
            RUN /bin/busybox rm /gone && /bin/busybox rm -rf /d && /bin/busybox mkdir /d && echo new > /d/new
            USER app
            WORKDIR /home/app
            RUN /bin/busybox id > id && /bin/busybox pwd > pwd && /bin/busybox ls /etc > etc-list && echo step-ran
            """)
        let home = tmp + "/store"
        let b = try CLI.run(["build", "--progress", "plain", "--platform", "linux/amd64,linux/arm64", "-t", "run:1",
                             "-o", "type=oci,dest=\(tmp)/out", tmp + "/ctx"], home: home)
        #expect(b.status == 0, "\(b.stderr)")
        #expect(b.stderr.contains("[linux/arm64] line 17: step-ran"), "step output is shown per platform: \(b.stderr)")
        for (arch, machine) in [("amd64", "x86_64"), ("arm64", "aarch64")] {
            let root = try Self.unpack(tmp + "/out", arch: arch, into: "\(tmp)/bundle-\(arch)")
            func text(_ p: String) -> String? { FileManager.default.contents(atPath: root + p).map { String(decoding: $0, as: UTF8.self) } }
            #expect(text("/arch") == machine + "\n")
            #expect(text("/args") == "from-arg from-env\n", "ARGs and ENV are the step's environment")
            #expect(text("/root-id") == "uid=0(root) gid=0(root) groups=0(root)\n")
            #expect(text("/exec") == "exec\n")
            #expect(text("/script") == "script\n", "a heredoc with #! runs as a script")
            #expect(text("/gone") == nil, "a deleted file is whited out")
            #expect(try FileManager.default.contentsOfDirectory(atPath: root + "/d") == ["new"], "a replaced directory hides what was below")
            #expect(text("/home/app/id") == "uid=1000(app) gid=1000(app) groups=1000(app),2000(extra)\n")
            #expect(text("/home/app/pwd") == "/home/app\n")
            #expect(text("/home/app/etc-list") == "group\nhosts\npasswd\nresolv.conf\n", "/etc/hosts and resolv.conf are there while it runs")
            #expect(text("/etc/hosts") == nil && text("/etc/resolv.conf") == nil, "the runtime's files are not in the layers")
            for dir in ["/proc", "/sys", "/dev"] { #expect(!FileManager.default.fileExists(atPath: root + dir), "\(dir) is the runtime's") }
            var one = stat(), two = stat()
            stat(root + "/hl/one", &one)
            stat(root + "/hl/two", &two)
            #expect(one.st_ino == two.st_ino && one.st_nlink == 2, "hard links stay linked")
            let owner = try FileManager.default.attributesOfItem(atPath: root + "/home/app/id")
            #expect(owner[.ownerAccountID] as? Int == 1000)
        }
        let inspect = try JSONSerialization.jsonObject(with: try run(["skopeo", "inspect", "--config", "oci:\(tmp)/out-amd64:1"])) as? [String: Any]
        let env = (inspect?["config"] as? [String: Any])?["Env"] as? [String] ?? []
        #expect(env.contains("KEPT=from-env") && !env.contains { $0.hasPrefix("BUILD_ONLY=") }, "ARGs are not kept in the image: \(env)")
        let history = (inspect?["history"] as? [[String: Any]] ?? []).compactMap { $0["created_by"] as? String }
        #expect(history.contains("RUN |2 TARGETARCH=amd64 BUILD_ONLY=from-arg /bin/sh -c echo \"$BUILD_ONLY $KEPT\" > /args && /bin/busybox id > /root-id && /bin/busybox uname -m > /arch # buildkit"), "\(history)")

        // The same build again runs nothing.
        let again = try CLI.run(["build", "--progress", "plain", "--platform", "linux/amd64,linux/arm64", "-t", "run:1", tmp + "/ctx"], home: home)
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("built 0 layer(s)"), "\(again.stderr)")
        #expect(!again.stderr.contains("line 17: step-ran"), "no step ran: \(again.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: home + "/tmp").isEmpty)
    }

    @Test func aFailingStepSaysWhyAndLeavesNothing() throws {
        try CLI.requireFixtures()
        let tmp = try makeTempDir("run-fail")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        try Self.context(tmp + "/ctx", "RUN echo before-the-failure && exit 3\n")
        let home = tmp + "/store"
        let r = try CLI.run(["build", "--progress", "quiet", tmp + "/ctx"], home: home)
        #expect(r.status == 1)
        #expect(r.stderr.contains("Containerfile:5: RUN failed with exit status 3"), "\(r.stderr)")
        #expect(r.stderr.contains("before-the-failure"), "\(r.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: home + "/tmp").isEmpty)
        #expect(!(KernelFile.text("/proc/self/mountinfo") ?? "").contains(home))
    }

    /// Builds `step` on the busybox base for amd64 and returns the file it wrote at `path`.
    static func fileAfter(_ step: String, _ path: String) throws -> Data? {
        try CLI.requireFixtures()
        let tmp = try makeTempDir("run-one")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        try context(tmp + "/ctx", step + "\n")
        let r = try CLI.run(["build", "--progress", "quiet", "-o", "type=oci,dest=\(tmp)/out", "-t", "one:1", tmp + "/ctx"], home: tmp + "/store")
        #expect(r.status == 0, "\(r.stderr)")
        return FileManager.default.contents(atPath: try unpack(tmp + "/out", arch: "amd64", into: tmp + "/bundle") + path)
    }

    @Test func networkNoneHasOnlyLoopback() throws {
        #expect(try Self.fileAfter("RUN --network=none /bin/busybox ls /sys/class/net > /none", "/none") == Data("lo\n".utf8))
    }

    /// kill -9 in the middle of a step: the next build removes the container and the mount the
    /// killed one left, and succeeds.
    @Test func aKilledStepIsCleanedUpByTheNextBuild() throws {
        try CLI.requireFixtures()
        let tmp = try makeTempDir("run-kill")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        try Self.context(tmp + "/ctx", "RUN /bin/busybox sleep 60\n")
        let home = tmp + "/store"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = ["build", "--progress", "quiet", tmp + "/ctx"]
        p.environment = ["IMAGECTL_HOME": home, "PATH": "/usr/bin:/bin"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, !((KernelFile.text("/proc/self/mountinfo") ?? "").contains(home + "/tmp")) {
            Thread.sleep(forTimeInterval: 0.1)
        }
        Thread.sleep(forTimeInterval: 0.3)
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        try Self.context(tmp + "/ctx", "RUN echo quick > /quick\n")
        let r = try CLI.run(["build", "--progress", "quiet", tmp + "/ctx"], home: home)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!(KernelFile.text("/proc/self/mountinfo") ?? "").contains(home + "/tmp"), "the stale mount is gone")
        let containers = (try? FileManager.default.contentsOfDirectory(atPath: home + "/run")) ?? []
        #expect(containers.isEmpty, "the stale container is gone: \(containers)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: home + "/tmp").isEmpty, "the killed step's directories are gone")
    }

    /// Every mount type: a cache kept between builds and out of the layers, a secret seen by the
    /// step and nowhere else, binds of the context and of a stage, a tmpfs.
    @Test func mountsGiveTheStepWhatItAsksAndLeaveNoTrace() throws {
        try CLI.requireFixtures()
        let tmp = try makeTempDir("run-mounts")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let secretValue = "pip-token-\(UUID().uuidString)"
        try write(secretValue, to: tmp + "/secret.txt")
        try write("data\n", to: tmp + "/ctx/src/a.txt")
        try Self.context(tmp + "/ctx", """
            RUN --mount=type=cache,target=/cache echo run >> /cache/count && /bin/busybox wc -l < /cache/count > /cache-count
            RUN --mount=type=secret,id=tok --mount=type=secret,id=tok,env=TOKEN [ "$TOKEN" = "$(cat /run/secrets/tok)" ] && echo seen > /secret-seen
            RUN --mount=type=bind,source=src,target=/mnt/src,rw echo changed > /mnt/src/a.txt && echo bound > /bind-ok
            RUN --mount=type=tmpfs,target=/scratch echo x > /scratch/y && /bin/busybox ls /scratch > /tmpfs-list
            """)
        let original = try String(contentsOfFile: tmp + "/ctx/Containerfile", encoding: .utf8)
        try write(original.replacingOccurrences(of: "FROM scratch\n", with: "FROM scratch AS tools\nCOPY src/ /tools/\nFROM scratch\n", options: .anchored)
                  + "\nRUN --mount=type=bind,from=tools,source=/tools,target=/t cat /t/a.txt > /from-stage\n", to: tmp + "/ctx/Containerfile")
        let home = tmp + "/store"
        func build(_ extra: [String] = []) throws -> CLI.Result {
            try CLI.run(["build", "--progress", "plain", "--secret", "id=tok,src=\(tmp)/secret.txt", "-t", "m:1",
                         "-o", "type=oci,dest=\(tmp)/out"] + extra + [tmp + "/ctx"], home: home)
        }
        let first = try build()
        #expect(first.status == 0, "\(first.stderr)")
        var root = try Self.unpack(tmp + "/out", arch: "amd64", into: tmp + "/b1")
        func text(_ p: String) -> String? { FileManager.default.contents(atPath: root + p).map { String(decoding: $0, as: UTF8.self) } }
        #expect(text("/cache-count") == "1\n")
        #expect(text("/secret-seen") == "seen\n")
        #expect(text("/bind-ok") == "bound\n")
        #expect(text("/tmpfs-list") == "y\n")
        #expect(text("/from-stage") == "data\n")
        for gone in ["/cache", "/run", "/mnt", "/scratch", "/t"] { #expect(!FileManager.default.fileExists(atPath: root + gone), "\(gone) is the step's mount") }
        #expect(try String(contentsOfFile: tmp + "/ctx/src/a.txt", encoding: .utf8) == "data\n", "a read-write bind changes a copy")
        // The secret is in no blob, no output and no message.
        let blobs = try FileManager.default.contentsOfDirectory(atPath: tmp + "/out/blobs/sha256")
        for b in blobs {
            let raw = try run(["sh", "-c", "zcat -f \(tmp)/out/blobs/sha256/\(b)"])
            #expect(!String(decoding: raw, as: UTF8.self).contains(secretValue), "the secret is in blob \(b)")
        }
        #expect(!first.stderr.contains(secretValue) && !first.stdout.contains(secretValue))

        // The cache mount outlives the build; --no-cache runs the step again over it.
        let second = try build(["--no-cache"])
        #expect(second.status == 0, "\(second.stderr)")
        root = try Self.unpack(tmp + "/out", arch: "amd64", into: tmp + "/b2")
        #expect(text("/cache-count") == "2\n")
        let du = try CLI.run(["cache", "du"], home: home)
        #expect(du.stdout.contains("cache mounts: 1"), "\(du.stdout)")
        let prune = try CLI.run(["cache", "prune", "--all"], home: home)
        #expect(prune.stdout.contains("1 cache mount(s)"), "\(prune.stdout)")

        // A required secret not given is one line naming it.
        try write("FROM scratch\nRUN --mount=type=secret,id=missing,required true\n", to: tmp + "/req.Containerfile")
        let req = try CLI.run(["build", "-f", tmp + "/req.Containerfile", tmp + "/ctx"], home: home)
        #expect(req.status == 1)
        #expect(req.stderr.contains("req.Containerfile:2: secret missing is required but not given: pass --secret id=missing"), "\(req.stderr)")
    }

    /// The registry cache carries RUN layers: a fresh runner skips the step a previous run did.
    @Test func aFreshRunnerTakesRunLayersFromTheRegistryCache() throws {
        try CLI.requireFixtures()
        let registry = try TestRegistry("plain")
        let tmp = try makeTempDir("run-regcache")
        defer { registry.stop(); try? FileManager.default.removeItem(atPath: tmp) }
        try Self.context(tmp + "/ctx", "RUN echo ran-the-step && echo done > /done\n")
        let repo = "\(registry.host)/ml/runcache"
        let first = try CLI.run(["build", "--progress", "plain", "--push", "-t", repo + ":1",
                                 "--cache-to", "type=registry,ref=\(repo):buildcache", tmp + "/ctx"], home: tmp + "/runner1")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("line 5: ran-the-step"))
        let second = try CLI.run(["build", "--progress", "plain", "--push", "-t", repo + ":2",
                                  "--cache-from", "type=registry,ref=\(repo):buildcache", tmp + "/ctx"], home: tmp + "/runner2")
        #expect(second.status == 0, "\(second.stderr)")
        #expect(!second.stderr.contains("line 5: ran-the-step"), "the step did not run again: \(second.stderr)")
        #expect(second.stdout == first.stdout, "the same image")
    }

    /// Two platforms' steps run side by side: each starts before the other ends.
    @Test func platformsRunTheirStepsSideBySide() throws {
        try CLI.requireFixtures()
        try Self.requireEmulation()
        let tmp = try makeTempDir("run-parallel")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        try Self.context(tmp + "/ctx", "RUN echo started && /bin/busybox sleep 3 && echo ended\n")
        let r = try CLI.run(["build", "--progress", "plain", "--platform", "linux/amd64,linux/arm64", tmp + "/ctx"], home: tmp + "/store")
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stderr.split(separator: "\n").map(String.init)
        let started = lines.indices.filter { lines[$0].hasSuffix("line 5: started") }
        let ended = lines.indices.filter { lines[$0].hasSuffix("line 5: ended") }
        #expect(started.count == 2 && ended.count == 2, "\(r.stderr)")
        #expect((started.max() ?? .max) < (ended.min() ?? 0), "both steps started before either ended: \(r.stderr)")
    }

    /// Links a stage or a cache holds lead inside them, never to the host: a bind's source that
    /// would reach a host directory is refused.
    @Test func mountSourcesNeverFollowLinksToTheHost() throws {
        try CLI.requireFixtures()
        let tmp = try makeTempDir("run-links")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        try write("host-only\n", to: tmp + "/host/secret")
        try Self.context(tmp + "/ctx", "RUN /bin/busybox ln -s \(tmp)/host /leak\n")
        var text = try String(contentsOfFile: tmp + "/ctx/Containerfile", encoding: .utf8)
        text = text.replacingOccurrences(of: "FROM scratch\n", with: "FROM scratch AS links\n", options: .anchored)
        try write(text + "FROM links\nRUN --mount=type=bind,from=links,source=/leak,target=/m cat /m/secret > /got\n", to: tmp + "/ctx/Containerfile")
        let home = tmp + "/store"
        let stage = try CLI.run(["build", "--progress", "quiet", tmp + "/ctx"], home: home)
        #expect(stage.status == 1)
        #expect(stage.stderr.contains("/leak does not exist in links"), "\(stage.stderr)")
        try write(text + "RUN --mount=type=cache,target=/c,id=x /bin/busybox ln -sfn \(tmp)/host /c/sub\n"
                  + "RUN --mount=type=cache,target=/d,id=x,source=sub cat /d/secret > /got\n", to: tmp + "/ctx/Containerfile")
        let cache = try CLI.run(["build", "--progress", "quiet", tmp + "/ctx"], home: home)
        #expect(cache.status == 1)
        #expect(cache.stderr.contains("--mount: sub in the cache: sub: is a symbolic link"), "\(cache.stderr)")
    }

    /// SIGTERM (a cancelled CI job) mid-step: the step's processes stop, and its mount, container
    /// and directory (with any secret in it) are gone before imagectl exits.
    @Test func aTerminatedBuildStopsItsStepAndLeavesNothing() throws {
        try CLI.requireFixtures()
        let tmp = try makeTempDir("run-term")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        try write("tok", to: tmp + "/secret")
        try Self.context(tmp + "/ctx", "RUN --mount=type=secret,id=tok,env=TOK /bin/busybox sleep 60\n")
        let home = tmp + "/store"
        let p = try Self.buildUntilStepRuns(["--secret", "id=tok,src=\(tmp)/secret", tmp + "/ctx"], home: home)
        kill(p.processIdentifier, SIGTERM)
        p.waitUntilExit()
        #expect(p.terminationStatus == 143)
        #expect(!(KernelFile.text("/proc/self/mountinfo") ?? "").contains(home + "/tmp"))
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: home + "/run")) ?? []).isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: home + "/tmp").allSatisfy { !$0.contains("-run-") }, "the step's directory is gone")
        let sleeping = try run(["sh", "-c", "pgrep -f 'busybox slee[p] 60' || true"])
        #expect(sleeping.isEmpty, "the step's process is gone")
    }

    /// Starts `imagectl build ARGS` and returns once its step's container is running.
    static func buildUntilStepRuns(_ args: [String], home: String, environment: [String: String] = [:]) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = ["build", "--progress", "quiet"] + args
        p.environment = ["IMAGECTL_HOME": home, "PATH": "/usr/bin:/bin"].merging(environment) { _, new in new }
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, ((try? FileManager.default.contentsOfDirectory(atPath: home + "/run")) ?? []).isEmpty {
            Thread.sleep(forTimeInterval: 0.1)
        }
        Thread.sleep(forTimeInterval: 0.3)
        return p
    }

    /// A step cannot make a user namespace of its own (Docker's default seccomp refuses it).
    @Test func aStepCannotUnshareAUserNamespace() throws {
        #expect(try Self.fileAfter("RUN (/bin/busybox unshare -U -r true && echo escaped || echo refused) > /unshare", "/unshare")
                == Data("refused\n".utf8))
    }

    /// sharing=locked: two mounts of one cache in a step share the lock, and two platforms take
    /// turns with it instead of waiting on each other forever.
    @Test func lockedCachesDoNotDeadlock() throws {
        try CLI.requireFixtures()
        try Self.requireEmulation()
        let tmp = try makeTempDir("run-locked")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        try Self.context(tmp + "/ctx", """
            RUN --mount=type=cache,id=c,target=/a,sharing=locked --mount=type=cache,id=c,target=/b,sharing=locked echo both
            RUN --mount=type=cache,id=d,target=/d,sharing=locked /bin/busybox sleep 1 && echo turn
            """)
        let r = try CLI.run(["build", "--progress", "plain", "--platform", "linux/amd64,linux/arm64", tmp + "/ctx"],
                            home: tmp + "/store", timeout: 90)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.components(separatedBy: "line 6: turn").count == 3, "\(r.stderr)")
    }
}
