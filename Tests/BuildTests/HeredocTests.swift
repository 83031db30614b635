@testable import Build
import Foundation
import OCI
import TestSupport
import Testing

/// `COPY <<EOF`: the files BuildKit's heredoc tests (frontend/dockerfile/dockerfile_heredoc_test.go)
/// expect, and the markers its parser test (parser/parser_heredoc_test.go) reads.
@Suite struct HeredocTests {
    /// Every file of the image's last layer with its mode, owner and content.
    static func files(_ containerfile: String) throws -> [String: (mode: String, owner: String, content: String)] {
        let f = try Fixture()
        defer { f.remove() }
        try f.file("foo.txt", "from the context\n")
        let layer = try f.manifest(try f.build(containerfile).descriptor).layers.last!
        let blob = f.store.blobPath(layer.digest)
        var out: [String: (String, String, String)] = [:]
        for line in String(decoding: try run(["tar", "-tvzf", blob]), as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            let name = String(fields[5...].joined(separator: " "))
            guard fields[0].hasPrefix("-") else { continue }
            out[name] = (String(fields[0]), String(fields[1]), String(decoding: try run(["tar", "-xzOf", blob, name]), as: UTF8.self))
        }
        return out
    }

    @Test func copyHeredoc() throws {
        let files = try Self.files("""
            FROM scratch
            WORKDIR /dest
            COPY --chmod=777 --chown=1000:1000 <<EOF <<EOF2 double/
            first file
            EOF
            second file
            EOF2

            """)
        #expect(files["dest/double/EOF"]?.content == "first file\n")
        #expect(files["dest/double/EOF2"]?.content == "second file\n")
        #expect(files["dest/double/EOF"]?.mode == "-rwxrwxrwx")
        #expect(files["dest/double/EOF"]?.owner == "1000/1000")
    }

    @Test func aHeredocIsA0644FileOwnedByRoot() throws {
        let files = try Self.files("FROM scratch\nCOPY <<EOF /single\nsingle file\nEOF\n")
        #expect(files["single"]?.content == "single file\n")
        #expect(files["single"]?.mode == "-rw-r--r--")
        #expect(files["single"]?.owner == "0/0")
    }

    /// Body lines are kept as written, `\` escapes and `$` substitutes unless the marker is quoted.
    @Test(arguments: [
        ("<<EOF", "\"quotes in file\"\n", "\"quotes in file\"\n"),
        ("<<EOF", "\\\n", "\n"),
        ("<<EOF", "\\\\\n", "\\\n"),
        ("<<EOF", "\\$\n", "$\n"),
        ("<<\"EOF\"", "\\\n", "\\\n"),
        ("<<\"EOF\"", "\\\\\n", "\\\\\n"),
        ("<<\"EOF\"", "\\$\n", "\\$\n"),
        ("<<EOF", "Hello ${name}!\n", "Hello world!\n"),
        ("<<'EOF'", "Hello ${name}!\n", "Hello ${name}!\n"),
        ("<<\"EOF\"", "Hello ${name}!\n", "Hello ${name}!\n"),
        ("<<E\"O\"F", "Hello ${name}!\n", "Hello ${name}!\n"),
        ("<<EOF", "Hello '${name}'!\n", "Hello 'world'!\n"),
        ("<<EOF", "Hello \"${name}\"!\n", "Hello \"world\"!\n"),
        ("<<'EOF'", "Hello \"${name}\"!\n", "Hello \"${name}\"!\n"),
        ("<<EOF", "\tfoo\n", "\tfoo\n"),
        ("<<-EOF", "\tbar\n\t\tbaz\n", "bar\nbaz\n"),
        ("<<EOF", "", ""),
        ("<<EOF", "${KEEP:-$name} ${ENVVAR}\n", "world from env\n"),
    ])
    func bodies(_ marker: String, _ body: String, _ content: String) throws {
        let name = try #require(try Heredoc.marker(marker)).name
        let files = try Self.files("FROM scratch\nARG name=world\nENV ENVVAR=\"from env\"\nCOPY \(marker) /f\n\(body)\(name)\n")
        #expect(files["f"]?.content == content)
    }

    /// A heredoc beside a path from the context, and a heredoc into an existing directory.
    @Test func mixedSources() throws {
        let files = try Self.files("FROM scratch\nCOPY foo.txt /d/\nCOPY <<EOF foo.txt /d/\ninline\nEOF\n")
        #expect(files["d/EOF"]?.content == "inline\n")
        #expect(files["d/foo.txt"]?.content == "from the context\n")
    }

