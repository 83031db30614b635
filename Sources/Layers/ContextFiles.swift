import Foundation
import OCI

/// One file, directory or symlink of the build context, as `lstat` saw it: what `ContextFiles`
/// hands out, made on access from its compact storage.
public struct ContextFile: Hashable, Sendable {
    public enum FileType: UInt8, Sendable { case file, directory, symlink }
    /// Relative to the context root, without leading "./".
    public var path: PathBytes
    public var type: FileType
    public var mode: UInt32
    public var size: Int64
    public var mtime: Int64
    public var ctime: Int64
    public var inode: UInt64
    public var device: UInt64
    public var links: UInt64
    public var linkTarget: PathBytes?
    /// The SHA-256 of the content, once known (from the stat cache or hashed in this build).
    public var digest: Digest?
}

/// The files of a build context, compact: every path's bytes in one buffer, one fixed-size stat
/// record per file, and the few symlink targets aside. A context of a million files is a million
/// of each; an array of structs holding an array per path and a string per digest made that
/// about 0.8 kB a file, this is about 100 bytes (72 for the record, the path, its offset).
public struct ContextFiles: RandomAccessCollection, Sendable {
    /// What `lstat` said of one file, and its content digest once known: 72 bytes.
    struct Record {
        var size: Int64
        var mtime: Int64
        var ctime: Int64
        var inode: UInt64
        /// The digest's words, meaningful when `hashed` (an optional Digest would take 40 bytes).
        private var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var mode: UInt16
        /// Only "more than one" matters (hard links): clamped rather than wrapped.
        var links: UInt16
        var type: ContextFile.FileType
        private var hashed = false

        init(size: Int64, mtime: Int64, ctime: Int64, inode: UInt64, mode: UInt16, links: UInt16, type: ContextFile.FileType) {
            self.size = size
            self.mtime = mtime
            self.ctime = ctime
            self.inode = inode
            self.mode = mode
            self.links = links
            self.type = type
        }

        /// Only a SHA-256 is ever stored (files are hashed with it, and the stat records hold nothing else).
        var digest: Digest? {
            get { hashed ? Digest(sha256Words: words) : nil }
            set {
                hashed = newValue?.sha256Words != nil
                words = newValue?.sha256Words ?? (0, 0, 0, 0)
            }
        }
    }

    /// All paths' bytes, one after another; path i is `bytes[starts[i]..<starts[i + 1]]`.
    private(set) var bytes: [UInt8] = []
    private(set) var starts: [Int] = [0]
    var records: [Record] = []
    /// Symlink targets by index.
    private(set) var targets: [Int: PathBytes] = [:]
    /// The device of every file is the context root's, but for those listed here (mount points).
    let rootDevice: UInt64
    private(set) var devices: [Int: UInt64] = [:]

    init(rootDevice: UInt64) { self.rootDevice = rootDevice }

    public var startIndex: Int { 0 }
    public var endIndex: Int { records.count }

    public subscript(i: Int) -> ContextFile {
        let r = records[i]
        return ContextFile(path: path(i), type: r.type, mode: UInt32(r.mode), size: r.size, mtime: r.mtime, ctime: r.ctime,
                           inode: r.inode, device: devices.isEmpty ? rootDevice : devices[i] ?? rootDevice, links: UInt64(r.links),
                           linkTarget: targets.isEmpty ? nil : targets[i], digest: r.digest)
    }

    /// The path of file i, as a value of its own.
    public func path(_ i: Int) -> PathBytes { PathBytes(Array(bytes[starts[i]..<starts[i + 1]])) }

