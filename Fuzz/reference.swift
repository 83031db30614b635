import Foundation

// Image references, platforms and digests from one input.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    if let r = try? Reference(parsing: text) { _ = r.familiar; _ = try? Reference(parsing: r.description) }
    _ = try? Platform(parsing: text)
    _ = try? Digest(parsing: text)
    return 0
}
