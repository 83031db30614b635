import CArchive
import Foundation
import OCI

/// A plain tar file written with libarchive, for image archives: regular files only, fixed owner
/// and mtime, written to a temp name and renamed into place when complete; `-` is standard
/// output (`imagectl build -o type=docker,dest=- . | docker load`).
final class TarFile {
    private let archive: OpaquePointer
    private let path: String
    private let tmp: String
    private var finished = false

    init(path: String) throws {
        self.path = path
        tmp = path == "-" ? "" : path + ".tmp-\(getpid())"
        archive = archive_write_new()
        archive_write_set_format_pax_restricted(archive)
        archive_write_set_bytes_in_last_block(archive, 1)
        // Every stored property is set, so deinit frees the archive when this throws.
        let opened = path == "-" ? archive_write_open_fd(archive, STDOUT_FILENO) : archive_write_open_filename(archive, tmp)
        guard opened == ARCHIVE_OK else {
            let code = archive_errno(archive)
            let why = code > 0 ? String(cString: strerror(code)) : archive_error_string(archive).map { String(cString: $0) } ?? "cannot be written"
            throw ExportError.io(path, why + " (the directory it goes in must exist and be writable)")
        }
    }

    deinit {
        if !finished {
            archive_write_free(archive)
            if !tmp.isEmpty { unlink(tmp) }
        }
    }

    private func header(_ name: String, size: Int64, directory: Bool = false) throws {
        let e = archive_entry_new()!
        defer { archive_entry_free(e) }
        archive_entry_set_pathname_utf8(e, name)
        archive_entry_set_filetype(e, directory ? IMAGECTL_AE_IFDIR : IMAGECTL_AE_IFREG)
        archive_entry_set_perm(e, directory ? 0o755 : 0o644)
        archive_entry_set_size(e, directory ? 0 : la_int64_t(size))
        archive_entry_set_mtime(e, 0, 0)
        try check(archive_write_header(archive, e))
    }

    private func check(_ rc: Int32) throws {
        guard rc == ARCHIVE_OK || rc == ARCHIVE_WARN else {
            throw ExportError.io(path, archive_error_string(archive).map { String(cString: $0) } ?? "write failed")
        }
    }

    func addDirectory(_ name: String) throws { try header(name, size: 0, directory: true) }

    func add(_ name: String, data: Data) throws {
        try header(name, size: Int64(data.count))
        try data.withUnsafeBytes { buf in
            if buf.count > 0, archive_write_data(archive, buf.baseAddress, buf.count) < 0 { try check(ARCHIVE_FATAL) }
        }
    }

    /// Streams a file into the archive with a bounded buffer.
    func add(_ name: String, file: String) throws {
        var st = stat()
        guard stat(file, &st) == 0 else { throw ExportError.io(file, String(cString: strerror(errno))) }
        try header(name, size: Int64(st.st_size))
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw ExportError.io(file, String(cString: strerror(errno))) }
        defer { close(fd) }
        let buf = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)
        defer { buf.deallocate() }
        var remaining = Int64(st.st_size)
        while remaining > 0 {
            let n = read(fd, buf.baseAddress, min(buf.count, Int(remaining)))
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw ExportError.io(file, "changed while it was being archived") }
            if archive_write_data(archive, buf.baseAddress, n) < 0 { try check(ARCHIVE_FATAL) }
            remaining -= Int64(n)
        }
    }

    /// Completes the archive and moves it into place.
    func finish() throws {
        try check(archive_write_close(archive))
        archive_write_free(archive)
        finished = true
        if tmp.isEmpty { return }
        let fd = open(tmp, O_RDONLY | O_CLOEXEC)
        if fd >= 0 { fsync(fd); close(fd) }
        try AtomicFile.commit(tempPath: tmp, to: path)
    }
}

public enum ExportError: Error, CustomStringConvertible {
    case io(String, String)
    case badOutput(String, String)

    public var description: String {
        switch self {
        case .io(let p, let why): return "\(p): \(why)"
        case .badOutput(let spec, let why): return "--output \(spec): \(why)"
        }
    }
}
