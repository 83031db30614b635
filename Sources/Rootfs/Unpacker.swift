import CArchive
import Foundation
import Layers
import OCI

/// Unpacks layers, bottom first, into a directory as a container runtime would: each layer's
/// whiteouts and opaque directories remove what the layers below put there, then its entries are
/// written with their modes, times and (with `owners`, which takes root) owners. Names were cleaned
/// when listed; libarchive also refuses to write through a symbolic link, so an entry cannot land
/// outside the directory.
public enum Unpacker {
    public static func unpack(_ layers: [(path: String, name: String)], into dir: String, owners: Bool = geteuid() == 0) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // libarchive's link checks walk every element of the path it writes: the root itself must
        // hold no link.
        guard let real = realpath(dir, nil) else { throw RootfsError("\(dir): \(String(cString: strerror(errno)))") }
        let root = String(cString: real)
        free(real)
        let rootFD = try FileTree.open(root)
        defer { close(rootFD) }
        for layer in layers {
            let listing = try LayerReader.list(layer.path, name: layer.name)
            for gone in listing.whiteouts { remove(rootFD, gone, keepSelf: false) }
            for emptied in listing.opaque { remove(rootFD, emptied, keepSelf: true) }
            try extract(layer.path, name: layer.name, into: root, owners: owners)
        }
    }

    /// Deletes `path` below the root (or only what it holds). Every directory on the way is
    /// opened without following a link: a whiteout under a link removes nothing.
    static func remove(_ rootFD: Int32, _ path: PathBytes, keepSelf: Bool) {
        let parts = path.components.map(\.bytes)
        if keepSelf {
            guard let dir = try? FileTree.openDirectory(rootFD, parts, create: false) else { return }
            defer { close(dir) }
            for name in FileTree.entries(dir) { FileTree.remove(name, in: dir) }
            return
        }
        guard let last = parts.last, let parent = try? FileTree.openDirectory(rootFD, Array(parts.dropLast()), create: false) else { return }
        defer { close(parent) }
        FileTree.remove(last, in: parent)
    }

    /// Writes the layer's entries under `root`; `special` may take an entry first (a whiteout) and
    /// return true when it did. Without it, whiteouts are skipped (the caller applied them).
    static func extract(_ path: String, name: String, into root: String, owners: Bool = geteuid() == 0,
                        special: ((PathBytes) throws -> Bool)? = nil) throws {
        guard let disk = archive_write_disk_new() else { throw RootfsError("\(name): out of memory") }
        defer { archive_write_free(disk) }
        var flags = ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_XATTR | ARCHIVE_EXTRACT_UNLINK
            | ARCHIVE_EXTRACT_SECURE_SYMLINKS | ARCHIVE_EXTRACT_SECURE_NODOTDOT
        if owners { flags |= ARCHIVE_EXTRACT_OWNER }
        archive_write_disk_set_options(disk, flags)
        let prefix = PathBytes(root)
        var budget = UnpackBudget(root: root, name: name)
        try LayerReader.forEach(path, name: name) { archive, entry, clean in
            try budget.entry()
            if clean.isEmpty { return false }
            if let special { if try special(clean) { return false } } else if clean.lastComponent.hasPrefix(".wh.") { return false }
            prefix.appending(clean).withCString { archive_entry_copy_pathname(entry, $0) }
            if let hard = archive_entry_hardlink(entry) {
                guard let target = CleanPath.relative(PathBytes(cString: hard), above: .refuse) else {
                    throw RootfsError("\(name): the hard link \(clean) points out of the root")
                }
                prefix.appending(target).withCString { archive_entry_copy_hardlink(entry, $0) }
            }
            dropOverlayXattrs(entry, privileges: owners)
            guard archive_write_header(disk, entry) >= ARCHIVE_WARN else { throw failure(disk, name) }
            var buf: UnsafeRawPointer?
            var size = 0
            var offset: la_int64_t = 0
            while true {
                let rc = archive_read_data_block(archive, &buf, &size, &offset)
                if rc == ARCHIVE_EOF { break }
                guard rc >= ARCHIVE_WARN else { throw failure(archive, name) }
                try budget.write(size)
                guard archive_write_data_block(disk, buf, size, offset) >= ARCHIVE_WARN else { throw failure(disk, name) }
            }
            let finished = archive_write_finish_entry(disk)
            guard finished >= ARCHIVE_WARN else { throw failure(disk, name) }
            // An owner that cannot be given (without root: an ID beyond the user namespace's map) is
            // only a warning to libarchive, which leaves the file to the writer: a layer made over
            // it would then say root owns it.
            if owners, finished == ARCHIVE_WARN {
                var st = stat()
                let (uid, gid) = (archive_entry_uid(entry), archive_entry_gid(entry))
                if prefix.appending(clean).withCString({ lstat($0, &st) }) == 0, Int64(st.st_uid) != uid || Int64(st.st_gid) != gid {
                    throw RootfsError("\(name): /\(clean) belongs to \(uid):\(gid), an owner that cannot be given here (without root, owners go from 0 to the size of the user's ranges in /etc/subuid and /etc/subgid): grant larger ranges, or build as root")
                }
            }
            return false
        }
        guard archive_write_close(disk) >= ARCHIVE_WARN else { throw failure(disk, name) }
    }

    /// `trusted.*` attributes steer the kernel (overlayfs's redirects and opaque markers among
    /// them), and so do `user.overlay.*` for an overlay mounted in a user namespace: a layer's are
    /// not written to disk; the rest of user.* and security.* are. Files that do not keep their
    /// owners (`privileges` false: a directory output without root, where every file becomes the
    /// user's) lose setuid, setgid and file capabilities: an image's setuid-root program would
    /// otherwise become one that runs as the user for anyone on the machine.
    static func dropOverlayXattrs(_ entry: OpaquePointer, privileges: Bool) {
        if !privileges {
            archive_entry_set_perm(entry, archive_entry_perm(entry) & ~mode_t(0o6000))
        }
        guard archive_entry_xattr_reset(entry) > 0 else { return }
        var kept: [(String, [UInt8])] = []
        var dropped = false
        var name: UnsafePointer<CChar>?
        var value: UnsafeRawPointer?
        var size = 0
        while archive_entry_xattr_next(entry, &name, &value, &size) == ARCHIVE_OK {
            guard let name else { continue }
            let key = String(cString: name)
            if key.hasPrefix("trusted.") || key.hasPrefix("user.overlay.") || (!privileges && key == "security.capability") {
                dropped = true
                continue
            }
            kept.append((key, value.map { Array(UnsafeRawBufferPointer(start: $0, count: size)) } ?? []))
        }
        guard dropped else { return }
        archive_entry_xattr_clear(entry)
        for (key, bytes) in kept { bytes.withUnsafeBytes { archive_entry_xattr_add_entry(entry, key, $0.baseAddress, $0.count) } }
    }

    static func failure(_ a: OpaquePointer, _ name: String) -> RootfsError {
        RootfsError("\(name): \(LayerReader.message(a))")
    }
}
