import Foundation

// The first line is a path (its bytes as they are, as the context walk passes them); the rest are
// .dockerignore patterns, checked for syntax and matched.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    let firstLine = bytes.split(separator: 10, maxSplits: 1, omittingEmptySubsequences: false).first ?? []
    guard !firstLine.isEmpty, !firstLine.contains(0) else { return 0 }
    let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
    for line in lines.dropFirst() { _ = DockerIgnore.isMalformed(line) }
    _ = DockerIgnore(lines: Array(lines.dropFirst())).excludes(PathBytes(Array(firstLine)))
    return 0
}
