import CArchive
import Foundation
import Layers
import OCI

/// What a step changed, read from the overlay's upper directory after it ran, as the entries of
/// a layer: files, directories and links as they are there (owners, modes, xattrs, hard links
/// kept together), a character device 0/0 as the whiteout `.wh.NAME`, and a directory overlayfs
/// marked opaque as that directory plus `.wh..wh..opq`. Mount points the runtime had to make
/// (`stubs`: absent from the root before the step) are left out when the step left them empty.
public enum UpperDiff {
    /// Entries a layer may hold from one step: a bound, not a limit anyone should meet.
    public static let maxEntries = 2_000_000

    /// `lower` tells what the root held at a path before the step: a directory overlayfs only
    /// copied up (to make a mount point in it, say), unchanged and with nothing new below, is left
    /// out, as containerd's overlay differ leaves it.
    public static func entries(upper: String, stubs: Set<PathBytes>, lower: (PathBytes) -> RootfsEntry? = { _ in nil }) throws -> [LayerEntry] {
        var out: [LayerEntry] = []
        var inodes: [[UInt64]: PathBytes] = [:]
        let root = PathBytes(upper)
        // Returns whether anything below `rel` went into the layer.
        func walk(_ rel: PathBytes) throws -> Bool {
            let before = out.count
            let names = try listNames(root.appending(rel))
            for name in names.sorted() {
                let path = rel.appending(name)
                let full = root.appending(path)
                var st = stat()
                guard full.withCString({ lstat($0, &st) }) == 0 else {
                    throw RootfsError("/\(path.description.prefix(200)): \(String(cString: strerror(errno))) (a step's paths must fit in \(PATH_MAX) bytes)")
                }
                // A name a layer reads as a whiteout cannot be a file in one.
                if name.bytes.starts(with: Array(".wh.".utf8)) {
                    throw RootfsError("the step made /\(path), and a layer cannot hold a name starting with .wh. (it means a deleted file)")
                }
                guard out.count < maxEntries else { throw RootfsError("the step changed more than \(maxEntries) files") }
                let mode = UInt32(st.st_mode) & 0o7777
                var e = LayerEntry(path: path, kind: .directory, mode: mode, uid: Int(st.st_uid), gid: Int(st.st_gid))
                e.xattrs = xattrs(full)
                switch st.st_mode & S_IFMT {
                case S_IFDIR:
                    let opaque = e.xattrs?.removeValue(forKey: OverlayMount.opaqueAttribute) != nil
                    if e.xattrs?.isEmpty == true { e.xattrs = nil }
                    let at = out.count
                    out.append(e)
                    if opaque {
                        out.append(LayerEntry(path: path.appending(".wh..wh..opq"), kind: .file(source: "/dev/null", size: 0), mode: 0))
                    }
                    // A directory the runtime made for a mount point, or one only copied up, stays out
                    // unless the step put something in it or changed it.
                    if try !walk(path), !opaque {
                        let before = lower(path)
                        let unchanged = before.map { $0.kind == .directory && $0.mode == e.mode && $0.uid == e.uid && $0.gid == e.gid } ?? false
                        if stubs.contains(path) || (unchanged && e.xattrs == nil) { out.remove(at: at) }
                    }
                case S_IFCHR where st.st_rdev == 0:
                    out.append(LayerEntry(path: rel.appending(PathBytes(Array(".wh.".utf8) + name.bytes)),
                                          kind: .file(source: "/dev/null", size: 0), mode: 0))
                case S_IFREG:
                    if stubs.contains(path), st.st_size == 0 { continue }
                    let id = [UInt64(st.st_dev), UInt64(st.st_ino)]
                    if st.st_nlink > 1, let first = inodes[id] {
                        e.kind = .hardlink(target: first)
                    } else {
                        if st.st_nlink > 1 { inodes[id] = path }
                        e.kind = .file(source: full, size: Int64(st.st_size))
                    }
                    out.append(e)
                case S_IFLNK:
                    var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                    let n = full.withCString { readlink($0, &buf, buf.count - 1) }
                    guard n >= 0 else { throw RootfsError("/\(path): \(String(cString: strerror(errno)))") }
                    e.kind = .symlink(target: PathBytes(buf[..<n].map { UInt8(bitPattern: $0) }))
                    e.mode = 0o777
                    out.append(e)
                default:
                    // Devices, pipes and sockets a step made have no place in a layer here.
                    continue
                }
            }
            return out.count > before
        }
        _ = try walk("")
        return out
    }

    static func listNames(_ dir: PathBytes) throws -> [PathBytes] {
        // Names need not be UTF-8: the directory is opened by its bytes.
        let fd = dir.withCString { open($0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        guard fd >= 0 else { throw RootfsError("\(dir): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        return FileTree.entries(fd).map(PathBytes.init)
    }

    /// The file's extended attributes that belong in a layer: security.* and user.* but overlayfs's
    /// own, and its opaque marker for the caller to turn into a whiteout.
    static func xattrs(_ path: PathBytes) -> [String: [UInt8]]? {
        var list = [CChar](repeating: 0, count: 64 << 10)
        let n = path.withCString { llistxattr($0, &list, list.count) }
        guard n > 0 else { return nil }
        var out: [String: [UInt8]] = [:]
        for raw in list[..<n].split(separator: 0) {
            let key = String(decoding: raw.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let opaque = key == OverlayMount.opaqueAttribute
            guard key.hasPrefix("security.") || (key.hasPrefix("user.") && !key.hasPrefix("user.overlay.")) || opaque else { continue }
            if key == "security.selinux" { continue }
            var value = [UInt8](repeating: 0, count: 64 << 10)
            let m = path.withCString { lgetxattr($0, key, &value, value.count) }
            guard m >= 0 else { continue }
            if opaque { if m == 1, value[0] == UInt8(ascii: "y") { out[key] = [] }; continue }
            out[key] = Array(value[..<m])
        }
        return out.isEmpty ? nil : out
    }
}
