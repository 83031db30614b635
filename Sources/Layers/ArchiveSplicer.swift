import CArchive
import Foundation

/// Copies the entries of a local tar archive (plain, gzip, bzip2, xz or zstd) into a layer under a
/// directory, as ADD unpacks it. Paths are cleaned and kept inside that directory; an entry that
/// would land outside it, a hard link that points outside, and device files are refused.
public struct ArchiveSplicer {
    let archivePath: PathBytes
    let under: PathBytes
    let epoch: Int
    let uid: (Int, Int)?

    /// Whether a file is a tar archive libarchive can read, which is how ADD decides to unpack it.
    public static func isArchive(_ path: PathBytes) -> Bool {
        guard let a = openReader(path) else { return false }
        defer { archive_read_free(a) }
        var entry: OpaquePointer?
        return archive_read_next_header(a, &entry) == ARCHIVE_OK
    }

    private static func openReader(_ path: PathBytes) -> OpaquePointer? {
        let a = archive_read_new()
        archive_read_support_filter_all(a)
        archive_read_support_format_tar(a)
        archive_read_support_format_gnutar(a)
        guard path.withCString({ archive_read_open_filename(a, $0, 1 << 16) }) == ARCHIVE_OK else {
            archive_read_free(a)
            return nil
        }
        return a
    }

    /// Resolves `.` and `..` lexically; nil when the path climbs above its root.
    static func clean(_ path: PathBytes) -> PathBytes? { CleanPath.relative(path, above: .refuse) }

    /// Linux's limits (PATH_MAX 4096, NAME_MAX 255): a longer name cannot be unpacked by any runtime,
    /// and a crafted header may carry megabytes of it.
    static func checkLength(_ path: PathBytes, _ archive: PathBytes, of entry: PathBytes? = nil) throws {
        let tooLong = path.bytes.count >= 4096 || path.components.contains { $0.bytes.count > 255 }
        guard tooLong else { return }
        let name = (entry ?? path).description
        let shown = name.count > 60 ? String(name.prefix(60)) + "…" : name
        throw LayerError.unsafeArchiveEntry(archive.description, shown, entry == nil ? "has a name longer than Linux allows (4096 bytes, 255 per component)"
                                                                                    : "is a symlink whose target is longer than Linux allows")
    }

    func rebased(_ p: PathBytes) -> PathBytes { under.appending(p) }

    func splice(into tar: TarStream) throws {
        guard let a = ArchiveSplicer.openReader(archivePath) else { throw LayerError.archive(archivePath.description, "cannot be read as an archive") }
        defer { archive_read_free(a) }
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var entry: OpaquePointer?
        // Symlinks this archive has made: an entry below one would be written through it by an
        // extractor that follows links, wherever the link points.
        var links = Set<PathBytes>()
        while true {
            let rc = archive_read_next_header(a, &entry)
            if rc == ARCHIVE_EOF { break }
            guard rc == ARCHIVE_OK || rc == ARCHIVE_WARN, let entry else {
                throw LayerError.archive(archivePath.description, archive_error_string(a).map { String(cString: $0) } ?? "unreadable")
            }
            // The name's bytes as the archive has them (the writer's C locale keeps them so).
            let name = archive_entry_pathname(entry).map { PathBytes(cString: $0) } ?? ""
            try ArchiveSplicer.checkLength(name, archivePath)
            guard let cleaned = ArchiveSplicer.clean(name) else {
                throw LayerError.unsafeArchiveEntry(archivePath.description, name.description, "climbs out of the destination with ..")
            }
            if let target = archive_entry_symlink(entry) { try ArchiveSplicer.checkLength(PathBytes(cString: target), archivePath, of: name) }
            // A hard link carries no file type in a tar header (libarchive reports 0): it is a
            // regular file's second name, as GNU tar, bsdtar and Python's tarfile all write it.
            if archive_entry_hardlink(entry) != nil, archive_entry_filetype(entry) == 0 {
                archive_entry_set_filetype(entry, UInt32(IMAGECTL_AE_IFREG))
            }
            let type = UInt32(archive_entry_filetype(entry))
            guard type == IMAGECTL_AE_IFREG || type == IMAGECTL_AE_IFDIR || type == IMAGECTL_AE_IFLNK else {
                throw LayerError.unsafeArchiveEntry(archivePath.description, name.description, "is a device, fifo or socket")
            }
            if cleaned.isEmpty, type != IMAGECTL_AE_IFDIR { continue }
            let parts = cleaned.components
            if parts.count > 1, let through = (1..<parts.count).lazy.map({ PathBytes(joining: parts[0..<$0]) }).first(where: links.contains) {
                throw LayerError.unsafeArchiveEntry(archivePath.description, name.description, "lies below the archive's symlink \(through), so it would be written through it")
            }
            if type == IMAGECTL_AE_IFLNK { links.insert(cleaned) } else { links.remove(cleaned) }
            try TarStream.name(rebased(cleaned), of: name) { archive_entry_copy_pathname(entry, $0) }
            if let link = archive_entry_hardlink(entry) {
                guard let target = ArchiveSplicer.clean(PathBytes(cString: link)) else {
                    throw LayerError.unsafeArchiveEntry(archivePath.description, name.description, "is a hard link that points outside the archive")
                }
                try TarStream.name(rebased(target), of: name) { archive_entry_copy_hardlink(entry, $0) }
            }
            archive_entry_set_mtime(entry, time_t(epoch), 0)
            archive_entry_unset_atime(entry)
            archive_entry_unset_ctime(entry)
            archive_entry_unset_birthtime(entry)
            archive_entry_xattr_clear(entry)
            archive_entry_set_uname(entry, nil)
            archive_entry_set_gname(entry, nil)
            if let (u, g) = uid {
                archive_entry_set_uid(entry, la_int64_t(u))
                archive_entry_set_gid(entry, la_int64_t(g))
            }
            try tar.writeHeader(entry, name.description)
            if type == IMAGECTL_AE_IFREG, archive_entry_size(entry) > 0, archive_entry_hardlink(entry) == nil {
                try buffer.withUnsafeMutableBytes { buf in
                    while true {
                        let n = archive_read_data(a, buf.baseAddress, buf.count)
                        if n == 0 { break }
                        if n < 0 { throw LayerError.archive(archivePath.description, archive_error_string(a).map { String(cString: $0) } ?? "truncated") }
                        try tar.writeData(UnsafeRawBufferPointer(rebasing: buf[0..<n]), name.description)
                    }
                }
            }
        }
    }
}
