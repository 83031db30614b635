import Foundation

// The first line is a path; the rest are .dockerignore patterns, checked for syntax and matched.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let lines = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self).split(separator: "\n").map(String.init)
    guard let path = lines.first else { return 0 }
    for line in lines.dropFirst() { _ = DockerIgnore.isMalformed(line) }
    _ = DockerIgnore(lines: Array(lines.dropFirst())).excludes(path)
    return 0
}
