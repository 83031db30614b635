@testable import Build
import Foundation
import TestSupport
import Testing

@Suite struct ContainerfileTests {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Fixtures/containerfiles").standardized.path

    static var cases: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
            .filter { $0.hasSuffix(".Containerfile") }.map { String($0.dropLast(".Containerfile".count)) }.sorted()
    }

    @Test func thereAreCases() { #expect(Self.cases.count >= 8) }

    @Test(arguments: cases)
    func parsesAsExpected(_ name: String) throws {
        let text = try String(contentsOfFile: "\(Self.dir)/\(name).Containerfile", encoding: .utf8)
        let expected = try String(contentsOfFile: "\(Self.dir)/\(name).expected", encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        if expected.hasPrefix("error: ") {
            let want = String(expected.dropFirst(7))
            #expect {
                try Containerfile(path: "\(name).Containerfile", text: text)
            } throws: { error in
                "\(error)".hasPrefix(want) && !"\(error)".contains("\n")
            }
            return
        }
        let parsed = try Containerfile(path: "\(name).Containerfile", text: text)
        if expected == "parsed" { return }
        let dump = parsed.instructions.map { i in
            "\(i.line) (\(InstructionDump.dump(i)))" + i.heredocs.map { doc in
                "\n  <<\(doc.name) \(doc.expand ? "expand" : "literal")\(doc.chomp ? " chomp" : "") \(GoText.quoted(doc.content))"
            }.joined()
        }.joined(separator: "\n")
        #expect(dump == expected)
    }
}
