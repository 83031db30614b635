import Foundation
import TestSupport
import Testing

/// Paths a user names for outputs (--output dest, --iidfile, --metadata-file) that cannot be
/// written: one line that names the path and says why, exit 1, never a signal or Foundation's text.
@Suite struct OutputPathTests {
    static func context(_ tmp: String) throws -> String {
        try write("hello\n", to: tmp + "/ctx/a.txt")
        try write("FROM scratch\nCOPY a.txt /a.txt\n", to: tmp + "/ctx/Containerfile")
        return tmp + "/ctx"
    }

    static func expectOneClearLine(_ r: CLI.Result, naming path: String, _ why: String) {
        #expect(r.status == 1, "\(r.status): \(r.stderr)")
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(r.stderr)")
        #expect(r.stderr.hasPrefix("imagectl: error: "), "\(r.stderr)")
        #expect(r.stderr.contains(path), "\(r.stderr)")
        #expect(r.stderr.contains(why), "\(r.stderr)")
        #expect(!r.stderr.contains("NSCocoaErrorDomain") && !r.stderr.contains("couldn’t"), "\(r.stderr)")
    }

    @Test func anOCITarInAMissingDirectoryIsOneLine() throws {
        let tmp = try makeTempDir("outpath")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let ctx = try Self.context(tmp)
        let dest = tmp + "/no-such-dir/out.tar"
        let r = try CLI.run(["build", "--progress", "quiet", "--output", "type=oci,dest=\(dest)", ctx], home: tmp + "/store")
        Self.expectOneClearLine(r, naming: dest, "No such file or directory")
        #expect(!FileManager.default.fileExists(atPath: tmp + "/no-such-dir"))
    }

    @Test func anOutputDirectoryThatCannotBeCreatedIsOneLine() throws {
        let tmp = try makeTempDir("outpath")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let ctx = try Self.context(tmp)
        let dest = ctx + "/a.txt/layout"
        let r = try CLI.run(["build", "--progress", "quiet", "--output", "type=oci,dest=\(dest)", ctx], home: tmp + "/store")
        Self.expectOneClearLine(r, naming: ctx + "/a.txt", "Not a directory")
    }

    @Test func aFullJobSummaryIsOneLine() throws {
        let tmp = try makeTempDir("outpath")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        let ctx = try Self.context(tmp)
        let gh = ["GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": tmp + "/gh-output", "GITHUB_STEP_SUMMARY": "/dev/full"]
        let r = try CLI.run(["build", "--progress", "quiet", ctx], home: tmp + "/store", environment: gh)
        #expect(r.status == 1, "\(r.status): \(r.stderr)")
        // In Actions the error is also an annotation line; the plain error line is the last.
        #expect(r.stderr.split(separator: "\n").last == "imagectl: error: /dev/full: No space left on device: free space on that filesystem and run again", "\(r.stderr)")
    }
}
