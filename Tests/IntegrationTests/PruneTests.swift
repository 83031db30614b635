import Foundation
import TestSupport
import Testing

/// `cache prune` beside real processes: it never takes what a live one uses, and it clears what
/// a dead one left.
@Suite(.serialized) struct PruneTests {
    static func start(_ args: [String], home: String) throws -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = args
        p.environment = ["IMAGECTL_HOME": home, "PATH": "/usr/bin:/bin"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle.nullDevice
        try p.run()
        return p
    }

    @Test func pruneInALoopBesideBuildsBreaksNone() throws {
        try CLI.requireFixtures()
        let tmp = try makeTempDir("prune-race")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let home = tmp + "/store"
        let builds = 24
        for i in 1...builds {
            try run(["cp", "-a", CLI.hello, "\(tmp)/ctx\(i)"])
            try write("bias 0.\(i)\nw 1\nw \(i)\n", to: "\(tmp)/ctx\(i)/model/weights.txt")
        }
        let loop = Process()
        loop.executableURL = URL(fileURLWithPath: "/bin/bash")
        loop.arguments = ["-c", "n=0; until [ -e \(tmp)/stop ]; do \"$0\" cache prune > /dev/null || exit 1; n=$((n + 1)); done; echo $n > \(tmp)/prunes", CLI.binary]
        loop.environment = ["IMAGECTL_HOME": home, "PATH": "/usr/bin:/bin"]
        try loop.run()
        var failed = 0
        for group in stride(from: 1, through: builds, by: 3) {
            let procs = try (group..<group + 3).map { i in
                try Self.start(["build", "--platform", "linux/amd64,linux/arm64", "--progress", "quiet", "-t", "race:\(i)", "\(tmp)/ctx\(i)"], home: home)
            }
            for p in procs {
                p.waitUntilExit()
                if p.terminationStatus != 0 { failed += 1 }
            }
        }
        try write("", to: tmp + "/stop")
        loop.waitUntilExit()
        #expect(loop.terminationStatus == 0)
        let prunes = Int((try? String(contentsOfFile: tmp + "/prunes", encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 0
        #expect(prunes > 0)
        #expect(failed == 0)
        // Every named image must still have every blob: an export reads them all.
        var broken: [String] = []
        for i in 1...builds {
            let r = try CLI.run(["export", "race:\(i)", "--output", "type=oci,dest=\(tmp)/out\(i)"], home: home)
            if r.status != 0 { broken.append("race:\(i): \(r.stderr)") }
        }
        #expect(broken.isEmpty, "\(broken)")
    }

    @Test func aKilledImportsTempDirGoesWithTheNextPrune() throws {
        let tmp = try makeTempDir("prune-tmp")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let home = tmp + "/store"
        // Reading a fifo blocks until a writer comes, so the import stays live with its temp dir.
        let fifo = tmp + "/image.tar"
        #expect(mkfifo(fifo, 0o600) == 0)
        let importer = try Self.start(["inspect", fifo], home: home)
        var entries: [String] = []
        while entries.isEmpty, importer.isRunning {
            usleep(20_000)
            entries = (try? FileManager.default.contentsOfDirectory(atPath: home + "/tmp")) ?? []
        }
        #expect(entries.count == 1)
        #expect(try CLI.run(["cache", "prune"], home: home).status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: home + "/tmp") == entries, "a live import's temp dir was removed")
        kill(importer.processIdentifier, SIGKILL)
        importer.waitUntilExit()
        let prune = try CLI.run(["cache", "prune"], home: home)
        #expect(prune.status == 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: home + "/tmp").isEmpty)
        #expect(try FileManager.default.contentsOfDirectory(atPath: home + "/leases").isEmpty)
    }
}
