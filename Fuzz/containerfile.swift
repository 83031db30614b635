import Foundation

// Parses the input as a Containerfile and expands every argument, as one word and as words.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let file = try? Containerfile(path: "fuzz", text: text) else { return 0 }
    let words = ShellWords(escape: file.escape)
    var body = ShellWords(escape: "\\")
    body.skipQuotes = true
    for ins in file.instructions {
        for w in ins.args {
            _ = try? words.expand(w) { $0 == "X" ? "value" : nil }
            _ = try? words.words(w) { $0 == "X" ? "a b" : nil }
        }
        for doc in ins.heredocs { _ = try? body.expand(doc.body) { $0 == "X" ? "value" : nil } }
    }
    return 0
}
