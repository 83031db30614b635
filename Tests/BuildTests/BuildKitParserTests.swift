@testable import Build
import Foundation
import Testing

/// BuildKit's own parser test data (Fixtures/buildkit/parser, from moby/buildkit
/// frontend/dockerfile/parser): each Dockerfile must parse to the instructions its `result` lists,
/// in BuildKit's dump format, and each negative one must be refused.
@Suite struct BuildKitParserTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Fixtures/buildkit/parser").standardized.path

    static func cases(_ dir: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "\(root)/\(dir)")) ?? []).sorted()
    }

    static func read(_ path: String) throws -> String { try String(contentsOfFile: "\(root)/\(path)", encoding: .utf8) }

    /// BuildKit's Node.Dump: the keyword in lower case, the flags as Go's %q prints a list, then each argument quoted.
    static func dump(_ i: Instruction) -> String {
        var s = i.keyword.lowercased()
        if !i.rawFlags.isEmpty { s += " " + GoText.quotedList(i.rawFlags) }
        if let trigger = i.trigger.first { return s + " (" + dump(trigger) + ")" }
        return s + i.args.map { " " + GoText.quoted($0) }.joined()
    }

    @Test func allOfBuildKitsCasesAreHere() {
        #expect(Self.cases("testfiles").count == 33)
        #expect(Self.cases("testfiles-negative").count == 4)
    }

    @Test(arguments: cases("testfiles"))
    func parsesAsBuildKitDoes(_ name: String) throws {
        let parsed = try Containerfile.parse(try Self.read("testfiles/\(name)/Dockerfile"), path: "Dockerfile")
        let dump = parsed.instructions.map { "(" + Self.dump($0) + ")\n" }.joined()
        #expect(dump == (try Self.read("testfiles/\(name)/result")))
    }

    @Test(arguments: cases("testfiles-negative"))
    func refusesWhatBuildKitRefuses(_ name: String) throws {
        let text = try Self.read("testfiles-negative/\(name)/Dockerfile")
        #expect {
            try Containerfile(path: "Dockerfile", text: text)
        } throws: { error in
            "\(error)".hasPrefix("Dockerfile") && !"\(error)".contains("\n")
        }
    }

    /// parser_test.go's TestParseIncludesLineNumbers: where each instruction starts and ends.
    @Test func linesAsBuildKitCountsThem() throws {
        let parsed = try Containerfile.parse(try Self.read("testfile-line/Dockerfile"), path: "Dockerfile")
        #expect(parsed.instructions.map { [$0.line, $0.endLine] } == [[5, 5], [11, 12], [17, 31]])
    }
}
