import Foundation

/// A path as the kernel and the tar format carry it: bytes, any but NUL, UTF-8 or not.
///
/// A String would repair a name that is not UTF-8 (so the file could no longer be opened, and the
/// layer would hold another name), and would take two names that differ only in Unicode
/// normalisation for one. Names from the context walk reach libarchive as these bytes, unchanged.
public struct PathBytes: Hashable, Comparable, Sendable, ExpressibleByStringLiteral, CustomStringConvertible {
    public var bytes: [UInt8]

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// A path from text the user wrote (a Containerfile, a flag): its UTF-8.
    public init(_ text: String) { bytes = Array(text.utf8) }

    public init(stringLiteral text: String) { self.init(text) }

    public init(cString: UnsafePointer<CChar>) {
        bytes = Array(UnsafeRawBufferPointer(start: cString, count: strlen(cString)))
    }

    /// Components joined with slashes.
    public init(joining components: some Sequence<PathBytes>) {
        bytes = Array(components.map(\.bytes).joined(separator: [0x2f]))
    }

    public var isEmpty: Bool { bytes.isEmpty }

    /// Byte order of two names where they lie (memcmp's, a prefix first): negative, zero or positive.
    public static func compare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int {
        let common = Swift.min(a.count, b.count)
        if common > 0 {
            let c = memcmp(a.baseAddress!, b.baseAddress!, common)
            if c != 0 { return Int(c) }
        }
        return a.count - b.count
    }

    /// All the bytes at once: the synthesized hash fed them to the hasher one at a time, most of
    /// the cost of a dictionary of paths.
    public func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
        hasher.combine(bytes.count)
    }

    public static func == (a: PathBytes, b: PathBytes) -> Bool { a.bytes == b.bytes }

    /// Byte order, as Go's sort of names (and so BuildKit's layers) has it.
    public static func < (a: PathBytes, b: PathBytes) -> Bool {
        let common = min(a.bytes.count, b.bytes.count)
        if common > 0 {
            let c = a.bytes.withUnsafeBytes { x in b.bytes.withUnsafeBytes { y in memcmp(x.baseAddress!, y.baseAddress!, common) } }
            if c != 0 { return c < 0 }
        }
        return a.bytes.count < b.bytes.count
    }

    public func hasPrefix(_ prefix: PathBytes) -> Bool { bytes.starts(with: prefix.bytes) }

    /// `self/component`, or the component alone when `self` is empty (the root).
    public func appending(_ component: PathBytes) -> PathBytes {
        if isEmpty { return component }
        if component.isEmpty { return self }
        // One allocation of the final size: COPY makes one of these per file it copies.
        var joined: [UInt8] = []
        joined.reserveCapacity(bytes.count + 1 + component.bytes.count)
        joined.append(contentsOf: bytes)
        joined.append(0x2f)
        joined.append(contentsOf: component.bytes)
        return PathBytes(joined)
    }

    /// The path without its first `count` bytes.
    public func dropFirst(_ count: Int) -> PathBytes { PathBytes(Array(bytes.dropFirst(count))) }

    /// The elements between slashes, empty ones left out.
    public var components: [PathBytes] { bytes.split(separator: 0x2f).map { PathBytes(Array($0)) } }

    public var lastComponent: PathBytes { components.last ?? self }

    public func withCString<R>(_ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        try (bytes + [0]).withUnsafeBufferPointer { try $0.withMemoryRebound(to: CChar.self) { try body($0.baseAddress!) } }
    }

    /// For messages only: UTF-8 as text, any other byte as \xNN (Go's %q shows them so too).
    public var description: String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        var out = ""
        var i = 0
        while i < bytes.count {
            let lead = bytes[i]
            let length = lead < 0x80 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 0
            if length > 0, i + length <= bytes.count, let ch = String(validating: bytes[i..<(i + length)], as: UTF8.self) {
                out += ch
                i += length
            } else {
                out += String(format: "\\x%02x", lead)
                i += 1
            }
        }
        return out
    }
}
