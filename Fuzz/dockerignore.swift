import Foundation

// The first line is a path (its bytes as they are, as the context walk passes them); the rest are
// .dockerignore lines, read, checked and matched.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let lines = Array(UnsafeBufferPointer(start: data, count: size)).split(separator: 10, omittingEmptySubsequences: false)
    guard let path = lines.first, !path.isEmpty, !path.contains(0) else { return 0 }
    if let ignore = try? DockerIgnore(DockerIgnore.readAll(Array(lines.dropFirst())), file: "fuzz") {
        _ = ignore.excludes(PathBytes(Array(path)))
    }
    return 0
}
