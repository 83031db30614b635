import CArchive
import Foundation
import OCI

extension LayerReader {
    /// The digest of the layer's uncompressed tar stream: what an image config's diffIDs claim
    /// for it. containerd and BuildKit check that claim when they unpack a layer; so does imagectl.
    public static func diffID(_ path: String, name: String) throws -> Digest {
        guard let a = archive_read_new() else { throw RootfsError("\(name): out of memory") }
        defer { archive_read_free(a) }
        archive_read_support_filter_all(a)
        archive_read_support_format_raw(a)
        guard archive_read_open_filename(a, path, 1 << 16) == ARCHIVE_OK else {
            throw RootfsError("\(name): cannot be read as a layer: \(message(a))")
        }
        var entry: OpaquePointer?
        guard archive_read_next_header(a, &entry) == ARCHIVE_OK else {
            throw RootfsError("\(name): cannot be read as a layer: \(message(a))")
        }
        let hash = SHA256()
        var buf: UnsafeRawPointer?
        var size = 0
        var offset: Int64 = 0
        while true {
            let rc = archive_read_data_block(a, &buf, &size, &offset)
            if rc == ARCHIVE_EOF { return hash.finalize() }
            guard rc >= ARCHIVE_WARN else { throw RootfsError("\(name): a damaged layer: \(message(a))") }
            if let buf, size > 0 { hash.update(UnsafeRawBufferPointer(start: buf, count: size)) }
        }
    }
}
