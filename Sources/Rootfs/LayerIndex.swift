import Foundation
import Layers

/// A layer's listing in a binary form that is looked up where it lies, kept in the store per layer
/// digest so a base layer is read once ever: entries sorted by path as fixed-size records with
/// their names in one table, so a lookup is a binary search and loading is one read and one pass
/// of checks, with nothing made per entry. A stage on a base of tens of thousands of files asks
/// about a handful of paths; building a dictionary of all of them took most of such a build.
///
/// The store is the user's but a file in it can still be damaged: every count, offset and length
/// is checked when the index is loaded, and one that does not hold gives no index (the layer is
/// read again), never a crash.
///
/// Layout, little-endian: the magic; five u64 counts (entries, whiteouts, opaque directories, kept
/// files, bytes of the name table); 48-byte entries, 16-byte whiteouts and opaque directories,
/// 32-byte kept files, each list sorted by path with no path twice; then the name table.
public struct LayerIndex: Sendable {
    static let magic = Array("imagectl-layer-index-2\n".utf8)
    static let entrySize = 48
    static let pathSize = 16
    static let keptSize = 32
    /// A name longer than Linux's PATH_MAX is no name of a layer that was read.
    static let maxPath = 4096
    /// Files kept whole in the index (/etc/passwd, /etc/group) are at most this large.
    public static let maxKept = 1 << 20

    private let bytes: [UInt8]
    public let count: Int
    let whiteoutCount: Int
    let opaqueCount: Int
    let keptCount: Int
    private let entriesAt: Int
    private let whiteoutsAt: Int
    private let opaqueAt: Int
    private let keptAt: Int
    private let namesAt: Int

    /// The index of a listing made in memory (a layer this build wrote).
    public init(_ listing: LayerListing) {
        self.init(data: LayerIndex.encode(listing))!
    }

