import Foundation
import TestSupport
import Testing

/// RUN without root, as a developer or a runner's user runs it: imagectl becomes root of a user
/// namespace mapped from /etc/subuid and /etc/subgid (Scripts/setup gives `imagectl-rootless` a
/// range), so steps write the image's owners, and the store's files of other owners are the
/// namespace's to remove. Contexts and stores live in temp directories every user may use; the
/// results are read as root, from the image's layers.
@Suite(.serialized) struct RootlessTests {
    static let user = "imagectl-rootless"

    /// A busybox context (RunTests') with `body`, in a temp directory the user may write to.
    static func workspace(_ name: String, _ body: String) throws -> String {
        try CLI.requireFixtures()
        let tmp = try makeTempDir(name)
        try RunTests.context(tmp + "/ctx", body)
        _ = try run(["chmod", "-R", "a+rwX", tmp])
        return tmp
    }

    /// The first subordinate ID of `name` in /etc/subuid or /etc/subgid.
    static func firstSubordinate(_ file: String, of name: String = user) throws -> UInt32 {
        let line = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").first { $0.hasPrefix(name + ":") }
        guard let line, let first = UInt32(line.split(separator: ":")[1]) else {
            throw ToolError(message: "\(name) has no range in \(file): run Scripts/setup (Scripts/test does)")
        }
        return first
    }

    static func owner(_ path: String) -> (uid: UInt32, gid: UInt32)? {
        var st = stat()
        return lstat(path, &st) == 0 ? (st.st_uid, st.st_gid) : nil
    }

    static func mode(_ path: String) -> UInt32? {
        var st = stat()
        return lstat(path, &st) == 0 ? UInt32(st.st_mode) & 0o7777 : nil
    }

