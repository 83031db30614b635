import Foundation
import TestSupport
import Testing

/// Short versions of Scripts/reliability's crash and concurrency runs.
@Suite(.serialized) struct CrashTests {
    /// A context big enough that a build is still writing its layer when it is killed.
    static func bigContext(_ dir: String) throws {
        try run([CLI.packageRoot + "/Scripts/gen-tree", dir, "--files", "600", "--mb", "40"])
    }

    @Test func killedBuildsLeaveNothingVisibleAndRerunsSucceed() throws {
        let tmp = try makeTempDir("crash")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        try Self.bigContext(tmp + "/ctx")
        let home = tmp + "/store"
        for delay in [0.2, 0.5, 0.9] {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: CLI.binary)
            p.arguments = ["build", "--no-cache", "--progress", "quiet", "-t", "crash:1", tmp + "/ctx"]
            p.environment = ["IMAGECTL_HOME": home, "PATH": "/usr/bin:/bin"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            Thread.sleep(forTimeInterval: delay)
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            let verify = try CLI.run(["cache", "verify"], home: home)
            #expect(verify.stdout.contains(" 0 corrupt"), "\(verify.stdout)")
        }
        let rerun = try CLI.run(["build", "--progress", "quiet", "-t", "crash:1", tmp + "/ctx"], home: home)
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(try CLI.run(["cache", "prune"], home: home).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: home + "/tmp").isEmpty)
        #expect(try CLI.run(["cache", "verify"], home: home).stdout.contains(" 0 corrupt"))
    }

    @Test func fourProcessesShareOneStore() throws {
        try CLI.requireFixtures()
        let tmp = try makeTempDir("concurrent")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let home = tmp + "/store"
        var procs: [Process] = []
        for i in 1...4 {
            try run(["cp", "-a", CLI.hello, "\(tmp)/ctx\(i)"])
            try write("bias 0.\(i)\nw 1\nw 1\nw 1\n", to: "\(tmp)/ctx\(i)/model/weights.txt")
            let p = Process()
            p.executableURL = URL(fileURLWithPath: CLI.binary)
            p.arguments = ["build", "--platform", "linux/amd64,linux/arm64", "--progress", "quiet", "-t", "c:\(i)", "\(tmp)/ctx\(i)"]
            p.environment = ["IMAGECTL_HOME": home, "PATH": "/usr/bin:/bin"]
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            procs.append(p)
        }
        for p in procs {
            p.waitUntilExit()
            #expect(p.terminationStatus == 0)
        }
        #expect(try CLI.run(["images"], home: home).stdout.split(separator: "\n").count == 4)
        #expect(try CLI.run(["cache", "verify"], home: home).stdout.contains(" 0 corrupt"))
    }
}
