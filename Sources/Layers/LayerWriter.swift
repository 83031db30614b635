import CArchive
import Foundation
import OCI

/// What writing a layer produced.
public struct WrittenLayer: Sendable {
    /// The digest of the _uncompressed_ tar: the image config's diff_id.
    public var diffID: Digest
    /// The digest of the compressed blob: what manifests and registries name.
    public var digest: Digest
    public var size: Int64
    public var uncompressedSize: Int64
    public var mediaType: String
}

/// Writes entries as a reproducible tar (libarchive, pax where needed, ustar otherwise) straight
/// into the compressing sink: file -> tar -> SHA-256 -> compressor -> SHA-256 -> file, one pass.
public struct LayerWriter: Sendable {
    public var compression: Compression
    /// Every mtime in the layer (SOURCE_DATE_EPOCH, else 0), so equal inputs give equal digests.
    public var epoch: Int

    public init(compression: Compression = .default, epoch: Int = 0) {
        self.compression = compression
        self.epoch = epoch
    }

    /// Writes `entries` to a new file at `path`, fsynced before it returns. Relative sources are
    /// read from under `sourceRoot` (the build context).
    public func write(_ entries: [LayerEntry], sourceRoot: String = "/", to path: String) throws -> WrittenLayer {
        func resolve(_ source: PathBytes) -> PathBytes { source.hasPrefix("/") ? source : PathBytes(sourceRoot).appending(source) }
        let previousLocale = uselocale(TarStream.locale(for: entries))
        defer { uselocale(previousLocale) }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw LayerError.io(path, errnoString()) }
        defer { close(fd) }
        let sink = CompressingSink(fd: fd, path: path, compression: compression)
        let tar = TarStream(sink: sink)
        do {
            try tar.open()
            let copier = FileCopier()
            for entry in entries {
                if case .archive(let source, let chown) = entry.kind {
                    try ArchiveSplicer(archivePath: resolve(source), under: entry.path, epoch: epoch,
                                       uid: chown ? (entry.uid, entry.gid) : nil).splice(into: tar)
                } else if case .file(let source, let size) = entry.kind {
                    var e = entry
                    e.kind = .file(source: resolve(source), size: size)
                    try tar.writeEntry(e, epoch: epoch, copier: copier)
                } else {
                    try tar.writeEntry(entry, epoch: epoch, copier: copier)
                }
            }
            try tar.close()
        } catch {
            tar.abort()
            sink.abandon()
            throw error
        }
        tar.free()
        let (diffID, digest) = try sink.finish()
        guard fsync(fd) == 0 else { throw LayerError.io(path, errnoString()) }
        return WrittenLayer(diffID: diffID, digest: digest, size: sink.compressedSize,
                            uncompressedSize: sink.uncompressedSize, mediaType: compression.mediaType)
    }
}

/// A libarchive writer whose output goes to a `CompressingSink`.
final class TarStream {
    // Created once and never changed or freed, so sharing them between threads is safe.
    nonisolated(unsafe) static let utf8Locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", nil)
    nonisolated(unsafe) static let cLocale = newlocale(LC_CTYPE_MASK, "C", nil)

    /// The locale a layer is written under, for the calling thread only: libarchive converts names
    /// from it to the UTF-8 of pax records, and stores a name that does not convert as its own
    /// bytes (hdrcharset=BINARY). Under C.UTF-8 a UTF-8 name is stored as GNU tar and BuildKit store
    /// it, and any other name as its bytes, except that libarchive would join a UTF-16 surrogate
    /// pair written as UTF-8 (CESU-8) into one character; under C every name that is not ASCII
    /// keeps its bytes. So: C for a layer with such a name or an archive's names, C.UTF-8 otherwise.
    static func locale(for entries: [LayerEntry]) -> locale_t? {
        func surrogate(_ name: PathBytes) -> Bool {
            zip(name.bytes, name.bytes.dropFirst()).contains { $0 == 0xed && $1 >= 0xa0 && $1 <= 0xbf }
        }
        let needsC = entries.contains { e in
            switch e.kind {
            case .archive: return true
            case .symlink(let t), .hardlink(let t): return surrogate(e.path) || surrogate(t)
            case .file, .directory: return surrogate(e.path)
            }
        }
        return needsC ? cLocale : utf8Locale ?? cLocale
    }
    let sink: CompressingSink
    private(set) var archive: OpaquePointer?
    var sinkError: Error?

    init(sink: CompressingSink) {
        self.sink = sink
        archive = archive_write_new()
    }

