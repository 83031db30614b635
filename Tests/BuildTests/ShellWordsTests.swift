import Foundation
@testable import Build
import Testing

@Suite struct ShellWordsTests {
    /// Deep nesting is refused before it can exhaust the stack; the limit still allows real files.
    @Test func nestingIsBounded() throws {
        let words = ShellWords(escape: "\\")
        let ok = String(repeating: "${A:-", count: 10) + "x" + String(repeating: "}", count: 10)
        #expect(try words.expand(ok) { _ in nil } == "x")
        let deep = String(repeating: "${A:-", count: 5000) + "x" + String(repeating: "}", count: 5000)
        #expect(throws: BuildError.self) { try words.expand(deep) { _ in nil } }
    }

    @Test func textMustBeUTF8WithoutNUL() throws {
        #expect(try Builder.text(of: Data("FROM scratch\n".utf8), file: "C") == "FROM scratch\n")
        #expect(throws: BuildError.self) { try Builder.text(of: Data([70, 10, 0xff, 10]), file: "C") }
        #expect(throws: BuildError.self) { try Builder.text(of: Data([70, 10, 65, 0, 10]), file: "C") }
    }
}
