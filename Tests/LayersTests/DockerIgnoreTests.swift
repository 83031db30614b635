import Foundation
@testable import Layers
import TestSupport
import Testing

@Suite struct DockerIgnoreTests {
    @Test(arguments: [
        (["*.md"], "README.md", true),
        (["*.md"], "docs/README.md", false),
        (["**/*.md"], "docs/a/README.md", true),
        (["**/*.md"], "README.md", true),
        (["docs"], "docs/a/b.txt", true),
        (["/docs/"], "docs/a/b.txt", true),
        (["./build"], "build", true),
        (["*", "!keep.txt"], "keep.txt", false),
        (["*", "!keep.txt"], "other.txt", true),
        (["logs/**", "!logs/keep/**"], "logs/keep/a.log", false),
        (["logs/**", "!logs/keep/**"], "logs/drop/a.log", true),
        (["a?c"], "abc", true),
        (["a?c"], "a/c", false),
        (["[a-c]x"], "bx", true),
        (["# comment", ""], "# comment", false),
        (["dir/*/file"], "dir/x/file", true),
        (["dir/*/file"], "dir/x/y/file", false),
    ])
    func matches(_ patterns: [String], _ path: String, _ excluded: Bool) throws {
        #expect(try DockerIgnore(lines: patterns).excludes(PathBytes(path)) == excluded)
    }

    /// Found by Scripts/fuzz dockerignore: runs of `**` used to take exponential time.
    @Test func manyDoubleStarsStayFast() throws {
        let pattern = Array(repeating: "**", count: 40).joined(separator: "/") + "/n"
        let path = Array(repeating: "d", count: 60).joined(separator: "/") + "/x"
        #expect(try !DockerIgnore(lines: [pattern]).excludes(PathBytes(path)))
        #expect(try DockerIgnore(lines: [pattern]).excludes(PathBytes(path + "/n")))
        #expect(try DockerIgnore(lines: ["**", "!**/keep"]).excludes(PathBytes(path)))
        let inElements = Array(repeating: "a**", count: 40).joined() + "z"
        #expect(try !DockerIgnore(lines: [inElements]).excludes(PathBytes(path)))
    }

    /// Found by the Docker parity review: Windows editors save a byte-order mark, which became part
    /// of the first pattern, so `secret` was copied into the image.
    @Test(arguments: [[0xef, 0xbb, 0xbf], [0xef, 0xbb, 0xbf, 0x20], []] as [[UInt8]])
    func byteOrderMarkIsNotPartOfTheFirstPattern(_ start: [UInt8]) throws {
        let dir = try makeTempDir("ignore")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(start + Array("secret\r\nlogs\n".utf8)).write(to: URL(fileURLWithPath: dir + "/.dockerignore"))
        let ignore = try DockerIgnore(contentsOf: dir + "/.dockerignore")
        #expect(ignore.excludes("secret"))
        #expect(ignore.excludes("logs"))
    }

    /// moby/patternmatcher ignorefile_test.go's TestReadAll: a comment is a line that starts with
    /// `#`; once whitespace comes first, the `#` is part of a pattern.
    @Test func commentsStartTheLine() throws {
        let ignore = try DockerIgnore(lines: ["# comment", " #hash", "# not a pattern"])
        #expect(ignore.excludes("#hash"))
        #expect(!ignore.excludes("# comment"))
        #expect(!ignore.excludes("# not a pattern"))
    }

    @Test func exceptionsAreKnown() throws {
        #expect(try DockerIgnore(lines: ["*", "!a"]).hasExceptions)
        #expect(try !DockerIgnore(lines: ["*"]).hasExceptions)
    }
}

/// Patterns Docker refuses (Go's ErrBadPattern) fail the build with the file and line.
@Suite struct DockerIgnoreSyntaxTests {
    @Test(arguments: [("[", true), ("a[b", true), ("x\\", true), ("[a/b]", false), ("[]]", false), ("[!a]x", false), ("a\\[b", false), ("**/*.pyc", false)])
    func malformedPatterns(_ pattern: String, _ malformed: Bool) {
        #expect(DockerIgnore.isMalformed(pattern) == malformed)
    }
}
