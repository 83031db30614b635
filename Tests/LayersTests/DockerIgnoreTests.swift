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

/// Patterns Docker refuses fail the build with the file and line, in one line.
@Suite struct DockerIgnoreSyntaxTests {
    /// The ErrBadPattern rows of Go's filepath.Match table, as patternmatcher_test.go's TestMatch
    /// carries them; TestSingleExclamationError's lone `!`; the regression of moby/moby#52203, a
    /// backwards range Go's regexp cannot compile.
    @Test(arguments: [
        "[]a]", "[-]", "[x-]", "[-x]", "\\", "[a-b-c]", "[", "[^", "[^bc", "a[", "!", "! ", "!/", "[Local-Only]/",
    ])
    func refusedAsDockerRefusesThem(_ pattern: String) {
        #expect(throws: LayerError.self) { try DockerIgnore(lines: ["ok", pattern]) }
    }

    /// Patterns Docker's regular expression reads otherwise than filepath.Match documents them (or
    /// cannot compile): refused rather than matched either way.
    @Test(arguments: ["[*]", "a[?b]", "\\d", "a\\bc", "[\\w]", "[[:alpha:]]", "\\é"])
    func refusedAsRegularExpressions(_ pattern: String) {
        #expect(throws: LayerError.self) { try DockerIgnore(lines: [pattern]) }
    }

    @Test(arguments: [
        "[a/b]", "[!a]x", "a\\[b", "**/*.pyc", "[\\*]", "\\.", "a]", "[[:]", "x[/..", "[\\]a]", "[x\\-]", "!!a", "a^b",
    ])
    func accepted(_ pattern: String) {
        #expect(throws: Never.self) { try DockerIgnore(lines: [pattern]) }
    }

    @Test func errorNamesFileLineAndPattern() {
        #expect {
            try DockerIgnore(lines: ["# keep", "*.tmp", "logs/[a-", "x"], file: "ctx/.dockerignore")
        } throws: { error in
            let text = "\(error)"
            return text.hasPrefix("ctx/.dockerignore:3: bad pattern \"logs/[a-\": ") && !text.contains("\n")
        }
        #expect {
            try DockerIgnore(lines: ["a\u{7}[", "b"], file: ".dockerignore")
        } throws: { error in "\(error)" == ".dockerignore:1: bad pattern \"a\\u{7}[\": no ] closes the [" }
    }
}
