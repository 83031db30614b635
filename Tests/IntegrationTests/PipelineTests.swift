import Foundation
import OCI
import TestSupport
import Testing

/// The example run for real, as the CI push job runs it: build both platforms, push with tags
/// from git on main, serve the amd64 image with podman, promote and roll back.
@Suite(.serialized) struct PipelineTests {
    static func digest(_ ref: String) throws -> String {
        Digest.sha256(try run(["skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + ref])).description
    }

    /// One HTTP exchange with the served container, from Python's standard library.
    static func http(_ method: String, _ url: String, body: String? = nil) throws -> (Int, String) {
        let out = try run(["python3", "-c", """
            import sys, urllib.request, urllib.error
            data = sys.argv[3].encode() if len(sys.argv) > 3 else None
            req = urllib.request.Request(sys.argv[2], data=data, method=sys.argv[1])
            try:
                r = urllib.request.urlopen(req, timeout=10); print(r.status); print(r.read().decode())
            except urllib.error.HTTPError as e:
                print(e.code); print(e.read().decode())
            """, method, url] + (body.map { [$0] } ?? []))
        let text = String(decoding: out, as: UTF8.self)
        let lines = text.split(separator: "\n", maxSplits: 1).map(String.init)
        return (Int(lines.first ?? "") ?? 0, lines.count > 1 ? lines[1].trimmingCharacters(in: .whitespacesAndNewlines) : "")
    }

    @Test func buildPushServePromoteRollback() throws {
        try CLI.requireFixtures()
        let registry = try TestRegistry("plain")
        let tmp = try makeTempDir("pipeline")
        defer { registry.stop(); try? FileManager.default.removeItem(atPath: tmp) }
        let src = tmp + "/repo"
        try run(["cp", "-a", CLI.hello, src])
        let git = "git -C \(src) -c user.email=ci@example.org -c user.name=ci"
        try run(["bash", "-c", "\(git) init -q -b main && \(git) add -A && \(git) commit -q -m first"])
        let first = String(decoding: try run(["git", "-C", src, "rev-parse", "--short=7", "HEAD"]), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let repo = "\(registry.host)/ml/hello"
        let home = tmp + "/store"
        func imagectl(_ args: [String]) throws -> CLI.Result {
            let r = try CLI.run(args, home: home)
            #expect(r.status == 0, "\(args.joined(separator: " ")): \(r.stderr)")
            return r
        }
        _ = try imagectl(["build", "--platform", "linux/amd64,linux/arm64", "--push", "--tags-from-git", "--repository", repo, src])
        let v1 = try Self.digest(repo + ":main-" + first)
        #expect(try Self.digest(repo + ":main") == v1)
        #expect(try Self.digest(repo + ":staging") == v1)

        // Serve the pulled amd64 image for real: nc listens on a free port of the host network.
        let podman = Podman(root: try shortTempDir())
        defer { try? FileManager.default.removeItem(atPath: podman.root) }
        try podman.run(["pull", "-q", "--tls-verify=false", "--arch", "amd64", repo + ":main"])
        let port = String(decoding: try run(["python3", "-c", "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])"]), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let name = "hello-\(port)"
        try podman.run(["run", "-d", "--name", name, "--network", "host", "--runtime", "runc", "--ulimit", "nofile=1024:1024",
                        "--ulimit", "nproc=1024:1024", "--entrypoint", "/bin/nc", repo + ":main", "-ll", "-p", port, "-e", "/app/serve"])
        defer { _ = try? podman.run(["rm", "-f", name]) }
        var health = (0, "")
        for _ in 0..<50 {
            health = (try? Self.http("GET", "http://127.0.0.1:\(port)/health")) ?? (0, "")
            if health.0 == 200 { break }
            Thread.sleep(forTimeInterval: 0.1)
        }
        #expect(health.0 == 200)
        #expect(health.1 == #"{"status":"ok"}"#)
        let predict = try Self.http("POST", "http://127.0.0.1:\(port)/predict", body: #"{"features":[1.0,2.0,3.0]}"#)
        #expect(predict.0 == 200)
        #expect(predict.1 == #"{"score":0.4500}"#)
        let bad = try Self.http("POST", "http://127.0.0.1:\(port)/predict", body: #"{"features":"nope"}"#)
        #expect(bad.0 == 400)

        // A second commit, built and pushed: main and staging move on.
        try write("bias -0.4\nw 0.8\nw -0.3\nw 0.25\n", to: src + "/model/weights.txt")
        try run(["bash", "-c", "\(git) commit -q -am second"])
        let second = String(decoding: try run(["git", "-C", src, "rev-parse", "--short=7", "HEAD"]), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        Thread.sleep(forTimeInterval: 1.1)
        _ = try imagectl(["build", "--platform", "linux/amd64,linux/arm64", "--push", "--tags-from-git", "--repository", repo, src])
        let v2 = try Self.digest(repo + ":main-" + second)
        #expect(v2 != v1)
        #expect(try Self.digest(repo + ":staging") == v2)

        // Roll staging back to the first build, then promote the second again.
        _ = try imagectl(["rollback", repo, "--to", first])
        #expect(try Self.digest(repo + ":staging") == v1)
        #expect(try Self.digest(repo + ":main") == v2)
        _ = try imagectl(["tag", repo + ":main-" + second, "staging"])
        #expect(try Self.digest(repo + ":staging") == v2)
        let tags = try imagectl(["ls", repo]).stdout.split(separator: "\n").map(String.init)
        #expect(Set(tags) == ["main", "staging", "main-" + first, "main-" + second])
    }

    @Test func registryCacheServesAnEmptyRunner() throws {
        try CLI.requireFixtures()
        let registry = try TestRegistry("plain")
        let tmp = try makeTempDir("regcache")
        defer { registry.stop(); try? FileManager.default.removeItem(atPath: tmp) }
        let repo = "\(registry.host)/ml/cached"
        let first = try CLI.run(["build", "--platform", "linux/amd64,linux/arm64", "--push", "-t", repo + ":1",
                                 "--cache-to", "type=registry,ref=\(repo):buildcache", "--cache-dir", tmp + "/runner1", CLI.hello], home: tmp + "/unused")
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("cache: 5 layer record(s) to"))
        // A fresh runner: empty disk, only the registry cache.
        let second = try CLI.run(["build", "--platform", "linux/amd64,linux/arm64", "--push", "-t", repo + ":2", "--progress", "plain",
                                  "--cache-from", "type=registry,ref=\(repo):buildcache", "--cache-dir", tmp + "/runner2", CLI.hello], home: tmp + "/unused")
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stderr.contains("built 0 layer(s), reused 8"), "\(second.stderr)")
        #expect(second.stderr.contains("pushed 0, skipped 7"))
        #expect(second.stdout == first.stdout)
        // No layer was compressed or even downloaded on the second runner.
        let blobs = try FileManager.default.contentsOfDirectory(atPath: tmp + "/runner2/blobs/sha256")
        #expect(blobs.count == 5, "configs, manifests and the index only: \(blobs.count)")
        // A cache that does not exist yet is not an error.
        let none = try CLI.run(["build", "--cache-from", "\(repo):nothing-here", "--cache-dir", tmp + "/runner3", CLI.hello], home: tmp + "/unused")
        #expect(none.status == 0, "\(none.stderr)")
    }

    @Test func runnersPushByDigestAndMergeIntoOneIndex() throws {
        try CLI.requireFixtures()
        let registry = try TestRegistry("plain")
        let tmp = try makeTempDir("runners")
        defer { registry.stop(); try? FileManager.default.removeItem(atPath: tmp) }
        let repo = "\(registry.host)/ml/merged"
        // Two runners, two stores: each builds and pushes one platform by digest.
        let amd = try CLI.run(["build", "--platform", "linux/amd64", "--by-digest", repo, CLI.hello], home: tmp + "/a")
        let arm = try CLI.run(["build", "--platform", "linux/arm64", "--by-digest", repo, CLI.hello], home: tmp + "/b")
        #expect(amd.status == 0 && arm.status == 0, "\(amd.stderr) \(arm.stderr)")
        let a = amd.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let b = arm.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(a.hasPrefix(repo + "@sha256:") && b.hasPrefix(repo + "@sha256:"))
        // Pushed by digest: the manifests are there, with no tag yet.
        try run(["skopeo", "inspect", "--raw", "--tls-verify=false", "docker://" + a])
        let merged = try CLI.run(["index", "create", "-t", repo + ":1.0", "--annotation", "org.opencontainers.image.version=1.0", a, b],
                                 home: tmp + "/c")
        #expect(merged.status == 0, "\(merged.stderr)")
        let raw = try JSONSerialization.jsonObject(with: try run(["skopeo", "inspect", "--raw", "--tls-verify=false", "docker://\(repo):1.0"])) as? [String: Any]
        let platforms = (raw?["manifests"] as? [[String: Any]])?.compactMap { ($0["platform"] as? [String: String])?["architecture"] }
        #expect(platforms == ["amd64", "arm64"])
        #expect((raw?["annotations"] as? [String: String])?["org.opencontainers.image.version"] == "1.0")
        try run(["skopeo", "copy", "--all", "-q", "--src-tls-verify=false", "docker://\(repo):1.0", "oci:\(tmp)/copy:1.0"])
        let inspect = try CLI.run(["inspect", "--format", "json", repo + ":1.0"], home: tmp + "/d")
        let report = try JSONSerialization.jsonObject(with: Data(inspect.stdout.utf8)) as? [String: Any]
        #expect((report?["images"] as? [[String: Any]])?.count == 2)
        // export pulls what the store lacks, verified, and writes a tarball docker load takes.
        let export = try CLI.run(["export", repo + ":1.0", "--output", "type=docker,dest=\(tmp)/merged.tar,platform=linux/arm64"], home: tmp + "/e")
        #expect(export.status == 0, "\(export.stderr)")
        let exported = try JSONSerialization.jsonObject(with: try run(["skopeo", "inspect", "docker-archive:\(tmp)/merged.tar"])) as? [String: Any]
        #expect(exported?["Architecture"] as? String == "arm64")
    }
}