    @Test func theSameBodyHitsTheCache() throws {
        let f = try Fixture()
        defer { f.remove() }
        let spec = "FROM scratch\nCOPY <<EOF /f\nsame\nEOF\n"
        let first = try f.build(spec)
        let second = try f.build(spec)
        #expect(first.descriptor == second.descriptor)
        #expect(second.events.map(\.outcome) == [.cached])
    }

    /// parser_heredoc_test.go's TestParseExtractsHeredoc, TestParseHeredocHelpers and TestHeredocsFromLine.
    @Test(arguments: [
        ("COPY <<EOF /d\nEOF", [Heredoc(name: "EOF")]),
        ("RUN 3<<EMPTY2\nEMPTY2", [Heredoc(name: "EMPTY2", fileDescriptor: 3)]),
        ("RUN \"<<NOHEREDOC\"", []),
        ("RUN <<INDENT\n\tfoo\n\tbar\nINDENT", [Heredoc(name: "INDENT", content: "\tfoo\n\tbar\n")]),
        ("RUN <<-UNINDENT2\n\tbaz\n\tquux\n\tUNINDENT2", [Heredoc(name: "UNINDENT2", chomp: true, content: "\tbaz\n\tquux\n")]),
        ("RUN <<-'NOEXPAND'\n\tdon't expand $NAME\nNOEXPAND", [Heredoc(name: "NOEXPAND", expand: false, chomp: true, content: "\tdon't expand $NAME\n")]),
        ("RUN <<COMMENT\n# internal comment\necho foo # trailing\nCOMMENT", [Heredoc(name: "COMMENT", content: "# internal comment\necho foo # trailing\n")]),
        ("RUN --mount=type=cache,target=/foo <<MOUNT\necho hello\nMOUNT", [Heredoc(name: "MOUNT", content: "echo hello\n")]),
        ("COPY <<FILE1 <<FILE2 /dest\ncontent 1\nFILE1\ncontent 2\nFILE2", [Heredoc(name: "FILE1", content: "content 1\n"), Heredoc(name: "FILE2", content: "content 2\n")]),
        ("COPY <<X <<Y /dest\nY\nX\nX\nY", [Heredoc(name: "X", content: "Y\n"), Heredoc(name: "Y", content: "X\n")]),
        ("RUN <<COMPLEX python3\nprint('hello world')\nCOMPLEX", [Heredoc(name: "COMPLEX", content: "print('hello world')\n")]),
        ("COPY <<file.txt /dest\nhello world\nfile.txt", [Heredoc(name: "file.txt", content: "hello world\n")]),
        ("RUN <<eo'f'\necho foo\neof", [Heredoc(name: "eof", expand: false, content: "echo foo\n")]),
        ("RUN <<eo\\'f\necho foo\neo'f", [Heredoc(name: "eo'f", content: "echo foo\n")]),
        ("RUN <<'e'o\\'f\necho foo\neo'f", [Heredoc(name: "eo'f", expand: false, content: "echo foo\n")]),
        ("RUN <<'one two'\necho bar\none two", [Heredoc(name: "one two", expand: false, content: "echo bar\n")]),
        ("RUN <<$EOF\n$EOF", [Heredoc(name: "$EOF")]),
        ("RUN <<  EOF\nEOF", [Heredoc(name: "EOF")]),
        ("RUN <<  EOF  > foo\nEOF", [Heredoc(name: "EOF")]),
        ("RUN << -EOF\n-EOF", [Heredoc(name: "-EOF")]),
        ("RUN [\"<<EOF\"]", []),
        ("USER <<INVALID", []),
    ])
    func markers(_ text: String, _ expected: [Heredoc]) throws {
        let parsed = try Containerfile.parse(text + "\n", path: "C")
        #expect(parsed.instructions.count == 1)
        #expect(parsed.instructions.first?.heredocs == expected)
    }

    @Test(arguments: ["<<EOF", "<<'EOF'", "<<\"EOF\"", "<<-EOF", "<<-'EOF'", "<<-\"EOF\"", "<<EO\"F\"", "<< EOF", "<<- EOF"])
    func markerWords(_ word: String) throws {
        #expect(try Heredoc.marker(word)?.name == "EOF")
    }

    @Test(arguments: ["", "EOF", "<<", "<<-", "<EOF", "<<<EOF", "<<EOF sh"])
    func notMarkers(_ word: String) throws {
        #expect(try Heredoc.marker(word) == nil)
    }

    @Test(arguments: ["<<'EOF", "<<\"EOF", "<<EOF'", "<<EOF\""])
    func badMarkers(_ word: String) {
        #expect(throws: BuildError.self) { try Heredoc.marker(word) }
    }
}