    /// The bytes of path i, without copying them.
    func withPath<R>(_ i: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try bytes.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[starts[i]..<starts[i + 1]])) }
    }

    /// The paths without copying them, for work shared out to several threads.
    struct Paths: @unchecked Sendable {
        let bytes: UnsafeRawBufferPointer
        let starts: UnsafeBufferPointer<Int>

        subscript(i: Int) -> UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[starts[i]..<starts[i + 1]]) }
    }

    /// The paths to read and the records to fill in, at once.
    mutating func withPathsAndRecords<R>(_ body: (Paths, UnsafeMutableBufferPointer<Record>) throws -> R) rethrows -> R {
        try bytes.withUnsafeBytes { all in
            try starts.withUnsafeBufferPointer { s in
                try records.withUnsafeMutableBufferPointer { try body(Paths(bytes: all, starts: s), $0) }
            }
        }
    }

    mutating func append(path: UnsafeRawBufferPointer, _ record: Record, device: UInt64, target: PathBytes? = nil) {
        if let target { targets[records.count] = target }
        if device != rootDevice { devices[records.count] = device }
        bytes.append(contentsOf: path)
        starts.append(bytes.count)
        records.append(record)
    }

    /// How many bytes the paths take.
    var byteCount: Int { bytes.count }

    mutating func reserveCapacity(_ count: Int, bytes byteCount: Int) {
        records.reserveCapacity(count)
        starts.reserveCapacity(count + 1)
        bytes.reserveCapacity(byteCount)
    }

    /// Some of another walker's files after these.
    mutating func append(_ other: ContextFiles, _ range: Range<Int>) {
        guard !range.isEmpty else { return }
        let base = records.count
        let offset = bytes.count - other.starts[range.lowerBound]
        bytes.append(contentsOf: other.bytes[other.starts[range.lowerBound]..<other.starts[range.upperBound]])
        starts.append(contentsOf: other.starts[(range.lowerBound + 1)...range.upperBound].lazy.map { $0 + offset })
        records.append(contentsOf: other.records[range])
        for (i, t) in other.targets where range.contains(i) { targets[base + i - range.lowerBound] = t }
        for (i, d) in other.devices where range.contains(i) { devices[base + i - range.lowerBound] = d }
    }

    /// The same files in byte order of their paths (Go's order, and so BuildKit's layers').
    func sorted() -> ContextFiles {
        var order = Array(0..<records.count)
        bytes.withUnsafeBytes { all in
            starts.withUnsafeBufferPointer { s in
                order.sort { a, b in
                    ContextFiles.compare(UnsafeRawBufferPointer(rebasing: all[s[a]..<s[a + 1]]),
                                         UnsafeRawBufferPointer(rebasing: all[s[b]..<s[b + 1]])) < 0
                }
            }
        }
        var out = ContextFiles(rootDevice: rootDevice)
        out.bytes.reserveCapacity(bytes.count)
        out.starts.reserveCapacity(starts.count)
        out.records.reserveCapacity(records.count)
        bytes.withUnsafeBytes { all in
            starts.withUnsafeBufferPointer { s in
                for i in order {
                    out.append(path: UnsafeRawBufferPointer(rebasing: all[s[i]..<s[i + 1]]), records[i],
                               device: devices.isEmpty ? rootDevice : devices[i] ?? rootDevice,
                               target: targets.isEmpty ? nil : targets[i])
                }
            }
        }
        return out
    }

    static func compare(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Int { PathBytes.compare(a, b) }

    /// The first index whose path is not below `key` in byte order; with `prefixOnly`, paths are
    /// compared on their first `key.count` bytes only (the end of a run of paths with that prefix).
    func lowerBound(_ key: UnsafeRawBufferPointer, prefixOnly: Bool = false) -> Int {
        bytes.withUnsafeBytes { all in
            starts.withUnsafeBufferPointer { s in
                var lo = 0
                var hi = records.count
                while lo < hi {
                    let mid = (lo + hi) / 2
                    var p = UnsafeRawBufferPointer(rebasing: all[s[mid]..<s[mid + 1]])
                    if prefixOnly, p.count > key.count { p = UnsafeRawBufferPointer(rebasing: p[0..<key.count]) }
                    if ContextFiles.compare(p, key) < (prefixOnly ? 1 : 0) { lo = mid + 1 } else { hi = mid }
                }
                return lo
            }
        }
    }
}
