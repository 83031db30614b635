import Foundation
import OCI
import TestSupport
import Testing

/// Credentials against the token-auth registry: every registry command, traced with --verbose and
/// run as a GitHub Actions step, prints and stores neither the password nor any token the token
/// server issued; and a token that stops working mid-push is replaced, not fatal.
@Suite(.serialized) struct SecretsTests {
    @Test func noCommandPrintsOrStoresASecret() throws {
        try CLI.requireFixtures()
        let registry = try TestRegistry("token")
        let s = try PushTests.Session("secrets")
        defer { registry.stop(); s.remove() }
        let repo = "\(registry.host)/secure/hello"
        let gh = ["GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": s.tmp + "/gh-output", "GITHUB_STEP_SUMMARY": s.tmp + "/gh-summary"]
        func ok(_ args: [String], stdin: String? = nil) throws -> CLI.Result {
            let r = try s.imagectl(args + ["--verbose"], stdin: stdin, env: gh)
            #expect(r.status == 0, "\(args.prefix(2)): \(r.stderr)")
            return r
        }
        let wrong = try s.imagectl(["login", registry.host, "-u", registry.username, "--password-stdin", "--verbose"], stdin: "not-the-password\n", env: gh)
        #expect(wrong.status == 1)
        _ = try ok(["login", registry.host, "-u", registry.username, "--password-stdin"], stdin: registry.password + "\n")
        _ = try ok(["build", "--platform", "linux/amd64,linux/arm64", "--push", "-t", repo + ":1", "--cache-to", "type=registry,ref=\(repo):cache",
                    "--metadata-file", s.tmp + "/metadata.json", "--iidfile", s.tmp + "/iid", CLI.hello])
        _ = try ok(["push", repo + ":1", "--repository", "\(registry.host)/secure/copy", "--tag", "2"])
        _ = try ok(["tag", repo + ":1", repo + ":promoted"])
        _ = try ok(["inspect", repo + ":1", "--format", "json"])
        let digest = try ok(["digest", repo + ":1"]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try ok(["index", "create", "-t", repo + ":merged", "\(repo)@\(digest)"])
        _ = try ok(["ls", repo])
        _ = try ok(["export", repo + ":1", "--output", "type=oci,dest=\(s.tmp)/export.tar"])
        try write("FROM \(repo):1\nENV STAGE=app\n", to: s.tmp + "/app/Containerfile")
        _ = try ok(["build", "--push", "-t", repo + ":app", "--cache-from", "type=registry,ref=\(repo):cache", s.tmp + "/app"])
        let digestOnly = try s.imagectl(["digest", repo + ":1"], env: gh)
        #expect(digestOnly.stdout == digest + "\n", "workflow commands must not reach stdout")
        _ = try s.imagectl(["logout", registry.host], env: gh)

        #expect(s.printed.contains("imagectl: trace: PUT "), "--verbose traced no upload")
        #expect(s.printed.contains("[Bearer] -> 201"))
        let tokens = registry.issuedTokens()
        #expect(tokens.count >= 5, "tokens issued: \(tokens.count)")
        for secret in [registry.password] + tokens {
            // The one place a secret may be printed is the mask command the runner consumes.
            let lines = s.printed.split(separator: "\n").filter { $0.contains(secret) }
            #expect(lines.allSatisfy { $0 == "::add-mask::\(secret)" }, "a secret was printed: \(lines.first?.prefix(120) ?? "")")
            let files = String(decoding: try run(["bash", "-c", "grep -rlaF -- \"$0\" \"$1\" || true", secret, s.tmp]), as: UTF8.self)
            #expect(files.isEmpty, "a secret was written to \(files)")
        }
        // The password was stored only in the credential store, 0600, and logout removed it.
        let mode = try FileManager.default.attributesOfItem(atPath: s.dockerConfig + "/config.json")[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func aTokenThatStopsWorkingMidPushIsReplaced() throws {
        try CLI.requireFixtures()
        // Tokens say they last 300 s but the registry refuses them after 2 s; 0.2 s per request
        // and one blob at a time make the push outlive the first token.
        let registry = try TestRegistry("token", tokenValidSeconds: 2)
        let proxy = try FaultProxy(upstream: registry.host, rate: 0, seed: 1, delay: 0.2)
        let s = try PushTests.Session("expiry")
        defer { proxy.stop(); registry.stop(); s.remove() }
        _ = try s.imagectl(["login", proxy.host, "-u", registry.username, "--password-stdin"], stdin: registry.password + "\n")
        let r = try s.imagectl(["build", "--platform", "linux/amd64,linux/arm64", "--push", "--verbose", "--jobs", "1", "-t", "\(proxy.host)/ml/expiry:1", CLI.hello])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("invalid_token"), "no token expired during the push; make it longer")
        #expect(registry.issuedTokens().count >= 3)
        try run(["skopeo", "copy", "--all", "-q", "--src-tls-verify=false", "--src-creds", "\(registry.username):\(registry.password)",
                 "docker://\(registry.host)/ml/expiry:1", "oci:\(s.tmp)/check:1"])
    }
}
