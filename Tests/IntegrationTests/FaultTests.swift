import Foundation
import OCI
import TestSupport
import Testing

/// Pushes through a proxy that injects faults in front of the real registry: every push either
/// completes or fails with one clear line, and every tag left in the registry is a complete image.
/// Scripts/reliability runs the long version.
@Suite(.serialized) struct FaultTests {
    @Test func pushesThroughFaultsNeverLeaveAHalfImage() throws {
        try CLI.requireFixtures()
        let registry = try TestRegistry("plain")
        let proxy = try FaultProxy(upstream: registry.host, rate: 0.2, seed: 7)
        let tmp = try makeTempDir("faults")
        defer { proxy.stop(); registry.stop(); try? FileManager.default.removeItem(atPath: tmp) }
        let ctx = tmp + "/ctx"
        try run(["cp", "-a", CLI.hello, ctx])
        // Watches the registry itself while the pushes run: no tag may ever name an incomplete image.
        try runDetaching(["bash", "-c", "'\(TestRegistry.packageRoot)/Scripts/tag-watch' \(registry.host) ml/faulty '\(tmp)/watch' > /dev/null 2>&1 &"])
        var completed = 0
        for i in 1...6 {
            // New model weights each time, so every push has new blobs to upload.
            try write("bias -0.\(i)\nw 0.8\nw -0.3\nw 0.25\n", to: ctx + "/model/weights.txt")
            let r = try CLI.run(["build", "--platform", "linux/amd64,linux/arm64", "--push", "--progress", "quiet",
                                 "-t", "\(proxy.host)/ml/faulty:v\(i)", ctx], home: tmp + "/store")
            if r.status == 0 {
                completed += 1
            } else {
                #expect(r.stderr.hasPrefix("imagectl: error: "), "\(r.stderr)")
                #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
            }
        }
        let stats = try proxy.stats()
        let faults = (stats["faults"] as? [String: Int] ?? [:]).values.reduce(0, +)
        #expect(faults > 5, "faults injected: \(stats)")
        #expect(completed >= 4, "retries should carry most pushes through: \(completed) of 6")
        // Straight from the registry, without the proxy: each tag is a whole image whose blobs match.
        let tags = try JSONSerialization.jsonObject(with: try run(["skopeo", "list-tags", "--tls-verify=false",
                                                                    "docker://\(registry.host)/ml/faulty"])) as? [String: Any]
        let list = tags?["Tags"] as? [String] ?? []
        #expect(list.count >= completed)
        for tag in list {
            try run(["skopeo", "copy", "--all", "-q", "--src-tls-verify=false", "docker://\(registry.host)/ml/faulty:\(tag)", "oci:\(tmp)/check:\(tag)"])
        }
        try write("", to: tmp + "/watch.stop")
        Thread.sleep(forTimeInterval: 1)
        let watch = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: tmp + "/watch"))) as? [String: Any]
        #expect((watch?["tags_checked"] as? Int ?? 0) > 0, "the watcher saw no tag: \(String(describing: watch))")
        #expect(watch?["incomplete"] as? Int == 0, "a tag named an incomplete image: \(String(describing: watch))")
        // And every blob the registry stored matches its digest, re-hashed from its storage.
        let rehash = String(decoding: try run([TestRegistry.packageRoot + "/Scripts/registry-rehash", registry.dir]), as: UTF8.self)
        #expect(rehash.hasSuffix(" 0 mismatched\n") && !rehash.hasPrefix("0 blobs"), "\(rehash)")
        let verify = try CLI.run(["cache", "verify"], home: tmp + "/store")
        #expect(verify.stdout.contains(" 0 corrupt"))
    }

    @Test func aStorageRedirectNeverGetsTheCredentials() throws {
        try CLI.requireFixtures()
        let registry = try TestRegistry("basic")
        let port = String(decoding: try run(["python3", "-c", "import socket; s=socket.socket(); s.bind(('127.0.0.2',0)); print(s.getsockname()[1])"]), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let proxy = try FaultProxy(upstream: registry.host, rate: 0, seed: 1, redirect: "127.0.0.2:\(port)",
                                   creds: "\(registry.username):\(registry.password)")
        let tmp = try makeTempDir("redirect")
        defer { proxy.stop(); registry.stop(); try? FileManager.default.removeItem(atPath: tmp) }
        let env = ["DOCKER_CONFIG": tmp + "/docker"]
        let login = try CLI.run(["login", proxy.host, "-u", registry.username, "--password-stdin"], home: tmp + "/a", environment: env,
                                stdin: registry.password)
        #expect(login.status == 0, "\(login.stderr)")
        let base = try CLI.run(["build", "--push", "-t", "\(proxy.host)/base/hello:1", CLI.hello], home: tmp + "/a", environment: env)
        #expect(base.status == 0, "\(base.stderr)")
        // A second store builds on it and exports: the base layers are fetched through the redirect.
        try write("FROM \(proxy.host)/base/hello:1\nENV STAGE=2\n", to: tmp + "/app/Containerfile")
        let r = try CLI.run(["build", "--output", "type=oci,dest=\(tmp)/out", "-t", "app:1", tmp + "/app"], home: tmp + "/b", environment: env)
        #expect(r.status == 0, "\(r.stderr)")
        let stats = try proxy.stats()
        #expect((stats["redirected"] as? Int ?? 0) >= 3)
        #expect(stats["authorization_at_redirect"] as? Int == 0)
        try run(["skopeo", "copy", "-q", "oci:\(tmp)/out:1", "oci:\(tmp)/copy:1"])
    }
}
