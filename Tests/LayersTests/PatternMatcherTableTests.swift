@testable import Layers
import Testing

/// The test tables of moby/patternmatcher (patternmatcher_test.go) and of Go's path package
/// (path_test.go), which .dockerignore follows, run against `DockerIgnore`.
@Suite struct PatternMatcherTableTests {
    /// TestMatches' single-pattern table (checked with MatchesOrParentMatches), with the one row it
    /// adds off Windows.
    @Test(arguments: [
        ("**", "file", true), ("**", "file/", true), ("**/", "file", true), ("**/", "file/", true),
        ("**", "/", true), ("**/", "/", true), ("**", "dir/file", true), ("**/", "dir/file", true),
        ("**", "dir/file/", true), ("**/", "dir/file/", true), ("**/**", "dir/file", true),
        ("**/**", "dir/file/", true), ("dir/**", "dir/file", true), ("dir/**", "dir/file/", true),
        ("dir/**", "dir/dir2/file", true), ("dir/**", "dir/dir2/file/", true), ("**/dir", "dir", true),
        ("**/dir", "dir/file", true), ("**/dir2/*", "dir/dir2/file", true), ("**/dir2/*", "dir/dir2/file/", true),
        ("**/dir2/**", "dir/dir2/dir3/file", true), ("**/dir2/**", "dir/dir2/dir3/file/", true),
        ("**file", "file", true), ("**file", "dir/file", true), ("**/file", "dir/file", true),
        ("**file", "dir/dir/file", true), ("**/file", "dir/dir/file", true), ("**/file*", "dir/dir/file", true),
        ("**/file*", "dir/dir/file.txt", true), ("**/file*txt", "dir/dir/file.txt", true),
        ("**/file*.txt", "dir/dir/file.txt", true), ("**/file*.txt*", "dir/dir/file.txt", true),
        ("**/**/*.txt", "dir/dir/file.txt", true), ("**/**/*.txt2", "dir/dir/file.txt", false),
        ("**/*.txt", "file.txt", true), ("**/**/*.txt", "file.txt", true), ("a**/*.txt", "a/file.txt", true),
        ("a**/*.txt", "a/dir/file.txt", true), ("a**/*.txt", "a/dir/dir/file.txt", true),
        ("a/*.txt", "a/dir/file.txt", false), ("a/*.txt", "a/file.txt", true), ("a/*.txt**", "a/file.txt", true),
        ("a[b-d]e", "ae", false), ("a[b-d]e", "ace", true), ("a[b-d]e", "aae", false), ("a[^b-d]e", "aze", true),
        (".*", ".foo", true), (".*", "foo", false), ("abc.def", "abcdef", false), ("abc.def", "abc.def", true),
        ("abc.def", "abcZdef", false), ("abc?def", "abcZdef", true), ("abc?def", "abcdef", false),
        ("a\\\\", "a\\", true), ("**/foo/bar", "foo/bar", true), ("**/foo/bar", "dir/foo/bar", true),
        ("**/foo/bar", "dir/dir2/foo/bar", true), ("abc/**", "abc", false), ("abc/**", "abc/def", true),
        ("abc/**", "abc/def/ghi", true), ("**/.foo", ".foo", true), ("**/.foo", "bar.foo", false),
        ("a(b)c/def", "a(b)c/def", true), ("a(b)c/def", "a(b)c/xyz", false), ("a.|)$(}+{bc", "a.|)$(}+{bc", true),
        ("dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", true),
        ("dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", true),
        ("a\\*b", "a*b", true),
    ])
    func matches(_ pattern: String, _ path: String, _ excluded: Bool) throws {
        #expect(try DockerIgnore(lines: [pattern]).excludes(PathBytes(path)) == excluded)
    }

    /// TestMatches' multi-pattern table.
    @Test(arguments: [
        (["**", "!util/docker/web"], "util/docker/web/foo", false),
        (["**", "!util/docker/web", "util/docker/web/foo"], "util/docker/web/foo", true),
        (["**", "!dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl"], "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", false),
        (["**", "!dist/*.whl"], "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", false),
    ])
    func matchesInOrder(_ patterns: [String], _ path: String, _ excluded: Bool) throws {
        #expect(try DockerIgnore(lines: patterns).excludes(PathBytes(path)) == excluded)
    }