    static func text(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test func stepsWriteTheImagesOwnersThroughTheSubordinateRange() throws {
        let tmp = try Self.workspace("rootless-owners", """
            RUN /bin/busybox mkdir -p /srv /home/app && echo root > /srv/root-file && echo gone > /srv/gone && echo app > /home/app/app-file && /bin/busybox chown 1000:1000 /home/app && /bin/busybox chown 1000:2000 /home/app/app-file && /bin/busybox id > /srv/id && /bin/busybox awk '$5 ~ "^/sys" {print $5, $6}' /proc/self/mountinfo > /srv/sys && echo s > /srv/suid && /bin/busybox chmod 6755 /srv/suid
            RUN --network=none /bin/busybox ls /sys/class/net > /srv/net && /bin/busybox rm /srv/gone
            USER app
            WORKDIR /home/app
            RUN /bin/busybox id > id
            """)
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let home = tmp + "/store"
        let r = try CLI.run(["build", "--progress", "quiet", "-t", "rootless:1", "-o", "type=oci,dest=\(tmp)/out",
                             "-o", "type=local,dest=\(tmp)/local", tmp + "/ctx"], home: home, user: Self.user)
        #expect(r.status == 0, "\(r.stderr)")

        let root = try RunTests.unpack(tmp + "/out", arch: "amd64", into: tmp + "/bundle")
        #expect(Self.text(root + "/srv/id") == "uid=0(root) gid=0(root) groups=0(root)\n", "the step runs as the image's root")
        #expect(Self.owner(root + "/srv/root-file").map { [$0.uid, $0.gid] } == [0, 0])
        #expect(Self.owner(root + "/home/app/app-file").map { [$0.uid, $0.gid] } == [1000, 2000])
        #expect(Self.text(root + "/srv/net") == "lo\n", "--network=none is a network namespace of its own")
        // The host's /sys, bound for a step on the host's network, is read-only all the way down:
        // the cgroup tree below it could be the user's own, delegated.
        let sys = (Self.text(root + "/srv/sys") ?? "").split(separator: "\n").map { $0.split(separator: " ") }
        #expect(sys.count > 1 && sys.contains { $0.first == "/sys/fs/cgroup" }, "\(sys)")
        #expect(sys.allSatisfy { $0.count == 2 && $0[1].hasPrefix("ro,") }, "every mount below /sys is read-only: \(sys)")
        #expect(!FileManager.default.fileExists(atPath: root + "/srv/gone"), "a deletion is whited out, and the next step's snapshot holds the whiteout")
        #expect(Self.text(root + "/home/app/id") == "uid=1000(app) gid=1000(app) groups=1000(app),2000(extra)\n")
        #expect(Self.owner(root + "/home/app/id").map { [$0.uid, $0.gid] } == [1000, 1000])

        // On disk the image's uid 1000 and gid 2000 are the user's subordinate IDs 999 and 1999
        // (its own IDs are the image's 0).
        let (uids, gids) = (try Self.firstSubordinate("/etc/subuid"), try Self.firstSubordinate("/etc/subgid"))
        let snapshots = try FileManager.default.contentsOfDirectory(atPath: home + "/snapshots").map { "\(home)/snapshots/\($0)" }
        let unpacked = snapshots.compactMap { Self.owner($0 + "/home/app/app-file") }
        #expect(unpacked.map { [$0.uid, $0.gid] } == [[uids + 999, gids + 1999]], "\(unpacked)")

        // A directory output is the user's to keep and to remove, as buildx's client writes it.
        let uid = try #require(UInt32(String(decoding: try run(["id", "-u", Self.user]), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(Self.owner(tmp + "/local/home/app/app-file")?.uid == uid)
        #expect(Self.text(tmp + "/local/home/app/id") == Self.text(root + "/home/app/id"))
        // A setuid or setgid file there would run as the user for anyone: the image keeps the bits, the directory not.
        #expect(Self.mode(root + "/srv/suid") == 0o6755)
        #expect(Self.mode(tmp + "/local/srv/suid") == 0o755)
        _ = try run(["runuser", "-u", Self.user, "--", "rm", "-rf", tmp + "/local"])
        #expect(!FileManager.default.fileExists(atPath: tmp + "/local"))
    }

    @Test func mountsWorkAndPruneRemovesWhatStepsLeft() throws {
        let tmp = try Self.workspace("rootless-mounts", """
            RUN --mount=type=cache,target=/cache,uid=1000 --mount=type=secret,id=token,target=/run/token,uid=1000 --mount=type=bind,source=etc,target=/ctx-etc /bin/busybox sh -c 'echo x >> /cache/runs && /bin/busybox wc -l < /cache/runs > /runs && /bin/busybox stat -c %u /cache /run/token > /owners && [ "$(cat /run/token)" = s3cret ] && /bin/busybox ls /ctx-etc > /bound'
            RUN /bin/busybox mkdir -p /srv/app && echo x > /srv/app/f && /bin/busybox chown -R 1000:1000 /srv/app
            RUN /bin/busybox true
            """)
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        try write("s3cret", to: tmp + "/token")
        _ = try run(["chmod", "a+r", tmp + "/token"])
        let home = tmp + "/store"
        func build(_ n: Int) throws -> String {
            let r = try CLI.run(["build", "--progress", "quiet", "--no-cache", "--secret", "id=token,src=\(tmp)/token", "-t", "mounts:1",
                                 "-o", "type=oci,dest=\(tmp)/out\(n)", tmp + "/ctx"], home: home, user: Self.user)
            #expect(r.status == 0, "\(r.stderr)")
            return try RunTests.unpack("\(tmp)/out\(n)", arch: "amd64", into: "\(tmp)/bundle\(n)")
        }
        _ = try build(1)
        let root = try build(2)
        #expect(Self.text(root + "/runs") == "2\n", "the cache mount keeps what the first build's step wrote")
        #expect(Self.text(root + "/owners") == "1000\n1000\n", "the cache and the secret belong to uid=1000")
        #expect(Self.text(root + "/bound") == "group\npasswd\n")
        #expect(!FileManager.default.fileExists(atPath: root + "/run/token"))

        // The store now holds files of the user's subordinate IDs, which only its namespace can remove.
        let caches = try FileManager.default.contentsOfDirectory(atPath: home + "/cachemounts").filter { !$0.hasSuffix(".lock") }
        #expect(caches.count == 1)
        let uids = try Self.firstSubordinate("/etc/subuid")
        #expect(caches.compactMap { Self.owner("\(home)/cachemounts/\($0)")?.uid } == [uids + 999])
        let snapshots = try FileManager.default.contentsOfDirectory(atPath: home + "/snapshots")
        let apps = snapshots.compactMap { Self.owner("\(home)/snapshots/\($0)/srv/app")?.uid }
        #expect(!apps.isEmpty && apps.allSatisfy { $0 == uids + 999 }, "\(apps)")

        let prune = try CLI.run(["cache", "prune", "--all"], home: home, user: Self.user)
        #expect(prune.status == 0, "\(prune.stderr)")
        #expect(prune.stdout.contains("1 cache mount(s)"), "\(prune.stdout)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: home + "/snapshots").isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: home + "/cachemounts").allSatisfy { $0.hasSuffix(".lock") })
        #expect(try FileManager.default.contentsOfDirectory(atPath: home + "/tmp").isEmpty)
        let du = try CLI.run(["cache", "du"], home: home, user: Self.user)
        #expect(du.stdout.contains("snapshots: 0 (0 B)") && du.stdout.contains("cache mounts: 0 (0 B)"), "\(du.stdout)")
    }

    /// `--load` from inside the namespace reaches the user's own podman storage, as from
    /// `podman unshare`, not root's.
    @Test func loadGoesIntoTheUsersPodman() throws {
        let tmp = try Self.workspace("rootless-load", "RUN echo loaded > /loaded\n")
        // podman's run-time directory must have a short path.
        let xdg = try shortTempDir()
        defer { try? FileManager.default.removeItem(atPath: tmp); try? FileManager.default.removeItem(atPath: xdg) }
        try FileManager.default.createDirectory(atPath: tmp + "/home", withIntermediateDirectories: true)
        _ = try run(["chown", Self.user, tmp + "/home", xdg])
        let env = ["HOME": tmp + "/home", "XDG_RUNTIME_DIR": xdg, "DOCKER_HOST": "unix://\(tmp)/no-docker.sock"]
        let r = try CLI.run(["build", "--progress", "plain", "-t", "rootless-load:1", "--load", tmp + "/ctx"], home: tmp + "/store",
                            environment: env, user: Self.user)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("podman: Loaded image: docker.io/library/rootless-load:1"), "\(r.stderr)")
        try Podman(root: tmp + "/home/.local/share/containers", runroot: xdg + "/containers").run(["image", "exists", "rootless-load:1"])
    }

