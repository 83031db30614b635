import CArchive
import Foundation
import Layers

/// Reads a layer blob (tar, gzip or zstd) as a list of entries, and single files out of it, with
/// libarchive. A layer comes from a registry or a layout someone sent: names are cleaned and may
/// not climb out of the root, and the count of entries and the bytes read are bounded.
public enum LayerReader {
    /// Entries one layer may hold (a full distribution image has tens of thousands).
    public static let maxEntries = 2_000_000

    /// Files whose bytes a listing keeps: what `--chown` and `USER` by name read from a base, so
    /// the layer that holds them is not read a second time.
    public static let keptFiles: Set<PathBytes> = ["etc/passwd", "etc/group"]

    public static func list(_ path: String, name: String) throws -> LayerListing {
        var listing = LayerListing()
        try forEach(path, name: name) { archive, entry, clean in
            if keptFiles.contains(clean) {
                listing.kept[clean] = nil
                if archive_entry_filetype(entry) == IMAGECTL_AE_IFREG, archive_entry_hardlink(entry) == nil,
                   archive_entry_size(entry) <= Int64(LayerIndex.maxKept) {
                    listing.kept[clean] = try data(archive, name: name, limit: LayerIndex.maxKept)
                }
            }
            guard listing.entries.count + listing.whiteouts.count < maxEntries else {
                throw RootfsError("\(name): more than \(maxEntries) entries")
            }
            let base = clean.lastComponent
            let parent = clean.parent
            if base == ".wh..wh..opq" {
                listing.opaque.append(parent)
            } else if base.hasPrefix(".wh.") {
                let gone = base.dropFirst(4)
                guard !gone.isEmpty, gone != ".", gone != ".." else {
                    throw RootfsError("\(name): the whiteout \(clean) names no file; the layer is refused")
                }
                listing.whiteouts.append(parent.appending(gone))
            } else {
                listing.entries.append(try describe(entry, at: clean, name: name))
            }
            return false
        }
        return listing
    }

    /// The bytes of the regular file `file` in the layer, at most `limit` of them; nil when the
    /// layer has no such regular file.
    public static func contents(of file: PathBytes, in path: String, name: String, limit: Int) throws -> Data? {
        var found: Data?
        try forEach(path, name: name) { archive, entry, clean in
            guard clean == file else { return false }
            guard archive_entry_filetype(entry) == IMAGECTL_AE_IFREG else { return true }
            let size = archive_entry_size(entry)
            guard size >= 0, size <= Int64(limit) else { throw RootfsError("\(name): /\(file) is larger than \(limit) bytes") }
            found = try data(archive, name: name, limit: limit)
            return true
        }
        return found
    }

    /// The current entry's bytes, at most `limit` of them.
    static func data(_ archive: OpaquePointer, name: String, limit: Int) throws -> Data {
        var data = Data()
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = buf.withUnsafeMutableBytes { archive_read_data(archive, $0.baseAddress, $0.count) }
            if n == 0 { break }
            guard n > 0, data.count + n <= limit else { throw RootfsError("\(name): a damaged layer: \(message(archive))") }
            data.append(contentsOf: buf[0..<n])
        }
        return data
    }

    /// Walks the layer's entries with their cleaned names (a name that climbs out of the root
    /// refuses the layer); `body` may read the entry's data from the archive, and returns true to stop.
    static func forEach(_ path: String, name: String, _ body: (OpaquePointer, OpaquePointer, PathBytes) throws -> Bool) throws {
        guard let a = archive_read_new() else { throw RootfsError("\(name): out of memory") }
        defer { archive_read_free(a) }
        archive_read_support_filter_all(a)
        archive_read_support_format_tar(a)
        archive_read_support_format_gnutar(a)
        guard archive_read_open_filename(a, path, 1 << 16) == ARCHIVE_OK else {
            throw RootfsError("\(name): cannot be read as a layer: \(message(a))")
        }
        var entry: OpaquePointer?
        while true {
            let rc = archive_read_next_header(a, &entry)
            if rc == ARCHIVE_EOF { return }
            guard rc == ARCHIVE_OK || rc == ARCHIVE_WARN, let entry else {
                throw RootfsError("\(name): a damaged layer: \(message(a))")
            }
            guard let raw = archive_entry_pathname(entry) else { continue }
            guard let clean = CleanPath.relative(PathBytes(cString: raw), above: .refuse) else {
                throw RootfsError("\(name): the entry \(PathBytes(cString: raw)) climbs out of the root; the layer is refused")
            }
            if try body(a, entry, clean) { return }
        }
    }

    static func describe(_ entry: OpaquePointer, at path: PathBytes, name: String) throws -> RootfsEntry {
        let type = UInt32(archive_entry_filetype(entry))
        var e = RootfsEntry(path: path, kind: .other, mode: UInt32(archive_entry_perm(entry)) & 0o7777,
                            uid: Int(clamping: archive_entry_uid(entry)), gid: Int(clamping: archive_entry_gid(entry)),
                            size: max(0, archive_entry_size(entry)))
        if let hard = archive_entry_hardlink(entry) {
            e.kind = .hardlink
            e.link = CleanPath.relative(PathBytes(cString: hard), above: .refuse)
            guard e.link != nil else { throw RootfsError("\(name): the hard link \(path) points out of the root") }
        } else if type == IMAGECTL_AE_IFREG {
            e.kind = .file
        } else if type == IMAGECTL_AE_IFDIR {
            e.kind = .directory
        } else if type == IMAGECTL_AE_IFLNK {
            e.kind = .symlink
            e.link = archive_entry_symlink(entry).map { PathBytes(cString: $0) } ?? ""
        }
        return e
    }

    static func message(_ a: OpaquePointer) -> String {
        archive_error_string(a).map { String(cString: $0) } ?? "unknown error"
    }
}
