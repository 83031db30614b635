@testable import Build
import Foundation
import Testing

/// Word expansion as BuildKit's lexer (frontend/dockerfile/shell/lex.go) does it.
@Suite struct ShellWordsTests {
    static let env = ["PWD": "/home", "SHELL": "bash", "KOREAN": "한국어", "NULL": ""]

    /// Positional and special parameters have no value in a Containerfile; quotes and escapes as a shell's.
    @Test(arguments: [
        ("a$$b", "ab"), ("a$@b", "ab"), ("a$*b", "ab"), ("a$#b", "ab"), ("a$?b", "ab"), ("a$1b", "ab"),
        ("${1:-x}", "x"), ("$PWD", "/home"), ("${PWD}/x", "/home/x"), ("'$PWD'", "$PWD"), ("\"$PWD\"", "/home"),
        ("\\$PWD", "$PWD"), ("${NULL:-d}", "d"), ("${NULL-d}", ""), ("${UNSET-d}", "d"),
        ("${SHELL:+set}", "set"), ("${NULL:+set}", ""), ("${KOREAN}", "한국어"), ("${PWD#/}", "home"), ("${SHELL%sh}", "ba"),
        ("${SHELL/a/A}", "bAsh"),
    ])
    func expandsAsBuildKitDoes(_ word: String, _ expected: String) throws {
        #expect(try ShellWords(escape: "\\").expand(word) { Self.env[$0] } == expected, "\(word)")
    }

    @Test(arguments: ["${UNSET:?needed}", "${UNSET?needed}", "${PWD", "${:}"])
    func refusesAsBuildKitDoes(_ word: String) {
        #expect(throws: BuildError.self, "\(word)") { try ShellWords(escape: "\\").expand(word) { Self.env[$0] } }
    }

    /// lex_test.go's TestProcessWithMatches and TestProcessWithMatchesPlatform (nil: an error).
    @Test(arguments: [
        ("x ${UNUSED}", ["DUMMY": "dummy"], "x "),
        ("${FOO-aaa} ${BAR-bbb} ${BAZ-ccc}", ["FOO": "xxx", "BAR": ""], "xxx  ccc"),
        ("${FOO:-aaa} ${BAR:-bbb} ${BAZ:-ccc}", ["FOO": "xxx", "BAR": ""], "xxx bbb ccc"),
        ("${FOO:-}", ["FOO": "xxx"], "xxx"),
        ("${FOO:-}", [:], ""),
        ("${FOO+aaa} ${BAR+bbb} ${BAZ+ccc}", ["FOO": "xxx", "BAR": ""], "aaa bbb "),
        ("${FOO:+aaa} ${BAR:+bbb} ${BAZ:+ccc}", ["FOO": "xxx", "BAR": ""], "aaa  "),
        ("${FOO?aaa}", ["FOO": "xxx"], "xxx"),
        ("${BAR?bbb}", ["BAR": ""], ""),
        ("${BAZ?ccc}", [:], nil),
        ("${FOO:?aaa}", ["FOO": "xxx"], "xxx"),
        ("${BAR:?bbb}", ["BAR": ""], nil),
        ("${BAZ:?ccc}", [:], nil),
        ("${BAZ:?}", [:], nil),
        ("${FOO=aaa}", ["FOO": "xxx"], nil),
        ("${FOO=:aaa}", ["FOO": "xxx"], nil),
        ("${FOO=}", [:], nil),
        ("${FOO#()[]{\\}^$.\\*\\?|\\\\}", ["FOO": "()[]{}^$.*?|\\x"], "x"),
        ("${FOO%%\\**}", ["FOO": "xx**"], "xx"),
        ("${FOO#*x*y}", ["FOO": "xxyy"], "y"),
        ("${FOO#*}", ["FOO": "xxyy"], "xxyy"),
        ("${FOO#$BAR}", ["FOO": "xxyy", "BAR": "x"], "xyy"),
        ("${FOO#$BAR}", ["FOO": "xxyy", "BAR": ""], "xxyy"),
        ("${FOO#}", ["FOO": "xxyy"], "xxyy"),
        ("${FOO##*x}", ["FOO": "xxyy"], "yy"),
        ("${FOO##}", ["FOO": "xxyy"], "xxyy"),
        ("${FOO#?\\?}", ["FOO": "???y"], "?y"),
        ("${ABC:-.}${FOO%x}${ABC:-.}", ["FOO": "xxyy"], ".xxyy."),
        ("${FOO%%\\**\\*}", ["FOO": "a***yy*"], "a"),
        ("${FOO%}", ["FOO": "xxyy"], "xxyy"),
        ("${FOO%%$BAR}", ["FOO": "xxyy", "BAR": ""], "xxyy"),
        ("${FOO:#}", [:], nil),
        ("${FOO:##}", [:], nil),
        ("${FOO:%}", [:], nil),
        ("${FOO:%%}", [:], nil),
        ("${FOO/$NEEDLE/.} - ${FOO//$NEEDLE/.}", ["FOO": "/foo*/*/*.txt", "NEEDLE": "\\*/"], "/foo.*/*.txt - /foo..*.txt"),
        ("${FOO/$NEEDLE/} - ${FOO//$NEEDLE/}", ["FOO": "/tmp/tmp/bar.txt", "NEEDLE": "/tmp"], "/tmp/bar.txt - /bar.txt"),
        ("${FOO/$NEEDLE/$REPLACEMENT} - ${FOO//$NEEDLE/$REPLACEMENT}", ["FOO": "/a/foo/b/c.txt", "NEEDLE": "/?/", "REPLACEMENT": "/"],
         "/foo/b/c.txt - /foo/c.txt"),
        ("${FOO/$NEEDLE/$REPLACEMENT}", ["FOO": "http://google.de", "NEEDLE": "http://", "REPLACEMENT": "https://"], "https://google.de"),
        ("${FOO//\\//\\/}", ["FOO": "/tmp/foo.txt"], "\\/tmp\\/foo.txt"),
        ("${FOO/$BAR/ww}", ["FOO": "xxyy", "BAR": ""], "wwxxyy"),
        ("${FOO//ww}", ["FOO": "xxyy"], nil),
        ("${FOO//}", ["FOO": "xxyy"], nil),
        ("${FOO///}", ["FOO": "xxyy"], "xxyy"),
        ("${FOO///}", [:], ""),
        ("something-${VERSION}.${TARGETOS}-${TARGETARCH}${TARGETVARIANT:+-${TARGETVARIANT}}.tar.gz",
         ["VERSION": "v1.2.3", "TARGETOS": "linux", "TARGETARCH": "arm", "TARGETVARIANT": "v7"], "something-v1.2.3.linux-arm-v7.tar.gz"),
        ("something-${VERSION}.${TARGETOS}-${TARGETARCH}${TARGETVARIANT:+-${TARGETVARIANT}}.tar.gz",
         ["VERSION": "v1.2.3", "TARGETOS": "linux", "TARGETARCH": "arm64", "TARGETVARIANT": ""], "something-v1.2.3.linux-arm64.tar.gz"),
    ] as [(String, [String: String], String?)])
    func substitutesAsLexTestSays(_ word: String, _ env: [String: String], _ expected: String?) throws {
        let words = ShellWords(escape: "\\")
        if let expected {
            #expect(try words.expand(word) { env[$0] } == expected)
        } else {
            #expect(throws: BuildError.self) { try words.expand(word) { env[$0] } }
        }
    }

