import Foundation

// Parses the input as a Containerfile and expands every instruction's words.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    guard let file = try? Containerfile(path: "fuzz", text: text) else { return 0 }
    let words = ShellWords(escape: file.escape)
    for ins in file.instructions {
        for w in words.split(ins.arguments) { _ = try? words.expand(w) { $0 == "X" ? "value" : nil } }
        _ = ShellWords.jsonArray(ins.arguments)
    }
    return 0
}
