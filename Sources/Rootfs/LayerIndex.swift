import Foundation
import Layers

/// A layer's listing in a compact binary form, kept in the store per layer digest so a base layer
/// is read once ever. The store is the user's but a file in it can still be damaged: decoding
/// checks every length and gives nil for anything it cannot read, and the layer is read again.
public enum LayerIndex {
    static let magic = Array("imagectl-layer-index-1\n".utf8)

    public static func encode(_ listing: LayerListing) -> Data {
        var out = magic
        func int(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        func bytes(_ p: PathBytes) {
            int(UInt64(p.bytes.count))
            out.append(contentsOf: p.bytes)
        }
        int(UInt64(listing.entries.count))
        for e in listing.entries {
            out.append(e.kind.rawValue)
            int(UInt64(e.mode))
            int(UInt64(UInt32(truncatingIfNeeded: e.uid)))
            int(UInt64(UInt32(truncatingIfNeeded: e.gid)))
            int(UInt64(max(0, e.size)))
            bytes(e.path)
            if let link = e.link {
                out.append(1)
                bytes(link)
            } else {
                out.append(0)
            }
        }
        int(UInt64(listing.whiteouts.count))
        for w in listing.whiteouts { bytes(w) }
        int(UInt64(listing.opaque.count))
        for o in listing.opaque { bytes(o) }
        return Data(out)
    }

    public static func decode(_ data: Data) -> LayerListing? {
        var r = Reader(bytes: [UInt8](data))
        guard r.take(magic.count) == magic else { return nil }
        var listing = LayerListing()
        guard let entries = r.count() else { return nil }
        for _ in 0..<entries {
            guard let raw = r.byte(), let kind = RootfsEntry.Kind(rawValue: raw), let mode = r.int(), let uid = r.int(), let gid = r.int(),
                  let size = r.int(), let path = r.path(), let hasLink = r.byte(), mode <= 0o7777, uid <= UInt32.max, gid <= UInt32.max,
                  size <= UInt64(Int64.max) else { return nil }
            var e = RootfsEntry(path: path, kind: kind, mode: UInt32(mode), uid: Int(uid), gid: Int(gid), size: Int64(size))
            if hasLink == 1 {
                guard let link = r.path() else { return nil }
                e.link = link
            }
            listing.entries.append(e)
        }
        guard let whiteouts = r.count() else { return nil }
        for _ in 0..<whiteouts {
            guard let p = r.path() else { return nil }
            listing.whiteouts.append(p)
        }
        guard let opaque = r.count() else { return nil }
        for _ in 0..<opaque {
            guard let p = r.path() else { return nil }
            listing.opaque.append(p)
        }
        return r.atEnd ? listing : nil
    }

    struct Reader {
        let bytes: [UInt8]
        var at = 0

        mutating func take(_ n: Int) -> [UInt8]? {
            guard n >= 0, n <= bytes.count - at else { return nil }
            defer { at += n }
            return Array(bytes[at..<at + n])
        }

        mutating func byte() -> UInt8? { take(1)?.first }

        mutating func int() -> UInt64? {
            guard let b = take(8) else { return nil }
            return b.reversed().reduce(0) { $0 << 8 | UInt64($1) }
        }

        /// A count no larger than what the rest of the data could hold (one byte an item at least).
        mutating func count() -> Int? {
            guard let n = int(), n <= UInt64(bytes.count - at) else { return nil }
            return Int(n)
        }

        mutating func path() -> PathBytes? {
            guard let n = int(), n <= 4096, let b = take(Int(n)) else { return nil }
            return PathBytes(b)
        }

        var atEnd: Bool { at == bytes.count }
    }
}