    /// nobody has no subordinate IDs: a step cannot run, and the one line says what to grant.
    /// What needs no step still builds.
    @Test func withoutSubordinateIDsRunIsOneClearLine() throws {
        #expect(throws: ToolError.self) { try Self.firstSubordinate("/etc/subuid", of: "nobody") }
        let tmp = try Self.workspace("rootless-none", "RUN echo hi\n")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let r = try CLI.run(["build", "--progress", "quiet", tmp + "/ctx"], home: tmp + "/store", user: "nobody")
        #expect(r.status == 1)
        #expect(r.stderr.contains("Containerfile:5: RUN without root needs a user namespace, and nobody (uid 65534) has no range in /etc/subuid and /etc/subgid: grant one with `usermod --add-subuids "), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")

        try write("FROM scratch\nCOPY etc/ /etc/\n", to: tmp + "/ctx/Containerfile")
        let copy = try CLI.run(["build", "--progress", "quiet", tmp + "/ctx"], home: tmp + "/store", user: "nobody")
        #expect(copy.status == 0, "\(copy.stderr)")
    }

    /// An owner the namespace cannot hold is refused, not silently turned into the user's own.
    @Test func ownersBeyondTheRangeAreRefused() throws {
        let tmp = try Self.workspace("rootless-range", "COPY --chown=100000:100000 etc/passwd /far\nRUN /bin/busybox chmod 600 /far\n")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let r = try CLI.run(["build", "--progress", "quiet", tmp + "/ctx"], home: tmp + "/store", user: Self.user)
        #expect(r.status == 1)
        #expect(r.stderr.contains("/far belongs to 100000:100000, an owner that cannot be given here"), "\(r.stderr)")
    }
}
