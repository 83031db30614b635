import Foundation
import TestSupport
import Testing

/// A registry answering hostile manifests (served through the proxy in front of the real one):
/// every command that reads them stops with one clear line, promptly, and keeps nothing.
@Suite(.serialized) struct HostileRegistryTests {
    static let cases: [(kind: String, says: String)] = [
        ("huge", "the manifest is larger than the 4 MB the distribution spec allows"),
        ("nested", "the registry answered an invalid manifest: not valid JSON"),
        ("not-json", "the registry answered an invalid manifest: not valid JSON"),
        ("media-type", "unsupported manifest type application/vnd.example.unknown+json"),
        ("mismatch", "content does not match its digest"),
        ("config", "not found"),
    ]

    @Test func hostileManifestsAreOneClearLine() throws {
        try CLI.requireFixtures()
        let registry = try TestRegistry("plain")
        let proxy = try FaultProxy(upstream: registry.host, rate: 0, seed: 1)
        let tmp = try makeTempDir("hostile-registry")
        defer { proxy.stop(); registry.stop(); try? FileManager.default.removeItem(atPath: tmp) }
        let push = try CLI.run(["build", "--platform", "linux/amd64,linux/arm64", "--push", "-t", "\(registry.host)/ml/hello:1", CLI.hello], home: tmp + "/pusher")
        #expect(push.status == 0, "\(push.stderr)")
        let image = "\(proxy.host)/ml/hello:1"
        try write("FROM \(image)\nENV STAGE=app\n", to: tmp + "/app/Containerfile")
        for (kind, says) in HostileRegistryTests.cases {
            try proxy.tamper(kind)
            for args in [["inspect", image], ["build", tmp + "/app"], ["tag", image, "\(proxy.host)/ml/hello:2"]] {
                let home = tmp + "/store-\(kind)"
                let r = try CLI.run(args, home: home, timeout: 60)
                #expect(r.status == 1, "\(kind) \(args[0]): \(r.stderr)")
                #expect(r.stderr.hasPrefix("imagectl: error: ") && r.stderr.split(separator: "\n").count == 1, "\(kind) \(args[0]): \(r.stderr)")
                #expect(r.stderr.contains(says), "\(kind) \(args[0]): \(r.stderr)")
                let kept = (try? FileManager.default.contentsOfDirectory(atPath: home + "/blobs/sha256")) ?? []
                #expect(kept.isEmpty, "\(kind) \(args[0]) kept \(kept.count) blob(s)")
            }
        }
        try proxy.tamper("none")
        #expect(try CLI.run(["inspect", image], home: tmp + "/store-clean").status == 0)
    }

    @Test func hostileTokenAnswersAreOneClearLine() throws {
        try CLI.requireFixtures()
        let registry = try TestRegistry("token")
        let s = try PushTests.Session("hostile-token")
        defer { registry.stop(); s.remove() }
        let login = try s.imagectl(["login", registry.host, "-u", registry.username, "--password-stdin"], stdin: registry.password + "\n")
        #expect(login.status == 0, "\(login.stderr)")
        for (kind, says) in [("not-json", "the token service answered without a token"), ("no-token", "the token service answered without a token"),
                             ("nested", "the token service answered without a token"), ("newline", "the token service answered without a token"),
                             ("huge", "the token service answered more than 1 MB")] {
            try registry.tokenAnswer(kind)
            let r = try CLI.run(["build", "--push", "--progress", "quiet", "-t", "\(registry.host)/ml/hello:\(kind)", CLI.hello], home: s.home,
                                environment: ["DOCKER_CONFIG": s.dockerConfig], timeout: 60)
            #expect(r.status == 1, "\(kind): \(r.stderr)")
            #expect(r.stderr.hasPrefix("imagectl: error: \(registry.host): \(says)") && r.stderr.split(separator: "\n").count == 1, "\(kind): \(r.stderr)")
        }
        try registry.tokenAnswer("normal")
        let ok = try CLI.run(["build", "--push", "-t", "\(registry.host)/ml/hello:1", CLI.hello], home: s.home, environment: ["DOCKER_CONFIG": s.dockerConfig])
        #expect(ok.status == 0, "\(ok.stderr)")
    }

    @Test func hostileChallengesAreOneClearLine() throws {
        try CLI.requireFixtures()
        let registry = try TestRegistry("token")
        let proxy = try FaultProxy(upstream: registry.host, rate: 0, seed: 1)
        let s = try PushTests.Session("hostile-challenge")
        defer { proxy.stop(); registry.stop(); s.remove() }
        let login = try s.imagectl(["login", proxy.host, "-u", registry.username, "--password-stdin"], stdin: registry.password + "\n")
        #expect(login.status == 0, "\(login.stderr)")
        for (kind, says) in [("challenge-garbage", "the auth challenge has no usable realm"),
                             ("challenge-http-realm", "the auth challenge sends credentials to tokens.example.com over plain HTTP; refused"),
                             ("challenge-huge", "the response headers are too large"),
                             ("challenge-unknown", "authentication failed")] {
            try proxy.tamper(kind)
            for args in [["build", "--push", "--progress", "quiet", "-t", "\(proxy.host)/ml/hello:1", CLI.hello], ["inspect", "\(proxy.host)/ml/hello:1"]] {
                let r = try CLI.run(args, home: s.home, environment: ["DOCKER_CONFIG": s.dockerConfig], timeout: 60)
                #expect(r.status == 1, "\(kind) \(args[0]): \(r.stderr)")
                #expect(r.stderr.hasPrefix("imagectl: error: \(proxy.host): \(says)") && r.stderr.split(separator: "\n").count == 1, "\(kind) \(args[0]): \(r.stderr)")
                #expect(!r.stderr.contains(registry.password))
            }
        }
    }

    /// A registry that quotes the credentials back in its error message: the line shows ***.
    @Test func credentialsEchoedByARegistryAreRedacted() throws {
        try CLI.requireFixtures()
        let s = try PushTests.Session("echo-auth")
        defer { s.remove() }
        for mode in ["token", "basic"] {
            let other = try TestRegistry(mode)
            let echo = try FaultProxy(upstream: other.host, rate: 0, seed: 1)
            defer { echo.stop(); other.stop() }
            try echo.tamper("none")
            _ = try s.imagectl(["login", echo.host, "-u", other.username, "--password-stdin"], stdin: other.password + "\n")
            try echo.tamper("echo-auth")
            let r = try CLI.run(["build", "--push", "--progress", "quiet", "-t", "\(echo.host)/ml/hello:1", CLI.hello], home: s.home,
                                environment: ["DOCKER_CONFIG": s.dockerConfig], timeout: 60)
            #expect(r.status == 1)
            #expect(r.stderr.contains("credentials *** may not push here"), "\(mode): \(r.stderr)")
            let basic = Data("\(other.username):\(other.password)".utf8).base64EncodedString()
            // Not even a fragment: a cut-short message could carry the start of a token.
            for secret in [other.password, basic] + other.issuedTokens() {
                #expect(!r.stderr.contains(secret.prefix(16)), "\(mode): a secret was echoed: \(r.stderr)")
            }
        }
    }
}