    /// lex_test.go's TestShellParserMandatoryEnvVars: `?` refuses unset, `:?` unset or empty, with the given message.
    @Test(arguments: [
        ("${VAR:?message here$ARG}", ["VAR": "plain", "ARG": "x"], "plain"),
        ("${VAR:?message here$ARG}", ["VAR": "", "ARG": "x"], "VAR: message herex"),
        ("${VAR:?message here$ARG}", ["ARG": "x"], "VAR: message herex"),
        ("${VAR?message here$ARG}", ["VAR": "plain", "ARG": "x"], "plain"),
        ("${VAR?message here$ARG}", ["VAR": "", "ARG": "x"], ""),
        ("${VAR?message here$ARG}", ["ARG": "x"], "VAR: message herex"),
        ("${VAR?}", [:], "VAR: is not allowed to be unset"),
        ("${VAR:?}", ["VAR": ""], "VAR: is not allowed to be empty"),
    ])
    func requiredVariables(_ word: String, _ env: [String: String], _ expected: String) throws {
        do {
            #expect(try ShellWords(escape: "\\").expand(word) { env[$0] } == expected)
        } catch let e as BuildError {
            #expect(e.message == expected)
        }
    }

    /// lex_test.go's TestConvertShellPatternToRegex: escapes a pattern may not hold.
    @Test(arguments: ["\\", "\\x", "\\\\\\"])
    func badPatternsAreRefused(_ pattern: String) {
        #expect(throws: ShellPattern.Invalid.self) { try ShellPattern(pattern) }
    }

    /// The escape directive's character escapes in expansion too; a backslash is then an ordinary character.
    @Test func backtickEscapes() throws {
        let words = ShellWords(escape: "`")
        #expect(try words.expand("C:\\dir`$X \"a`\"b\"") { _ in "no" } == "C:\\dir$X a\"b")
    }

    /// BuildKit 1.10 and later lose the text before a `${V:-w}` when splitting into words (its
    /// lexer shares one word buffer with the nested read); the text is kept here, as bash keeps it.
    @Test func textBeforeANestedSubstitutionIsKept() throws {
        #expect(try ShellWords(escape: "\\").words("80${X:-80} a\"b${Y:-c}\"") { _ in nil } == ["8080", "abc"])
    }

    /// Deep nesting is refused before it can exhaust the stack; the limit still allows real files.
    @Test func nestingIsBounded() throws {
        let words = ShellWords(escape: "\\")
        let ok = String(repeating: "${A:-", count: 10) + "x" + String(repeating: "}", count: 10)
        #expect(try words.expand(ok) { _ in nil } == "x")
        let deep = String(repeating: "${A:-", count: 5000) + "x" + String(repeating: "}", count: 5000)
        #expect(throws: BuildError.self) { try words.expand(deep) { _ in nil } }
    }

    /// Matching `*` against a long value stays linear in it for each pattern character.
    @Test func longPatternsStayCheap() throws {
        let value = String(repeating: "a", count: 20_000)
        let pattern = String(repeating: "*a", count: 50)
        #expect(try ShellWords(escape: "\\").expand("${V##\(pattern)}") { _ in value } == "")
    }

    @Test func textMustBeUTF8WithoutNUL() throws {
        #expect(try Builder.text(of: Data("FROM scratch\n".utf8), file: "C") == "FROM scratch\n")
        #expect(throws: BuildError.self) { try Builder.text(of: Data([70, 10, 0xff, 10]), file: "C") }
        #expect(throws: BuildError.self) { try Builder.text(of: Data([70, 10, 65, 0, 10]), file: "C") }
    }
}
