import CArchive
import Foundation
import Layers
import OCI
import Processes
import Rootfs
import Store

/// `type=local,dest=DIR` (and `-o DIR`): the image's root filesystem unpacked into a directory;
/// with several platforms, one directory each (`linux_amd64`, `linux_arm64`), as buildx splits them.
/// Files keep the image's owners only for the machine's root: without root, in imagectl's user
/// namespace too, they are the user's, as buildx's client writes them, and the user can remove them.
public struct RootfsDirectorySink: ImageSink {
    public let path: String
    var owners = geteuid() == 0 && !UserNamespace.isInside

    public func write(_ image: Descriptor, from store: Store, names: [Reference]) throws {
        for (dir, layers) in try RootfsDirectorySink.platforms(image, store: store, under: path) {
            try Unpacker.unpack(layers, into: dir, owners: owners)
        }
    }

    /// Each platform's directory and layer blobs.
    static func platforms(_ image: Descriptor, store: Store, under path: String) throws -> [(String, [(path: String, name: String)])] {
        let images = try ImageView(image, source: store, name: "the image").images()
        return images.map { i in
            let p = i.descriptor.platform ?? i.config.platform
            let dir = images.count == 1 ? path : path + "/" + [p.os, p.architecture, p.variant].compactMap { $0 }.joined(separator: "_")
            return (dir, i.manifest.layers.map { (store.blobPath($0.digest), "layer \($0.digest.hex.prefix(12))") })
        }
    }
}

/// `type=tar,dest=FILE|-`: the root filesystem as one tar (platform directories inside it when
/// there are several), written from an unpacked copy that is removed afterwards.
public struct RootfsTarSink: ImageSink {
    public let path: String

    public func write(_ image: Descriptor, from store: Store, names: [Reference]) throws {
        let work = store.tempPath("rootfs")
        defer { try? FileManager.default.removeItem(atPath: work) }
        // The copy is the store's, removed below: it keeps the owners wherever they can be set.
        try RootfsDirectorySink(path: work, owners: geteuid() == 0).write(image, from: store, names: names)
        try RootfsTarSink.archive(work, to: path)
    }

    /// Writes the tree under `dir` as a tar at `path` (`-`: standard output), names relative to it.
    static func archive(_ dir: String, to path: String) throws {
        guard let out = archive_write_new(), let disk = archive_read_disk_new() else { throw ExportError.io(path, "out of memory") }
        defer {
            archive_write_free(out)
            archive_read_free(disk)
        }
        archive_write_set_format_pax_restricted(out)
        archive_write_set_bytes_in_last_block(out, 1)
        let tmp = path == "-" ? "" : path + ".tmp-\(getpid())"
        let opened = path == "-" ? archive_write_open_fd(out, STDOUT_FILENO) : archive_write_open_filename(out, tmp)
        guard opened == ARCHIVE_OK else { throw ExportError.io(path, ArchiveMessage.of(out)) }
        var committed = false
        defer { if !committed, !tmp.isEmpty { unlink(tmp) } }
        archive_read_disk_set_standard_lookup(disk)
        archive_read_disk_set_symlink_physical(disk)
        guard archive_read_disk_open(disk, dir) == ARCHIVE_OK else { throw ExportError.io(dir, ArchiveMessage.of(disk)) }
        let entry = archive_entry_new()
        defer { archive_entry_free(entry) }
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let rc = archive_read_next_header2(disk, entry)
            if rc == ARCHIVE_EOF { break }
            guard rc >= ARCHIVE_WARN else { throw ExportError.io(dir, ArchiveMessage.of(disk)) }
            archive_read_disk_descend(disk)
            let full = PathBytes(cString: archive_entry_pathname(entry))
            let relative = PathBytes(Array(full.bytes.dropFirst(dir.utf8.count).drop { $0 == 0x2f }))
            if relative.isEmpty { continue }
            relative.withCString { archive_entry_copy_pathname(entry, $0) }
            guard archive_write_header(out, entry) >= ARCHIVE_WARN else { throw ExportError.io(path, ArchiveMessage.of(out)) }
            if archive_entry_filetype(entry) == IMAGECTL_AE_IFREG {
                while true {
                    let n = buf.withUnsafeMutableBytes { archive_read_data(disk, $0.baseAddress, $0.count) }
                    if n == 0 { break }
                    guard n > 0 else { throw ExportError.io(dir, ArchiveMessage.of(disk)) }
                    guard buf.withUnsafeBytes({ archive_write_data(out, $0.baseAddress, n) }) >= 0 else {
                        throw ExportError.io(path, ArchiveMessage.of(out))
                    }
                }
            }
        }
        guard archive_write_close(out) == ARCHIVE_OK else { throw ExportError.io(path, ArchiveMessage.of(out)) }
        if !tmp.isEmpty { try AtomicFile.commit(tempPath: tmp, to: path) }
        committed = true
    }
}

enum ArchiveMessage {
    static func of(_ a: OpaquePointer) -> String { archive_error_string(a).map { String(cString: $0) } ?? "cannot be written" }
}
