import Foundation

// The first line is a path; the rest are .dockerignore patterns.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let lines = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self).split(separator: "\n").map(String.init)
    guard let path = lines.first else { return 0 }
    _ = DockerIgnore(lines: Array(lines.dropFirst())).excludes(path)
    return 0
}
