import Foundation
import Registry
import TestSupport
import Testing

@Suite struct CredentialStoreTests {
    @Test func dockerConfigOrderAndWrite() throws {
        let dir = try makeTempDir("docker")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let auth = Data("alice:s3cret".utf8).base64EncodedString()
        try write(#"{"auths":{"https://ghcr.io":{"auth":"\#(auth)"},"https://index.docker.io/v1/":{"auth":"\#(auth)"}}}"#, to: dir + "/config.json")
        let store = CredentialStore(environment: ["DOCKER_CONFIG": dir])
        #expect(try store.lookup("ghcr.io") == Credential(username: "alice", secret: "s3cret"))
        #expect(try store.lookup("docker.io")?.username == "alice")
        #expect(try store.lookup("quay.io") == nil)
        try store.save("127.0.0.1:5000", Credential(username: "bob", secret: "pw"))
        let mode = try FileManager.default.attributesOfItem(atPath: dir + "/config.json")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try store.lookup("127.0.0.1:5000") == Credential(username: "bob", secret: "pw"))
        #expect(try store.lookup("ghcr.io")?.username == "alice")
        #expect(try store.remove("127.0.0.1:5000"))
        #expect(try store.lookup("127.0.0.1:5000") == nil)
    }

    @Test func registryAuthFileAndGitHubActions() throws {
        let dir = try makeTempDir("authfile")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write(#"{"auths":{"quay.io":{"auth":"\#(Data("q:w".utf8).base64EncodedString())"}}}"#, to: dir + "/auth.json")
        let env = ["DOCKER_CONFIG": dir + "/none", "REGISTRY_AUTH_FILE": dir + "/auth.json",
                   "GITHUB_ACTIONS": "true", "GITHUB_ACTOR": "octo", "GITHUB_TOKEN": "ghs_x"]
        let store = CredentialStore(environment: env)
        #expect(try store.lookup("quay.io") == Credential(username: "q", secret: "w"))
        #expect(try store.lookup("ghcr.io") == Credential(username: "octo", secret: "ghs_x"))
        #expect(try store.lookup("docker.io") == nil)
    }

    @Test func credentialHelperIsRun() throws {
        let dir = try makeTempDir("helper")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeExecutable("#!/bin/sh\nread host\necho '{\"ServerURL\":\"'$host'\",\"Username\":\"helper-user\",\"Secret\":\"helper-secret\"}'\n",
                            to: dir + "/bin/docker-credential-test")
        try write(#"{"credHelpers":{"ghcr.io":"test"}}"#, to: dir + "/config.json")
        let store = CredentialStore(environment: ["DOCKER_CONFIG": dir, "PATH": dir + "/bin:/usr/bin:/bin"])
        #expect(try store.lookup("ghcr.io") == Credential(username: "helper-user", secret: "helper-secret"))
    }

    @Test func brokenConfigIsAClearError() throws {
        let dir = try makeTempDir("broken")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write("{not json", to: dir + "/config.json")
        #expect(throws: RegistryError.self) { try CredentialStore(environment: ["DOCKER_CONFIG": dir]).lookup("ghcr.io") }
    }
}

@Suite struct RegistryHostTests {
    /// Credentials and clients name a registry through one function, so they cannot disagree.
    @Test(arguments: [("https://ghcr.io/", "ghcr.io"), ("GHCR.IO", "ghcr.io"), ("https://index.docker.io/v1/", "docker.io"),
                      ("registry-1.docker.io", "docker.io"), ("http://127.0.0.1:5000/v2/", "127.0.0.1:5000"), ("HTTPS://Quay.io", "quay.io")])
    func oneSpellingOfAHost(typed: String, host: String) {
        #expect(RegistryHost.normalise(typed) == host)
    }

    @Test func aCredentialKeyedWithAnotherSpellingIsFound() throws {
        let dir = try makeTempDir("spelling")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write(#"{"auths":{"HTTPS://GHCR.IO/":{"auth":"\#(Data("a:b".utf8).base64EncodedString())"}}}"#, to: dir + "/config.json")
        #expect(try CredentialStore(environment: ["DOCKER_CONFIG": dir]).lookup("ghcr.io")?.username == "a")
        #expect(Registries(options: RegistryOptions()).client("GHCR.io").registry == "ghcr.io")
    }
}
