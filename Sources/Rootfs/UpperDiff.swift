import CArchive
import Foundation
import Layers
import OCI

/// What a step changed, read from an overlay's upper directory after it ran, as the entries of a
/// layer: files, directories and links as they are there (owners, modes, xattrs, hard links kept
/// together), deletions as whiteouts `.wh.NAME`, and a directory the overlay marked opaque as that
/// directory plus `.wh..wh..opq`. Mount points the runtime had to make (`stubs`: absent from the
/// root before the step) are left out when the step left them empty.
public enum UpperDiff {
    /// Who wrote the upper directory, which says how it marks deletions and opaque directories.
    public enum Form: Sendable {
        /// The kernel's overlayfs: a deletion is a character device 0/0, an opaque directory has
        /// `trusted.overlay.opaque=y`. A `.wh.` name there is a file the step made.
        case kernel
        /// fuse-overlayfs, which writes whatever its privileges allow: a deletion as the device
        /// (as root) or as an empty file `.wh.NAME`, an opaque directory as `trusted.overlay.opaque`,
        /// `user.fuseoverlayfs.opaque` or `user.overlay.opaque`, and always a `.wh..wh..opq` file
        /// inside it too. Its own bookkeeping attributes (`user.fuseoverlayfs.*`, `user.overlay.*`,
        /// `user.containers.*`) are hidden from the step, and so kept out of the layer.
        case fuse
    }

    static var opaqueKeys: [Form: [String]] { [
        .kernel: [OverlayMount.opaqueAttribute],
        .fuse: ["trusted.overlay.opaque", "user.fuseoverlayfs.opaque", "user.overlay.opaque"],
    ] }

    /// `lower` tells what the root held at a path before the step: a directory the overlay only
    /// copied up (to make a mount point in it, say), unchanged and with nothing new below, is left
    /// out, as containerd's overlay differ leaves it.
    public static func entries(upper: String, form: Form = .kernel, stubs: Set<PathBytes>,
                               lower: (PathBytes) -> RootfsEntry? = { _ in nil }) throws -> [LayerEntry] {
        var out = ChangeSet()
        let root = PathBytes(upper)
        // Returns whether anything below `rel` went into the layer.
        func walk(_ rel: PathBytes) throws -> Bool {
            let before = out.count
            for item in try listing(root.appending(rel), form: form) {
                let path = rel.appending(item.name)
                if item.deleted {
                    try out.whiteout(path)
                    continue
                }
                let full = root.appending(path)
                var st = stat()
                guard full.withCString({ lstat($0, &st) }) == 0 else {
                    throw RootfsError("/\(path.description.prefix(200)): \(String(cString: strerror(errno))) (a step's paths must fit in \(PATH_MAX) bytes)")
                }
                let xattrs = LayerXattrs.read(full) { keeps($0, form) }
                switch st.st_mode & S_IFMT {
                case S_IFDIR:
                    // An opaque directory hides what the stage had there; where it had nothing
                    // the mark says nothing (fuse-overlayfs marks every directory it makes).
                    let opaque = isOpaque(full, form: form) && lower(path) != nil
                    let at = try out.directory(path, st, xattrs: xattrs, opaque: opaque)
                    // A directory the runtime made for a mount point, or one only copied up, stays out
                    // unless the step put something in it or changed it.
                    if try !walk(path), !opaque {
                        let before = lower(path)
                        let unchanged = before.map { $0.kind == .directory && $0.mode == UInt32(st.st_mode) & 0o7777 && $0.uid == Int(st.st_uid) && $0.gid == Int(st.st_gid) } ?? false
                        if stubs.contains(path) || (unchanged && xattrs == nil) { out.drop(from: at) }
                    }
                case S_IFCHR where st.st_rdev == 0:
                    try out.whiteout(path)
                case S_IFREG:
                    if stubs.contains(path), st.st_size == 0 { continue }
                    try out.file(path, st, source: full, xattrs: xattrs)
                case S_IFLNK:
                    var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                    let n = full.withCString { readlink($0, &buf, buf.count - 1) }
                    guard n >= 0 else { throw RootfsError("/\(path): \(String(cString: strerror(errno)))") }
                    try out.symlink(path, st, target: PathBytes(buf[..<n].map { UInt8(bitPattern: $0) }), xattrs: xattrs)
                default:
                    // Devices, pipes and sockets a step made have no place in a layer here.
                    continue
                }
            }
            return out.count > before
        }
        _ = try walk("")
        return out.entries
    }

    /// The names of an upper directory in the order their entries go into the layer, each a name
    /// the step left or one it deleted (a whiteout, in the position of the name it deletes).
    static func listing(_ dir: PathBytes, form: Form) throws -> [(name: PathBytes, deleted: Bool)] {
        // Names need not be UTF-8: the directory is opened by its bytes.
        let fd = dir.withCString { open($0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        guard fd >= 0 else { throw RootfsError("\(dir): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var out: [(name: PathBytes, deleted: Bool)] = []
        let marker = Array(".wh.".utf8)
        for raw in FileTree.entries(fd) {
            guard form == .fuse, raw.starts(with: marker) else {
                out.append((PathBytes(raw), false))
                continue
            }
            // fuse-overlayfs's own markers: the opaque file (read with the directory), a whiteout
            // file, and the whiteout it writes for its marker's name.
            var st = stat()
            guard PathBytes(raw).withCString({ fstatat(fd, $0, &st, AT_SYMLINK_NOFOLLOW) }) == 0 else { continue }
            if st.st_mode & S_IFMT == S_IFREG, raw != Array(".wh..wh..opq".utf8) {
                out.append((PathBytes(Array(raw.dropFirst(marker.count))), true))
            }
        }
        return out.sorted { $0.name < $1.name }
    }

    static func keeps(_ key: String, _ form: Form) -> Bool {
        guard LayerXattrs.belongsInLayer(key) else { return false }
        return form == .kernel || !(key.hasPrefix("user.fuseoverlayfs.") || key.hasPrefix("user.containers."))
    }

    static func isOpaque(_ dir: PathBytes, form: Form) -> Bool {
        for key in opaqueKeys[form] ?? [] {
            var value: UInt8 = 0
            if dir.withCString({ lgetxattr($0, key, &value, 1) }) == 1, value == UInt8(ascii: "y") { return true }
        }
        var st = stat()
        return form == .fuse && dir.appending(".wh..wh..opq").withCString { lstat($0, &st) } == 0
    }
}
