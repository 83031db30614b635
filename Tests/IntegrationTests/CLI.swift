import Foundation
import TestSupport

/// The imagectl binary built by `swift build` (or $IMAGECTL_BIN), run as a user would run it.
enum CLI {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../..").standardized.path

    static var binary: String {
        ProcessInfo.processInfo.environment["IMAGECTL_BIN"] ?? packageRoot + "/.build/debug/imagectl"
    }

    /// The binary as another user can run it: a clone under a private home (/root) is not
    /// theirs to enter, so a copy goes where every user may read it, once per test process (in
    /// one place, replaced each time, so runs do not pile copies up).
    static let binaryForUsers: String = {
        let dir = NSTemporaryDirectory() + "/imagectl-bin-for-users"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let copy = dir + "/imagectl"
        _ = try? FileManager.default.removeItem(atPath: copy)
        guard (try? FileManager.default.copyItem(atPath: binary, toPath: copy)) != nil else { return binary }
        chmod(dir, 0o755)
        chmod(copy, 0o755)
        return copy
    }()

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs imagectl with its own store; never throws on a non-zero exit, so tests can assert on it.
    /// A run past `timeout` is killed and reported as a hang, so a hang fails its test, not the suite.
    /// `user`: run as that user (with its groups), as a CI runner's non-root user; `environment`
    /// then still goes through, though runuser sets HOME and the like for the user.
    static func run(_ args: [String], home: String, environment: [String: String] = [:], stdin: String? = nil,
                    directory: String? = nil, timeout: TimeInterval = 300, user: String? = nil) throws -> Result {
        let p = Process()
        if let user {
            p.executableURL = URL(fileURLWithPath: "/usr/sbin/runuser")
            p.arguments = ["-u", user, "--", "/usr/bin/env"] + environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" } + [binaryForUsers] + args
        } else {
            p.executableURL = URL(fileURLWithPath: binary)
            p.arguments = args
        }
        if let directory { p.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let input = Pipe()
        p.standardInput = input
        var env = ProcessInfo.processInfo.environment
        env["IMAGECTL_HOME"] = home
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let watchdog = DispatchWorkItem { kill(p.processIdentifier, SIGKILL) }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try? input.fileHandleForWriting.close()
        let (o, e) = readBoth(out, err)
        p.waitUntilExit()
        watchdog.cancel()
        let hung = p.terminationReason == .uncaughtSignal && p.terminationStatus == SIGKILL
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                      stderr: String(decoding: e, as: UTF8.self) + (hung ? "\n[killed: still running after \(Int(timeout)) s]" : ""))
    }

    /// Both pipes read to their end at once: a child that fills one while the other is read
    /// would otherwise wait forever (a build's plain progress easily passes a pipe's 64 kB).
    static func readBoth(_ out: Pipe, _ err: Pipe) -> (Data, Data) {
        nonisolated(unsafe) var e = Data()
        let group = DispatchGroup()
        DispatchQueue.global().async(group: group) { e = err.fileHandleForReading.readDataToEndOfFile() }
        let o = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        return (o, e)
    }

    /// Runs another tool (a script of Scripts/) and never throws on a non-zero exit. `detach`: its
    /// descriptors above stderr are closed first, for tools that leave a daemon (podman's conmon).
    static func runTool(_ args: [String], detach: Bool = false) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = (detach ? ["python3", "-c", "import os, sys; os.closerange(3, 65536); os.execvp(sys.argv[1], sys.argv[1:])"] : []) + args
        p.standardInput = FileHandle.nullDevice
        let out = Pipe()
        let err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let (o, e) = readBoth(out, err)
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    static var hello: String { packageRoot + "/Fixtures/hello" }

    /// The example needs its per-platform busybox; without it the tests fail with the fix to apply.
    static func requireFixtures() throws {
        for arch in ["amd64", "arm64"] where !FileManager.default.isExecutableFile(atPath: "\(hello)/rootfs/\(arch)/bin/busybox") {
            throw ToolError(message: "Fixtures/hello/rootfs/\(arch) is missing: run Scripts/fixtures (Scripts/test does)")
        }
    }
}
