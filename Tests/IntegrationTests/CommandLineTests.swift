import Foundation
import TestSupport
import Testing

@Suite struct CommandLineTests {
    @Test(arguments: [
        (["build", "--platform", "linux/sparc", "."], "invalid platform \"linux/sparc\""),
        (["build", "/nonexistent-context"], "is not a directory"),
        (["build", "--output", "type=zip,dest=x", "."], "--output type=zip,dest=x: type must be"),
        (["build", "--compression", "brotli", "."], "--compression brotli"),
        (["build", "-t", "Bad:Name", "."], "invalid image reference \"Bad:Name\""),
    ])
    func badArgumentsFailWithOneLine(_ args: [String], _ message: String) throws {
        let tmp = try makeTempDir("cli")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        try write("FROM scratch\n", to: tmp + "/Containerfile")
        let r = try CLI.run(args.map { $0 == "." ? tmp : $0 }, home: tmp + "/store")
        #expect(r.status != 0)
        #expect(r.stderr.contains(message), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
        #expect(r.stdout.isEmpty)
    }

    @Test func containerfileErrorsNameFileAndLine() throws {
        let tmp = try makeTempDir("cli")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        try write("FROM scratch\n\nRUN pip install flask\n", to: tmp + "/Containerfile")
        let r = try CLI.run(["build", tmp], home: tmp + "/store")
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("imagectl: error: \(tmp)/Containerfile:3: RUN: /bin/sh is not in the stage's filesystem"))
        #expect(r.stderr.contains("start FROM an image that has one"))
        #expect(r.stderr.split(separator: "\n").count == 1)
    }

    /// Tags from git that metadata-action would give and Docker would refuse stop the job in one
    /// line, before a build; a pull_request_target run is named by its pull request's ref.
    @Test(arguments: [
        ("push", "refs/heads/" + String(repeating: "b", count: 121), "{}", "is 129 characters"),
        ("pull_request_target", "refs/heads/main", #"{"number":7}"#, "no tags from git for refs/pull/7/merge"),
    ])
    func tagsFromGitRefusals(_ event: String, _ ref: String, _ payload: String, _ message: String) throws {
        let tmp = try makeTempDir("cli")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        try write("FROM scratch\n", to: tmp + "/Containerfile")
        try write(payload, to: tmp + "/event.json")
        let env = ["GITHUB_ACTIONS": "true", "GITHUB_EVENT_NAME": event, "GITHUB_REF": ref, "GITHUB_EVENT_PATH": tmp + "/event.json",
                   "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567", "GITHUB_OUTPUT": "", "GITHUB_STEP_SUMMARY": ""]
        for args in [["tags", "--from-git"], ["build", "--push", "--tags-from-git", "--repository", "127.0.0.1:9/x", tmp]] {
            let r = try CLI.run(args, home: tmp + "/store", environment: env, directory: tmp)
            #expect(r.status == 1)
            let errors = r.stderr.split(separator: "\n").filter { $0.hasPrefix("imagectl: error: ") }
            #expect(errors.count == 1 && errors[0].contains(message), "\(r.stderr)")
        }
    }

    @Test func storeCommands() throws {
        try CLI.requireFixtures()
        let tmp = try makeTempDir("store")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let home = tmp + "/store"
        let b = try CLI.run(["build", "-t", "hello:a", "-t", "ghcr.io/acme/hello:b", "--progress", "plain", CLI.hello], home: home)
        #expect(b.status == 0, "\(b.stderr)")
        #expect(b.stderr.contains("built 4 layer(s)"))
        let again = try CLI.run(["build", "-t", "hello:a", CLI.hello], home: home)
        #expect(again.stderr.contains("built 0 layer(s), reused 4"))
        #expect(again.stdout == b.stdout)
        let images = try CLI.run(["images"], home: home)
        #expect(images.stdout.contains("hello:a\t" + b.stdout.trimmingCharacters(in: .whitespacesAndNewlines)))
        #expect(images.stdout.contains("ghcr.io/acme/hello:b\t"))
        let verify = try CLI.run(["cache", "verify"], home: home)
        #expect(verify.status == 0)
        #expect(verify.stdout.contains("0 corrupt"))
        // A damaged blob is found and the command fails.
        let blobs = try FileManager.default.contentsOfDirectory(atPath: home + "/blobs/sha256")
        try Data("damage".utf8).write(to: URL(fileURLWithPath: home + "/blobs/sha256/" + blobs[0]))
        let bad = try CLI.run(["cache", "verify"], home: home)
        #expect(bad.status == 1)
        #expect(bad.stdout.contains("corrupt: sha256:" + blobs[0]))
        let du = try CLI.run(["cache", "du"], home: home)
        #expect(du.stdout.contains("images: 2"))
        let prune = try CLI.run(["cache", "prune"], home: home)
        #expect(prune.status == 0)
        #expect(prune.stdout.hasPrefix("removed "))
    }

    /// A reader that has gone away (a credential helper that exits before reading its input, a pipe
    /// into `head`) must not kill imagectl with SIGPIPE: the write fails and the command decides.
    @Test func aClosedPipeIsNotFatal() throws {
        let out = try run(["python3", "-c", """
            import os, subprocess, sys
            r, w = os.pipe()
            os.close(r)
            print(subprocess.run([sys.argv[1], "build", "--help"], stdout=w, stderr=subprocess.DEVNULL).returncode)
            """, CLI.binary])
        #expect(String(decoding: out, as: UTF8.self) == "0\n")
    }

    /// Progress and errors go to stderr; when it is full or its reader has gone (a CI log pipe cut
    /// short), the build still ends with its own exit status, not a signal.
    @Test(arguments: [(["build", "--progress", "plain", "."], Int32(0)), (["build", "./missing-context"], Int32(1))])
    func aFullStderrIsNotFatal(_ args: [String], _ status: Int32) throws {
        let tmp = try makeTempDir("cli")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        try write("hi\n", to: tmp + "/a.txt")
        try write("FROM scratch\nCOPY a.txt /a.txt\n", to: tmp + "/Containerfile")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.binary)
        p.arguments = args.map { $0 == "." ? tmp : $0 }
        p.currentDirectoryURL = URL(fileURLWithPath: tmp)
        p.environment = ["IMAGECTL_HOME": tmp + "/store", "PATH": "/usr/bin:/bin"]
        p.standardOutput = FileHandle.nullDevice
        p.standardError = FileHandle(forWritingAtPath: "/dev/full")
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationReason == .exit)
        #expect(p.terminationStatus == status)
    }
}
