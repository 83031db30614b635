import Foundation
import TestSupport
import Testing

/// Paths a user names for outputs (--output dest, --iidfile, --metadata-file) that cannot be
/// written: one line that names the path and says why, exit 1, never a signal or Foundation's text.
@Suite struct OutputPathTests {
    /// Runs `build --progress quiet ARGS CONTEXT` on a one-file context; `{tmp}` and `{ctx}` in
    /// the arguments are filled in.
    static func build(_ args: [String], environment: [String: String] = [:],
                      _ check: (_ r: CLI.Result, _ fill: (String) -> String) throws -> Void) throws {
        let tmp = try makeTempDir("outpath")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let ctx = tmp + "/ctx"
        try write("hello\n", to: ctx + "/a.txt")
        try write("FROM scratch\nCOPY a.txt /a.txt\n", to: ctx + "/Containerfile")
        func fill(_ s: String) -> String { s.replacingOccurrences(of: "{tmp}", with: tmp).replacingOccurrences(of: "{ctx}", with: ctx) }
        let r = try CLI.run(["build", "--progress", "quiet"] + args.map(fill) + [ctx], home: tmp + "/store",
                            environment: environment.mapValues(fill))
        try check(r, fill)
    }

    @Test(arguments: [
        (["--output", "type=oci,dest={tmp}/no-such-dir/out.tar"], "{tmp}/no-such-dir/out.tar: No such file or directory"),
        (["--output", "type=oci,dest={ctx}/a.txt/layout"], "{ctx}/a.txt/layout: Not a directory"),
        (["--metadata-file", "{ctx}/a.txt/meta.json"], "--metadata-file {ctx}/a.txt/meta.json: Not a directory"),
        (["--iidfile", "{tmp}/no-such-dir/iid"], "--iidfile {tmp}/no-such-dir/iid: No such file or directory"),
        (["--iidfile", "/dev/full"], "--iidfile /dev/full: No space left on device"),
    ])
    func anUnwritableOutputIsOneClearLine(_ args: [String], _ says: String) throws {
        try Self.build(args) { r, fill in
            #expect(r.status == 1, "\(r.status): \(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
            #expect(r.stderr.hasPrefix("imagectl: error: " + fill(says)), "\(r.stderr)")
            #expect(!FileManager.default.fileExists(atPath: fill("{tmp}/no-such-dir")))
        }
    }

    @Test(arguments: ["--iidfile", "--metadata-file"])
    func aResultFileInAMissingDirectoryFailsBeforeThePushMovesATag(_ flag: String) throws {
        let registry = try TestRegistry("plain")
        defer { registry.stop() }
        try Self.build(["--push", "-t", "\(registry.host)/early/check:v1", flag, "{tmp}/no-such-dir/result"]) { r, fill in
            #expect(r.status == 1, "\(r.status): \(r.stderr)")
            #expect(r.stderr == "imagectl: error: \(flag) \(fill("{tmp}/no-such-dir/result")): No such file or directory\n")
            let tags = try CLI.run(["ls", "\(registry.host)/early/check"], home: fill("{tmp}/store"))
            #expect(!tags.stdout.contains("v1"), "\(tags.stdout) \(tags.stderr)")
        }
    }

    @Test func aFullJobSummaryIsOneLine() throws {
        let gh = ["GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": "{tmp}/gh-output", "GITHUB_STEP_SUMMARY": "/dev/full"]
        try Self.build([], environment: gh) { r, _ in
            #expect(r.status == 1, "\(r.status): \(r.stderr)")
            // In Actions the error is also an annotation line; the plain error line is the last.
            #expect(r.stderr.split(separator: "\n").last == "imagectl: error: /dev/full: No space left on device: free space on that filesystem and run again",
                    "\(r.stderr)")
        }
    }
}

@Suite struct ResultFileAsUserTests {
    /// CI runners are not root: a result file the user may write, in a directory the user may not
    /// (as /dev/stdout is in /dev), is written in place, as buildx does.
    @Test(arguments: ["--iidfile", "--metadata-file"])
    func aWritableFileInAReadOnlyDirectoryIsWrittenInPlace(_ flag: String) throws {
        let tmp = try makeTempDir("result-user")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        try write("hello\n", to: tmp + "/ctx/a.txt")
        try write("FROM scratch\nCOPY a.txt /a.txt\n", to: tmp + "/ctx/Containerfile")
        try FileManager.default.createDirectory(atPath: tmp + "/store", withIntermediateDirectories: true)
        try write("", to: tmp + "/readonly/result")
        _ = try run(["chown", "-R", "65534:65534", tmp + "/ctx", tmp + "/store", tmp + "/readonly/result"])
        chmod(tmp, 0o755)
        chmod(tmp + "/readonly", 0o555)
        let r = try CLI.run(["build", "--progress", "quiet", flag, tmp + "/readonly/result", tmp + "/ctx"], home: tmp + "/store", user: "nobody")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(try String(contentsOfFile: tmp + "/readonly/result", encoding: .utf8).contains("sha256:"))
    }
}