    /// Checks the bytes of an index and looks things up in them; nil when anything does not hold.
    public init?(data: Data) {
        let b = [UInt8](data)
        var at = LayerIndex.magic.count
        guard b.count >= at + 40, Array(b[0..<at]) == LayerIndex.magic else { return nil }
        func u64(_ o: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(b[o + $1]) << (8 * UInt64($1)) } }
        var counts: [Int] = []
        for k in 0..<5 {
            let v = u64(at + 8 * k)
            guard v <= UInt64(b.count) else { return nil }
            counts.append(Int(v))
        }
        at += 40
        let sizes = [counts[0] * LayerIndex.entrySize, counts[1] * LayerIndex.pathSize, counts[2] * LayerIndex.pathSize,
                     counts[3] * LayerIndex.keptSize, counts[4]]
        var starts: [Int] = []
        for s in sizes {
            starts.append(at)
            at += s
        }
        guard at == b.count else { return nil }
        bytes = b
        (count, whiteoutCount, opaqueCount, keptCount) = (counts[0], counts[1], counts[2], counts[3])
        (entriesAt, whiteoutsAt, opaqueAt, keptAt, namesAt) = (starts[0], starts[1], starts[2], starts[3], starts[4])
        guard valid() else { return nil }
    }

    // MARK: Reading fields

    private func u32(_ o: Int) -> UInt32 { (0..<4).reduce(0) { $0 | UInt32(bytes[o + $1]) << (8 * UInt32($1)) } }
    private func u64(_ o: Int) -> UInt64 { (0..<8).reduce(0) { $0 | UInt64(bytes[o + $1]) << (8 * UInt64($1)) } }

    /// A name in the table, or nil when it lies outside it or is too long.
    private func name(at o: Int) -> Range<Int>? {
        let offset = u64(o)
        let length = Int(u32(o + 8))
        guard length <= LayerIndex.maxPath, length <= bytes.count - namesAt, offset <= UInt64(bytes.count - namesAt - length) else { return nil }
        return (namesAt + Int(offset))..<(namesAt + Int(offset) + length)
    }

    private func entryName(_ i: Int) -> Range<Int> { name(at: entriesAt + i * LayerIndex.entrySize)! }
    private func whiteoutName(_ i: Int) -> Range<Int> { name(at: whiteoutsAt + i * LayerIndex.pathSize)! }
    private func opaqueName(_ i: Int) -> Range<Int> { name(at: opaqueAt + i * LayerIndex.pathSize)! }
    private func keptName(_ i: Int) -> Range<Int> { name(at: keptAt + i * LayerIndex.keptSize)! }

    /// Every name in range, every list sorted without repeats, every field in its bounds: after
    /// this the accessors above cannot fail.
    private func valid() -> Bool {
        func sorted(_ n: Int, _ name: (Int) -> Range<Int>?) -> Bool {
            var previous: Range<Int>?
            for i in 0..<n {
                guard let r = name(i) else { return false }
                if let p = previous, compare(p, r) >= 0 { return false }
                previous = r
            }
            return true
        }
        guard sorted(count, { name(at: entriesAt + $0 * LayerIndex.entrySize) }),
              sorted(whiteoutCount, { name(at: whiteoutsAt + $0 * LayerIndex.pathSize) }),
              sorted(opaqueCount, { name(at: opaqueAt + $0 * LayerIndex.pathSize) }),
              sorted(keptCount, { name(at: keptAt + $0 * LayerIndex.keptSize) }) else { return false }
        for i in 0..<count {
            let o = entriesAt + i * LayerIndex.entrySize
            guard RootfsEntry.Kind(rawValue: bytes[o + 44]) != nil, u32(o + 32) <= 0o7777, u64(o + 24) <= UInt64(Int64.max) else { return false }
            if u32(o + 20) != UInt32.max, name(at: o + 12) == nil { return false }
        }
        for i in 0..<keptCount {
            let o = keptAt + i * LayerIndex.keptSize
            let offset = u64(o + 16)
            let length = u64(o + 24)
            guard length <= UInt64(LayerIndex.maxKept), offset <= UInt64(bytes.count - namesAt), length <= UInt64(bytes.count - namesAt) - offset
            else { return false }
        }
        return true
    }

    private func compare(_ a: Range<Int>, _ b: Range<Int>) -> Int {
        bytes.withUnsafeBytes { all in
            PathBytes.compare(UnsafeRawBufferPointer(rebasing: all[a]), UnsafeRawBufferPointer(rebasing: all[b]))
        }
    }

    private func compare(_ a: Range<Int>, _ key: [UInt8], prefixOnly: Bool = false) -> Int {
        bytes.withUnsafeBytes { all in
            key.withUnsafeBytes { k in
                var name = UnsafeRawBufferPointer(rebasing: all[a])
                if prefixOnly, name.count > k.count { name = UnsafeRawBufferPointer(rebasing: name[0..<k.count]) }
                return PathBytes.compare(name, k)
            }
        }
    }

    /// The first of `n` names not below `key` (with `prefixOnly`, the end of those that start with it).
    private func lowerBound(_ n: Int, _ name: (Int) -> Range<Int>, _ key: [UInt8], prefixOnly: Bool = false) -> Int {
        var lo = 0
        var hi = n
        while lo < hi {
            let mid = (lo + hi) / 2
            if compare(name(mid), key, prefixOnly: prefixOnly) < (prefixOnly ? 1 : 0) { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    private func contains(_ n: Int, _ name: (Int) -> Range<Int>, _ key: [UInt8]) -> Bool {
        let i = lowerBound(n, name, key)
        return i < n && compare(name(i), key) == 0
    }

    // MARK: Looking things up

    /// The entry at `i`, in path order.
    public func entry(_ i: Int) -> RootfsEntry {
        let o = entriesAt + i * LayerIndex.entrySize
        var e = RootfsEntry(path: PathBytes(Array(bytes[entryName(i)])), kind: RootfsEntry.Kind(rawValue: bytes[o + 44])!,
                            mode: u32(o + 32), uid: Int(u32(o + 36)), gid: Int(u32(o + 40)), size: Int64(u64(o + 24)))
        if u32(o + 20) != UInt32.max { e.link = PathBytes(Array(bytes[name(at: o + 12)!])) }
        return e
    }

    /// The path of the entry at `i`.
    public func path(_ i: Int) -> PathBytes { PathBytes(Array(bytes[entryName(i)])) }

    /// The byte order of the entry at `i`'s path against `path`.
    public func comparePath(_ i: Int, _ path: PathBytes) -> Int { compare(entryName(i), path.bytes) }

    /// The entry the layer holds at `path`.
    public func entry(at path: PathBytes) -> RootfsEntry? {
        let i = lowerBound(count, entryName, path.bytes)
        return i < count && compare(entryName(i), path.bytes) == 0 ? entry(i) : nil
    }

    /// The kind of the entry the layer holds at `path`, without making the entry.
    public func kind(at path: PathBytes) -> RootfsEntry.Kind? {
        let i = lowerBound(count, entryName, path.bytes)
        guard i < count, compare(entryName(i), path.bytes) == 0 else { return nil }
        return RootfsEntry.Kind(rawValue: bytes[entriesAt + i * LayerIndex.entrySize + 44])
    }

    /// Whether the layer holds anything strictly inside the directory `dir` ("" is the root).
    public func hasEntries(below dir: PathBytes) -> Bool {
        let prefix = dir.isEmpty ? [] : dir.bytes + [0x2f]
        let i = lowerBound(count, entryName, prefix)
        guard i < count else { return false }
        return dir.isEmpty ? !entryName(i).isEmpty || i + 1 < count : compare(entryName(i), prefix, prefixOnly: true) == 0
    }

    /// The positions of the entries strictly inside `dir`, in path order.
    public func entries(below dir: PathBytes) -> Range<Int> {
        if dir.isEmpty {
            let first = count > 0 && entryName(0).isEmpty ? 1 : 0
            return first..<count
        }
        let prefix = dir.bytes + [0x2f]
        return lowerBound(count, entryName, prefix)..<lowerBound(count, entryName, prefix, prefixOnly: true)
    }

    public func isWhiteout(_ path: PathBytes) -> Bool { contains(whiteoutCount, whiteoutName, path.bytes) }
    public func isOpaque(_ path: PathBytes) -> Bool { contains(opaqueCount, opaqueName, path.bytes) }
    var hasWhiteouts: Bool { whiteoutCount > 0 || opaqueCount > 0 }

    /// The bytes of a small file the layer holds, kept when it was listed (/etc/passwd, /etc/group).
    public func kept(_ path: PathBytes) -> Data? {
        let i = lowerBound(keptCount, keptName, path.bytes)
        guard i < keptCount, compare(keptName(i), path.bytes) == 0 else { return nil }
        let o = keptAt + i * LayerIndex.keptSize
        let start = namesAt + Int(u64(o + 16))
        return Data(bytes[start..<(start + Int(u64(o + 24)))])
    }

    /// The listing again, entries in path order.
    public var listing: LayerListing {
        var l = LayerListing(entries: (0..<count).map(entry),
                             whiteouts: (0..<whiteoutCount).map { PathBytes(Array(bytes[whiteoutName($0)])) },
                             opaque: (0..<opaqueCount).map { PathBytes(Array(bytes[opaqueName($0)])) })
        for i in 0..<keptCount { l.kept[PathBytes(Array(bytes[keptName(i)]))] = kept(PathBytes(Array(bytes[keptName(i)]))) }
        return l
    }

    // MARK: Writing

    /// The index of a listing: entries sorted by path, the last of several at one path kept (it is
    /// the one unpacking leaves), names longer than PATH_MAX left out.
    public static func encode(_ listing: LayerListing) -> Data {
        var last: [PathBytes: Int] = [:]
        for (i, e) in listing.entries.enumerated() where e.path.bytes.count <= maxPath && (e.link?.bytes.count ?? 0) <= maxPath {
            last[e.path] = i
        }
        let entries = last.keys.sorted().map { listing.entries[last[$0]!] }
        let whiteouts = Set(listing.whiteouts.filter { $0.bytes.count <= maxPath }).sorted()
        let opaque = Set(listing.opaque.filter { $0.bytes.count <= maxPath }).sorted()
        let kept = listing.kept.filter { $0.key.bytes.count <= maxPath && $0.value.count <= maxKept }.sorted { $0.key < $1.key }

        var names: [UInt8] = []
        func place(_ bytes: [UInt8]) -> UInt64 {
            defer { names.append(contentsOf: bytes) }
            return UInt64(names.count)
        }
        var records: [UInt8] = []
        func put(_ v: UInt64, _ width: Int) { for k in 0..<width { records.append(UInt8(truncatingIfNeeded: v >> (8 * UInt64(k)))) } }
        for e in entries {
            // 0: path offset, 8: its length, 12: link offset, 20: its length (all ones: no link),
            // 24: size, 32: mode, 36: uid, 40: gid, 44: kind.
            put(place(e.path.bytes), 8)
            put(UInt64(e.path.bytes.count), 4)
            put(e.link.map { place($0.bytes) } ?? 0, 8)
            put(e.link.map { UInt64($0.bytes.count) } ?? UInt64(UInt32.max), 4)
            put(UInt64(max(0, e.size)), 8)
            put(UInt64(e.mode & 0o7777), 4)
            put(UInt64(UInt32(truncatingIfNeeded: e.uid)), 4)
            put(UInt64(UInt32(truncatingIfNeeded: e.gid)), 4)
            put(UInt64(e.kind.rawValue), 4)
        }
        for p in whiteouts + opaque {
            put(place(p.bytes), 8)
            put(UInt64(p.bytes.count), 8)
        }
        for (p, data) in kept {
            put(place(p.bytes), 8)
            put(UInt64(p.bytes.count), 8)
            put(place([UInt8](data)), 8)
            put(UInt64(data.count), 8)
        }
        let body = records
        records = magic
        for v in [entries.count, whiteouts.count, opaque.count, kept.count, names.count] { put(UInt64(v), 8) }
        return Data(records + body + names)
    }

    /// The listing an index holds, or nil when it is damaged.
    public static func decode(_ data: Data) -> LayerListing? { LayerIndex(data: data)?.listing }
}