    /// TestMatch: the rows of Go's filepath.Match table that are good patterns. Characters are runes:
    /// `?` takes `☺` whole.
    @Test(arguments: [
        ("abc", "abc", true), ("*", "abc", true), ("*c", "abc", true), ("a*", "a", true), ("a*", "abc", true),
        ("a*", "ab/c", true), ("a*/b", "abc/b", true), ("a*/b", "a/c/b", false), ("a*b*c*d*e*/f", "axbxcxdxe/f", true),
        ("a*b*c*d*e*/f", "axbxcxdxexxx/f", true), ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false),
        ("a*b*c*d*e*/f", "axbxcxdxexxx/fff", false), ("a*b?c*x", "abxbbxdbxebxczzx", true),
        ("a*b?c*x", "abxbbxdbxebxczzy", false), ("ab[c]", "abc", true), ("ab[b-d]", "abc", true),
        ("ab[e-g]", "abc", false), ("ab[^c]", "abc", false), ("ab[^b-d]", "abc", false), ("ab[^e-g]", "abc", true),
        ("a\\*b", "a*b", true), ("a\\*b", "ab", false), ("a?b", "a☺b", true), ("a[^a]b", "a☺b", true),
        ("a???b", "a☺b", false), ("a[^a][^a][^a]b", "a☺b", false), ("[a-ζ]*", "α", true), ("*[a-ζ]", "A", false),
        ("a?b", "a/b", false), ("a*b", "a/b", false), ("[\\]a]", "]", true), ("[\\-]", "-", true), ("[x\\-]", "x", true),
        ("[x\\-]", "-", true), ("[x\\-]", "z", false), ("[\\-x]", "x", true), ("[\\-x]", "-", true), ("[\\-x]", "a", false),
        ("*x", "xxx", true),
    ])
    func filepathMatch(_ pattern: String, _ path: String, _ excluded: Bool) throws {
        #expect(try DockerIgnore(lines: [pattern]).excludes(PathBytes(path)) == excluded)
    }

    /// A name that is not UTF-8 is matched as Go's regexp reads it: each such byte is one
    /// character, so `?` takes it and literal text compares the bytes.
    @Test(arguments: [
        ("a?b", [0x61, 0xff, 0x62], true), ("a??b", [0x61, 0xff, 0xfe, 0x62], true), ("a?b", [0x61, 0xff, 0xfe, 0x62], false),
        ("a*", [0x61, 0xff], true), ("**/x", [0xff, 0x2f, 0x78], true), ("a[^b]c", [0x61, 0xc3, 0x63], true),
        ("a?c", [0x61, 0xc3, 0xa9, 0x63], true), ("a??c", [0x61, 0xc3, 0xa9, 0x63], false),
    ] as [(String, [UInt8], Bool)])
    func namesThatAreNotUTF8(_ pattern: String, _ name: [UInt8], _ excluded: Bool) throws {
        #expect(try DockerIgnore(lines: [pattern]).excludes(PathBytes(name)) == excluded)
    }

    /// Go's path_test.go cleantests, which moby's reader applies to every pattern.
    @Test(arguments: [
        ("", "."), ("abc", "abc"), ("abc/def", "abc/def"), ("a/b/c", "a/b/c"), (".", "."), ("..", ".."),
        ("../..", "../.."), ("../../abc", "../../abc"), ("/abc", "/abc"), ("/", "/"), ("abc/", "abc"),
        ("abc/def/", "abc/def"), ("a/b/c/", "a/b/c"), ("./", "."), ("../", ".."), ("../../", "../.."),
        ("/abc/", "/abc"), ("abc//def//ghi", "abc/def/ghi"), ("//abc", "/abc"), ("///abc", "/abc"),
        ("//abc//", "/abc"), ("abc//", "abc"), ("abc/./def", "abc/def"), ("/./abc/def", "/abc/def"),
        ("abc/.", "abc"), ("abc/def/ghi/../jkl", "abc/def/jkl"), ("abc/def/../ghi/../jkl", "abc/jkl"),
        ("abc/def/..", "abc"), ("abc/def/../..", "."), ("/abc/def/../..", "/"), ("abc/def/../../..", ".."),
        ("/abc/def/../../..", "/"), ("abc/def/../../../ghi/jkl/../../../mno", "../../mno"),
        ("abc/./../def", "def"), ("abc//./../def", "def"), ("abc/../../././../def", "../../def"),
    ])
    func filepathClean(_ path: String, _ cleaned: String) {
        #expect(CleanPath.filepathClean(Array(path.utf8)) == Array(cleaned.utf8))
        #expect(CleanPath.filepathClean(Array(cleaned.utf8)) == Array(cleaned.utf8))
    }

    /// ignorefile_test.go's TestReadAll: leading slashes go, `!` stays in front of the cleaned
    /// pattern, blank lines and comments are dropped.
    @Test func readAll() {
        let content = "test1\n/test2\n/a/file/here\n\nlastfile\n# this is a comment\n! /inverted/abs/path\n!\n! "
        let read = DockerIgnore.readAll(Array(content.utf8).split(separator: 0x0a, omittingEmptySubsequences: false))
        #expect(read.map { String(decoding: $0.text, as: UTF8.self) } == ["test1", "test2", "a/file/here", "lastfile", "!inverted/abs/path", "!", "!"])
        #expect(read.map(\.line) == [1, 2, 3, 5, 7, 8, 9])
    }

    /// A pattern that climbs out of the context stays outside it, as filepath.Clean leaves it, and so
    /// matches nothing; only a rooted one is brought back to the root.
    @Test(arguments: [("../secret", "secret", false), ("/../secret", "secret", true), ("a/../../b", "b", false)])
    func climbingPatterns(_ pattern: String, _ path: String, _ excluded: Bool) throws {
        #expect(try DockerIgnore(lines: [pattern]).excludes(PathBytes(path)) == excluded)
    }
}
