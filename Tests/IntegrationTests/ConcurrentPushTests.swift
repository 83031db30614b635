import Foundation
import TestSupport
import Testing

@Suite struct ConcurrentPushTests {
    /// Two runners pushing the same image to one repository at once (a re-run job beside the first):
    /// both finish, and the tag names a whole image.
    @Test func twoPushesOfOneImageAtOnceBothSucceed() throws {
        try CLI.requireFixtures()
        let registry = try TestRegistry("plain")
        let tmp = try makeTempDir("concurrent-push")
        defer { registry.stop(); try? FileManager.default.removeItem(atPath: tmp) }
        let ctx = tmp + "/ctx"
        try run(["cp", "-a", CLI.hello, ctx])
        for round in 1...3 {
            try write("bias -0.\(round)\nw 0.8\n", to: ctx + "/model/weights.txt")
            let homes = [tmp + "/a", tmp + "/b"]
            for home in homes {
                let b = try CLI.run(["build", "--progress", "quiet", "--platform", "linux/amd64,linux/arm64", "-t", "race:\(round)", ctx], home: home)
                #expect(b.status == 0, "\(b.stderr)")
            }
            let results = Results()
            DispatchQueue.concurrentPerform(iterations: 2) { i in
                results.add(try? CLI.run(["push", "race:\(round)", "--repository", "\(registry.host)/ml/race", "--tag", "r\(round)"], home: homes[i]))
            }
            for r in results.all { #expect(r?.status == 0, "\(r?.stderr ?? "no result")") }
            _ = try run(["skopeo", "copy", "--all", "-q", "--src-tls-verify=false", "docker://\(registry.host)/ml/race:r\(round)", "oci:\(tmp)/check:r\(round)"])
        }
    }
}

final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var all: [CLI.Result?] = []
    func add(_ r: CLI.Result?) {
        lock.lock()
        all.append(r)
        lock.unlock()
    }
}
