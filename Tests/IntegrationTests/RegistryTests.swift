import Foundation
import OCI
import TestSupport
import Testing

/// imagectl against the real registry, checked with skopeo and podman.
@Suite(.serialized) struct PushTests {
    /// Runs imagectl with a docker config dir of its own and collects everything it printed,
    /// so tests can assert that no secret ever appears.
    final class Session {
        let tmp: String
        let home: String
        let dockerConfig: String
        var printed = ""

        init(_ name: String) throws {
            tmp = try makeTempDir(name)
            home = tmp + "/store"
            dockerConfig = tmp + "/docker"
        }

        func imagectl(_ args: [String], stdin: String? = nil, env: [String: String] = [:]) throws -> CLI.Result {
            var environment = ["DOCKER_CONFIG": dockerConfig]
            for (k, v) in env { environment[k] = v }
            let r = try CLI.run(args, home: home, environment: environment, stdin: stdin)
            printed += r.stdout + r.stderr
            return r
        }

        func remove() { try? FileManager.default.removeItem(atPath: tmp) }
    }

    static func skopeo(_ args: [String]) throws -> Data { try run(["skopeo"] + args) }

    @Test func pushTwoPlatformsThenNothingThenMount() throws {
        try CLI.requireFixtures()
        let registry = try TestRegistry("plain")
        let s = try Session("push")
        defer { registry.stop(); s.remove() }
        let repo = "\(registry.host)/ml/hello"
        let first = try s.imagectl(["build", "--platform", "linux/amd64,linux/arm64", "--push",
                                    "-t", repo + ":1.0", "-t", repo + ":latest", "-t", repo + ":stable", CLI.hello])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stderr.contains("pushed 7, skipped 0, mounted 0"))
        let digest = first.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        for tag in ["1.0", "latest", "stable"] {
            let raw = try Self.skopeo(["inspect", "--raw", "--tls-verify=false", "docker://\(repo):\(tag)"])
            #expect(Digest.sha256(raw).description == digest)
        }
        // The same push again uploads nothing.
        let again = try s.imagectl(["push", repo + ":1.0", "--format", "json"])
        #expect(again.status == 0, "\(again.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(again.stdout.utf8)) as? [String: Any]
        #expect(summary?["pushed"] as? Int == 0)
        #expect(summary?["skipped"] as? Int == 7)
        #expect(summary?["digest"] as? String == digest)
        // Another repository of the same registry mounts every blob instead of uploading it.
        let other = try s.imagectl(["push", repo + ":1.0", "--repository", "\(registry.host)/other/hello", "--format", "json"])
        let mounted = try JSONSerialization.jsonObject(with: Data(other.stdout.utf8)) as? [String: Any]
        #expect(mounted?["mounted"] as? Int == 7)
        #expect(mounted?["pushed"] as? Int == 0)
        // skopeo copies it back with identical digests, and podman runs the amd64 image.
        try run(["skopeo", "copy", "--all", "-q", "--src-tls-verify=false", "docker://\(repo):1.0", "oci:\(s.tmp)/back:1.0"])
        let back = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: s.tmp + "/back/index.json"))) as? [String: Any]
        #expect((back?["manifests"] as? [[String: Any]])?.first?["digest"] as? String == digest)
        let podman = Podman(root: try shortTempDir())
        defer { try? FileManager.default.removeItem(atPath: podman.root) }
        try podman.run(["pull", "-q", "--tls-verify=false", "--arch", "amd64", "\(repo):1.0"])
        let health = try podman.serve("\(repo):1.0", request: "GET /health HTTP/1.0\r\n\r\n")
        #expect(health.hasSuffix(#"{"status":"ok"}"#))
    }

    @Test func fromARegistryBaseMountsItsLayers() throws {
        try CLI.requireFixtures()
        let registry = try TestRegistry("plain")
        let s = try Session("base")
        defer { registry.stop(); s.remove() }
        let base = "\(registry.host)/base/hello:1"
        #expect(try s.imagectl(["build", "--platform", "linux/amd64,linux/arm64", "--push", "-t", base, CLI.hello]).status == 0)
        // A second store: nothing of the base is local.
        let app = s.tmp + "/app"
        // A destination that names a directory needs no look at the base's files, so nothing is downloaded.
        try write("FROM \(base)\nCOPY extra.txt /app/\nCMD [\"--verbose\"]\n", to: app + "/Containerfile")
        try write("extra\n", to: app + "/extra.txt")
        let fresh = ["IMAGECTL_HOME": s.tmp + "/store2"]
        let r = try s.imagectl(["build", "--platform", "linux/amd64,linux/arm64", "--push", "-t", "\(registry.host)/app/hello:2", app],
                               env: fresh)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("pushed 3, skipped 0, mounted 5"), "\(r.stderr)")
        let blobs = try FileManager.default.contentsOfDirectory(atPath: s.tmp + "/store2/blobs/sha256")
        #expect(blobs.count < 12, "base layers must not be downloaded for a push: \(blobs.count) blobs")
        let inspect = try JSONSerialization.jsonObject(with: try Self.skopeo(["inspect", "--tls-verify=false", "--override-arch", "arm64",
                                                                               "docker://\(registry.host)/app/hello:2"])) as? [String: Any]
        #expect((inspect?["Layers"] as? [String])?.count == 5)
        #expect(inspect?["Architecture"] as? String == "arm64")
        // An OCI export needs the bytes: they are fetched once and verified.
        let out = try s.imagectl(["build", "--platform", "linux/amd64,linux/arm64", "--output", "type=oci,dest=\(s.tmp)/layout",
                                  "-t", "app:2", app], env: fresh)
        #expect(out.status == 0, "\(out.stderr)")
        try run(["skopeo", "copy", "--all", "-q", "oci:\(s.tmp)/layout:2", "oci:\(s.tmp)/copy:2"])
        // A platform the base does not have is a clear error.
        let bad = try s.imagectl(["build", "--platform", "linux/riscv64", app], env: fresh)
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("no image for linux/riscv64 (it offers linux/amd64, linux/arm64)"))
    }

    @Test(arguments: ["basic", "token"])
    func loginPushAndSecrets(_ mode: String) throws {
        try CLI.requireFixtures()
        let registry = try TestRegistry(mode)
        let s = try Session("auth-\(mode)")
        defer { registry.stop(); s.remove() }
        let repo = "\(registry.host)/secure/hello"
        let anonymous = try s.imagectl(["build", "--push", "-t", repo + ":x", CLI.hello])
        #expect(anonymous.status == 1)
        #expect(anonymous.stderr.contains("\(registry.host): authentication failed"), "\(anonymous.stderr)")
        let wrong = try s.imagectl(["login", registry.host, "-u", registry.username, "--password-stdin"], stdin: "not-the-password\n")
        #expect(wrong.status == 1)
        #expect(wrong.stderr.contains("authentication failed"))
        #expect(!FileManager.default.fileExists(atPath: s.dockerConfig + "/config.json"))
        let onCommandLine = try s.imagectl(["login", registry.host, "-u", registry.username, "-p", "whatever"])
        #expect(onCommandLine.status != 0)
        #expect(onCommandLine.stderr.contains("--password-stdin"))
        let login = try s.imagectl(["login", registry.host, "-u", registry.username, "--password-stdin"], stdin: registry.password + "\n")
        #expect(login.status == 0, "\(login.stderr)")
        #expect(login.stdout == "Login Succeeded\n")
        let fileMode = try FileManager.default.attributesOfItem(atPath: s.dockerConfig + "/config.json")[.posixPermissions] as? Int
        #expect(fileMode == 0o600)
        let tokensBefore = registry.mode == "token" ? try registry.tokensIssued() : 0
        let push = try s.imagectl(["build", "--platform", "linux/amd64,linux/arm64", "--push", "-t", repo + ":1", "-t", repo + ":2", CLI.hello])
        #expect(push.status == 0, "\(push.stderr)")
        if registry.mode == "token" {
            // One token for the push scope serves every request of the push.
            let issued = try registry.tokensIssued() - tokensBefore
            #expect(issued >= 1 && issued <= 2, "tokens issued: \(issued)")
        }
        try run(["skopeo", "inspect", "--raw", "--tls-verify=false", "--creds", "\(registry.username):\(registry.password)", "docker://\(repo):2"])
        // No secret in any file either, other than the credential store itself (layer bytes aside).
        let leaked = try run(["bash", "-c", "grep -rlaF --exclude-dir=blobs -e '\(registry.password)' -e 'eyJ' \(s.home) || true"])
        #expect(leaked.isEmpty, "\(String(decoding: leaked, as: UTF8.self))")
        #expect(try s.imagectl(["logout", registry.host]).stdout.contains("Removed"))
        #expect(!s.printed.contains(registry.password))
        #expect(!s.printed.contains("eyJ"), "a JWT was printed")
    }

    @Test func identityTokenUsesTheOAuthForm() throws {
        try CLI.requireFixtures()
        let registry = try TestRegistry("token")
        let s = try Session("identity")
        defer { registry.stop(); s.remove() }
        // What `docker login` stores for a registry that hands out refresh tokens.
        try write(#"{"auths":{"\#(registry.host)":{"auth":"","identitytoken":"\#(registry.password)"}}}"#, to: s.dockerConfig + "/config.json")
        let r = try s.imagectl(["build", "--push", "-t", "\(registry.host)/id/hello:1", CLI.hello])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!s.printed.contains(registry.password))
    }

    @Test func tlsNeedsItsCA() throws {
        try CLI.requireFixtures()
        let registry = try TestRegistry("tls")
        let s = try Session("tls")
        defer { registry.stop(); s.remove() }
        let repo = "\(registry.host)/tls/hello:1"
        let untrusted = try s.imagectl(["build", "--push", "-t", repo, CLI.hello])
        #expect(untrusted.status == 1)
        #expect(untrusted.stderr.contains("TLS"), "\(untrusted.stderr)")
        #expect(untrusted.stderr.contains("--ca-file"))
        let trusted = try s.imagectl(["build", "--push", "-t", repo, "--ca-file", registry.caFile, CLI.hello])
        #expect(trusted.status == 0, "\(trusted.stderr)")
        try FileManager.default.createDirectory(atPath: s.tmp + "/certs", withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: registry.caFile, toPath: s.tmp + "/certs/ca.crt")
        try run(["skopeo", "inspect", "--raw", "--cert-dir", s.tmp + "/certs", "docker://\(repo)"])
    }

    @Test func plainHTTPNeedsInsecureRegistryForNonLoopbackNames() throws {
        try CLI.requireFixtures()
        let registry = try TestRegistry("plain")
        let s = try Session("insecure-name")
        defer { registry.stop(); s.remove() }
        // The machine's own name reaches the loopback registry without looking like a loopback host.
        let name = String(decoding: try run(["hostname"]), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let resolved = String(decoding: try run(["getent", "hosts", name]), as: UTF8.self)
        #expect(resolved.hasPrefix("127."), "this test needs the host name to resolve to loopback: \(resolved)")
        let host = name + ":" + registry.host.split(separator: ":").last!
        let refused = try s.imagectl(["build", "--push", "-t", "\(host)/x/y:1", CLI.hello])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("pass --insecure-registry \(host)"), "\(refused.stderr)")
        let allowed = try s.imagectl(["build", "--push", "-t", "\(host)/x/y:1", "--insecure-registry", host, CLI.hello])
        #expect(allowed.status == 0, "\(allowed.stderr)")
    }

    @Test func unreachableRegistryIsOneClearLine() throws {
        let s = try Session("insecure")
        defer { s.remove() }
        try write("FROM example.invalid/base:1\n", to: s.tmp + "/ctx/Containerfile")
        let r = try s.imagectl(["build", s.tmp + "/ctx"])
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("imagectl: error: \(s.tmp)/ctx/Containerfile:1: example.invalid:"), "\(r.stderr)")
    }

    @Test func tagsFromGitOnAFixtureRepository() throws {
        try CLI.requireFixtures()
        let registry = try TestRegistry("plain")
        let s = try Session("git")
        defer { registry.stop(); s.remove() }
        let repoDir = s.tmp + "/repo"
        try run(["cp", "-a", CLI.hello, repoDir])
        let git = "git -C \(repoDir) -c user.email=ci@example.org -c user.name=ci"
        try run(["bash", "-c", "\(git) init -q -b main && \(git) add -A && \(git) commit -q -m one"])
        let sha = String(decoding: try run(["git", "-C", repoDir, "rev-parse", "HEAD"]), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let repo = "\(registry.host)/ml/model"
        let r = try s.imagectl(["build", "--platform", "linux/amd64,linux/arm64", "--push", "--tags-from-git", "--repository", repo, repoDir])
        #expect(r.status == 0, "\(r.stderr)")
        let tags = try JSONSerialization.jsonObject(with: try Self.skopeo(["list-tags", "--tls-verify=false", "docker://\(repo)"])) as? [String: Any]
        #expect(Set(tags?["Tags"] as? [String] ?? []) == ["main", "staging", "main-" + sha.prefix(7)])
        let labels = (try JSONSerialization.jsonObject(with: try Self.skopeo(["inspect", "--tls-verify=false", "docker://\(repo):main"])) as? [String: Any])?["Labels"] as? [String: String]
        #expect(labels?["org.opencontainers.image.revision"] == sha)
        #expect(labels?["org.opencontainers.image.version"] == "main")
        // A feature branch with a slash and capitals: only its own tags.
        try run(["bash", "-c", "\(git) checkout -q -b Feature/Big-Model"])
        let printedTags = try CLI.run(["tags", "--from-git", "--repository", repo], home: s.home, environment: [:], stdin: nil, directory: repoDir)
        #expect(printedTags.stdout == "\(repo):Feature-Big-Model\n\(repo):Feature-Big-Model-\(sha.prefix(7))\n")
        // Detached HEAD and a pull request give no branch: nothing to push, said clearly.
        try run(["bash", "-c", "\(git) checkout -q --detach"])
        let detached = try s.imagectl(["build", "--push", "--tags-from-git", "--repository", repo, repoDir])
        #expect(detached.status == 1)
        #expect(detached.stderr.contains("nothing to push"))
        let pr = try s.imagectl(["build", "--push", "--tags-from-git", "--repository", repo, repoDir],
                                env: ["GITHUB_ACTIONS": "true", "GITHUB_REF": "refs/pull/3/merge", "GITHUB_SHA": sha, "GITHUB_EVENT_NAME": "pull_request"])
        #expect(pr.status == 1)
        #expect(pr.stderr.contains("refs/pull/3/merge"))
    }
}
