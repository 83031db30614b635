import Foundation
import TestSupport
import Testing

/// Every case of Fixtures/bad-inputs/cases.json (Containerfiles, references, platforms, tags, build
/// args, .dockerignore, config.json, flags) through the real binary: one clear line, a non-zero
/// exit, no crash, no hang, no temp file left. Scripts/reliability prints the same figures.
@Suite struct BadInputTests {
    @Test func everyBadInputIsOneClearLine() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLI.packageRoot + "/Scripts/bad-inputs")
        p.arguments = ["--bin", CLI.binary]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let cases = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: CLI.packageRoot + "/Fixtures/bad-inputs/cases.json"))) as? [String: Any]
        let count = (cases?["cases"] as? [Any])?.count ?? 0
        #expect(count >= 60)
        #expect(p.terminationStatus == 0, "\(text)")
        #expect(text.contains("bad inputs: \(count) tried, \(count) handled, 0 unclear, 0 crashes, 0 hangs"), "\(text)")
    }
}