    func open() throws {
        archive_write_set_format_pax_restricted(archive)
        // No blocking and no padding of the last block: the tar ends with its two zero records.
        archive_write_set_bytes_per_block(archive, 0)
        archive_write_set_bytes_in_last_block(archive, 1)
        let me = Unmanaged.passUnretained(self).toOpaque()
        let rc = archive_write_open(archive, me, nil, { _, client, buffer, length in
            let me = Unmanaged<TarStream>.fromOpaque(client!).takeUnretainedValue()
            do {
                try me.sink.append(UnsafeRawBufferPointer(start: buffer, count: length))
                return la_ssize_t(length)
            } catch {
                me.sinkError = error
                return -1
            }
        }, nil)
        try check(rc, "tar")
    }

    func check(_ rc: Int32, _ what: String) throws {
        if rc == ARCHIVE_OK || rc == ARCHIVE_WARN { return }
        if let sinkError { throw sinkError }
        let msg = archive_error_string(archive).map { String(cString: $0) } ?? "libarchive error \(rc)"
        throw LayerError.archive(what, msg)
    }

    func writeHeader(_ entry: OpaquePointer, _ what: String) throws {
        try check(archive_write_header(archive, entry), what)
    }

    func writeData(_ buf: UnsafeRawBufferPointer, _ what: String) throws {
        let n = archive_write_data(archive, buf.baseAddress, buf.count)
        if n < 0 { try check(Int32(n), what) }
    }

    func writeEntry(_ e: LayerEntry, epoch: Int, copier: FileCopier) throws {
        let entry = archive_entry_new()!
        defer { archive_entry_free(entry) }
        // The names' own bytes. Given only a UTF-8 form (the _utf8 setters), libarchive converts it
        // to the locale's and, when that fails, writes the header from a null name.
        try TarStream.name(e.path, of: e.path) { archive_entry_copy_pathname(entry, $0) }
        archive_entry_set_perm(entry, mode_t(e.mode & 0o7777))
        archive_entry_set_uid(entry, la_int64_t(e.uid))
        archive_entry_set_gid(entry, la_int64_t(e.gid))
        archive_entry_set_mtime(entry, time_t(epoch), 0)
        for (key, value) in (e.xattrs ?? [:]).sorted(by: { $0.key < $1.key }) {
            value.withUnsafeBytes { archive_entry_xattr_add_entry(entry, key, $0.baseAddress, $0.count) }
        }
        let what = e.path.description
        switch e.kind {
        case .file(let source, let size):
            archive_entry_set_filetype(entry, IMAGECTL_AE_IFREG)
            archive_entry_set_size(entry, la_int64_t(size))
            try writeHeader(entry, what)
            try copier.copy(source, size: size, into: self)
        case .directory:
            archive_entry_set_filetype(entry, IMAGECTL_AE_IFDIR)
            try writeHeader(entry, what)
        case .symlink(let target):
            archive_entry_set_filetype(entry, IMAGECTL_AE_IFLNK)
            try TarStream.name(target, of: e.path) { archive_entry_copy_symlink(entry, $0) }
            try writeHeader(entry, what)
        case .hardlink(let target):
            archive_entry_set_filetype(entry, IMAGECTL_AE_IFREG)
            try TarStream.name(target, of: e.path) { archive_entry_copy_hardlink(entry, $0) }
            archive_entry_set_size(entry, 0)
            try writeHeader(entry, what)
        case .archive:
            preconditionFailure("archives are spliced by ArchiveSplicer")
        }
    }

    /// Passes a name to libarchive as a C string; a NUL inside would silently cut it short.
    static func name(_ name: PathBytes, of path: PathBytes, _ set: (UnsafePointer<CChar>) -> Void) throws {
        guard !name.bytes.contains(0) else { throw LayerError.archive(path.description, "a name holds a NUL byte, which no file name can") }
        name.withCString(set)
    }

    func close() throws {
        try check(archive_write_close(archive), "tar")
    }

    func free() {
        if let archive { archive_write_free(archive) }
        archive = nil
    }

    /// Drops the stream after a failure. Freeing it normally would first pad the open entry to its
    /// declared size: gigabytes of zeros through the compressor for an archive that lied about one.
    /// Once failed, closing skips that padding and frees the writer's output state, which
    /// libarchive 3.6 frees nowhere else.
    func abort() {
        if let archive {
            archive_write_fail(archive)
            archive_write_close(archive)
        }
        free()
    }
}

/// Copies file bytes into the tar with one reused buffer, and fails if a file changed size.
final class FileCopier {
    private let reader = FileReader()

    func copy(_ source: PathBytes, size: Int64, into tar: TarStream) throws {
        var remaining = size
        try reader.read(source) { chunk in
            guard Int64(chunk.count) <= remaining else { throw LayerError.changed(source.description) }
            try tar.writeData(chunk, source.description)
            remaining -= Int64(chunk.count)
        }
        if remaining != 0 { throw LayerError.changed(source.description) }
    }
}
