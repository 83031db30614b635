import Foundation
@testable import Registry
import TestSupport
import Testing

/// Credential helpers are programs we do not control: bounded in time and output, both streams
/// read, one start per registry, one clear line when they misbehave.
@Suite struct CredentialHelperTests {
    /// A `docker-credential-NAME` script in a fresh directory, and a config.json naming it.
    static func helper(_ name: String, _ script: String) throws -> (store: CredentialStore, dir: String) {
        // imagectl ignores SIGPIPE process-wide and HelperProcess counts on it when it writes a
        // helper's input; these helpers exit without reading it, so the test process must too.
        signal(SIGPIPE, SIG_IGN)
        let dir = try makeTempDir("helper")
        try writeExecutable("#!/bin/sh\n" + script, to: dir + "/docker-credential-\(name)")
        try write(#"{"credHelpers":{"registry.test":"\#(name)"}}"#, to: dir + "/config.json")
        let path = dir + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        return (CredentialStore(environment: ["DOCKER_CONFIG": dir, "PATH": path]), dir)
    }

    @Test func aHelperFloodingItsErrorStreamDoesNotHang() throws {
        let (store, dir) = try CredentialHelperTests.helper("flood", """
            head -c 262144 /dev/zero >&2
            echo '{"Username":"u","Secret":"s"}'
            """)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(try store.lookup("registry.test") == Credential(username: "u", secret: "s"))
    }

    @Test func aHelperThatNeverAnswersIsStopped() throws {
        let (_, dir) = try CredentialHelperTests.helper("sleepy", "exec sleep 599.5\n")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let env = ["PATH": dir + ":/usr/bin:/bin"]
        let start = Date()
        #expect { try HelperProcess.run(["docker-credential-sleepy", "get"], input: Data(), environment: env, timeout: 1) } throws: { e in
            if case HelperProcess.Failure.timedOut = e { return true }
            return false
        }
        #expect(Date().timeIntervalSince(start) < 30)
        // The helper is gone, not left behind.
        let left = try run(["sh", "-c", "pgrep -fx 'sleep 599.5' || true"])
        #expect(left.isEmpty)
    }

    @Test func aHelperPrintingSomethingElseIsOneLineNamingIt() throws {
        let (store, dir) = try CredentialHelperTests.helper("chatty", "echo 'Enter your password:'\n")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect { try store.lookup("registry.test") } throws: { e in
            "\(e)" == #"credential helper docker-credential-chatty get registry.test: its answer is not the JSON {"Username", "Secret"} it must print"#
        }
    }

    @Test func aHelperIsStartedOncePerRegistryHoweverManyJobsAsk() throws {
        let (store, dir) = try CredentialHelperTests.helper("counted", """
            echo x >> "$(dirname "$0")/starts"
            echo '{"Username":"u","Secret":"s"}'
            """)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var options = RegistryOptions(credentials: store)
        options.transport = { _ in FakeTransport { _ in .apiRoot } }
        let auth = Authenticator(registry: "registry.test", options: options)
        DispatchQueue.concurrentPerform(iterations: 8) { _ in _ = try? auth.credentials() }
        let starts = try String(contentsOfFile: dir + "/starts", encoding: .utf8)
        #expect(starts.split(separator: "\n").count == 1)
    }

    @Test func everyFormOfASecretIsRedactedAndMasked() throws {
        let forms = SecretForms.of("p@ss/word+1", username: "alice")
        for form in ["p@ss/word+1", "p%40ss%2Fword%2B1", Data("alice:p@ss/word+1".utf8).base64EncodedString(),
                     Data("p@ss/word+1".utf8).base64EncodedString()] {
            #expect(forms.contains(form), "\(form)")
        }
        let unpadded = Data("alice:p@ss/word+1".utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
        #expect(forms.contains(unpadded))
    }

    @Test func concurrentLoginsKeepEveryEntry() throws {
        let dir = try makeTempDir("logins")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = CredentialStore(environment: ["DOCKER_CONFIG": dir])
        DispatchQueue.concurrentPerform(iterations: 16) { i in
            try? store.save("registry\(i).test", Credential(username: "u\(i)", secret: "s\(i)"))
        }
        for i in 0..<16 { #expect(try store.lookup("registry\(i).test")?.username == "u\(i)") }
    }

    @Test func aSymlinkedConfigIsWrittenThroughTheLink() throws {
        let dir = try makeTempDir("linked")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir + "/dotfiles", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: dir + "/docker", withIntermediateDirectories: true)
        try write("{}", to: dir + "/dotfiles/docker.json")
        try FileManager.default.createSymbolicLink(atPath: dir + "/docker/config.json", withDestinationPath: "../dotfiles/docker.json")
        let store = CredentialStore(environment: ["DOCKER_CONFIG": dir + "/docker"])
        try store.save("registry.test", Credential(username: "u", secret: "s"))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir + "/docker/config.json") == "../dotfiles/docker.json")
        #expect(try String(contentsOfFile: dir + "/dotfiles/docker.json", encoding: .utf8).contains("registry.test"))
    }
}
