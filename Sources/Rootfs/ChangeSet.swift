import CArchive
import Foundation
import Layers

/// The entries of a step's layer, written the same way whichever snapshotter ran the step, so one
/// step gives one layer digest under kernel overlayfs, fuse-overlayfs or a copy: each directory's
/// names in byte order, a deleted name as `.wh.NAME` in its place, an opaque directory's marker
/// right after the directory, and of a file with several links the first path as the file and
/// the others as hard links to it.
struct ChangeSet {
    /// Entries a layer may hold from one step: a bound, not a limit anyone should meet.
    static let maxEntries = 2_000_000

    private(set) var entries: [LayerEntry] = []
    private var linked: [[UInt64]: PathBytes] = [:]

    var count: Int { entries.count }

    /// A directory; returns where it is, so that `drop(from:)` can take it out again when nothing
    /// below it went in and it only had to be there for what is below.
    mutating func directory(_ path: PathBytes, _ st: stat, xattrs: [String: [UInt8]]?, opaque: Bool) throws -> Int {
        let at = entries.count
        try append(entry(path, st, .directory, xattrs))
        if opaque { try append(LayerEntry(path: path.appending(".wh..wh..opq"), kind: .file(source: "/dev/null", size: 0), mode: 0), marker: true) }
        return at
    }

    /// A regular file whose bytes are at `source` (read when the layer is written).
    mutating func file(_ path: PathBytes, _ st: stat, source: PathBytes, xattrs: [String: [UInt8]]?) throws {
        let id = [UInt64(st.st_dev), UInt64(st.st_ino)]
        if st.st_nlink > 1, let first = linked[id] {
            try append(entry(path, st, .hardlink(target: first), xattrs))
            return
        }
        if st.st_nlink > 1 { linked[id] = path }
        try append(entry(path, st, .file(source: source, size: Int64(st.st_size)), xattrs))
    }

    mutating func symlink(_ path: PathBytes, _ st: stat, target: PathBytes, xattrs: [String: [UInt8]]?) throws {
        var e = entry(path, st, .symlink(target: target), xattrs)
        e.mode = 0o777
        try append(e)
    }

    /// `path` was deleted.
    mutating func whiteout(_ path: PathBytes) throws {
        try append(LayerEntry(path: path.parent.appending(PathBytes(Array(".wh.".utf8) + path.lastComponent.bytes)),
                              kind: .file(source: "/dev/null", size: 0), mode: 0), marker: true)
    }

    /// Takes out everything from `index` on (a directory that turned out to hold no change).
    mutating func drop(from index: Int) {
        entries.removeLast(entries.count - index)
    }

    private func entry(_ path: PathBytes, _ st: stat, _ kind: LayerEntry.Kind, _ xattrs: [String: [UInt8]]?) -> LayerEntry {
        var e = LayerEntry(path: path, kind: kind, mode: UInt32(st.st_mode) & 0o7777, uid: Int(st.st_uid), gid: Int(st.st_gid))
        e.xattrs = xattrs
        return e
    }

    private mutating func append(_ e: LayerEntry, marker: Bool = false) throws {
        // A name a layer reads as a whiteout cannot be a file in one.
        if !marker, e.path.lastComponent.hasPrefix(".wh.") {
            throw RootfsError("the step made /\(e.path), and a layer cannot hold a name starting with .wh. (it means a deleted file)")
        }
        guard entries.count < ChangeSet.maxEntries else { throw RootfsError("the step changed more than \(ChangeSet.maxEntries) files") }
        entries.append(e)
    }
}

/// Extended attributes as a layer keeps them.
enum LayerXattrs {
    /// security.* (SELinux labels aside: they belong to the host) and user.*, but user.overlay.*,
    /// which steers an overlay mounted in a user namespace as trusted.* does one outside: every
    /// snapshotter gives the same layer, and none hands a consumer's overlay a redirect.
    static func belongsInLayer(_ key: String) -> Bool {
        (key.hasPrefix("security.") && key != "security.selinux") || (key.hasPrefix("user.") && !key.hasPrefix("user.overlay."))
    }

    /// The attributes of the file at `path` (its last element not followed) that `keep` accepts.
    static func read(_ path: PathBytes, keep: (String) -> Bool) -> [String: [UInt8]]? {
        var list = [CChar](repeating: 0, count: 64 << 10)
        let n = path.withCString { llistxattr($0, &list, list.count) }
        guard n > 0 else { return nil }
        var out: [String: [UInt8]] = [:]
        var value = [UInt8](repeating: 0, count: 64 << 10)
        for raw in list[..<n].split(separator: 0) {
            let key = String(decoding: raw.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard keep(key) else { continue }
            let m = path.withCString { lgetxattr($0, key, &value, value.count) }
            guard m >= 0 else { continue }
            out[key] = Array(value[..<m])
        }
        return out.isEmpty ? nil : out
    }

    /// `name` in the open directory `dir` as a path the l*xattr calls take without following a
    /// link on the way: the directory is the descriptor's, only the last element is looked up.
    static func path(_ dir: Int32, _ name: [UInt8]) -> PathBytes {
        PathBytes("/proc/self/fd/\(dir)").appending(PathBytes(name))
    }
}
