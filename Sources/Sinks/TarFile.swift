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
    /// Writes to a pipe (`.pipe`), with its own stall deadline.
    private var pipe: PipeWriter?

    /// Where an archive goes: a file (`-`: standard output), or a descriptor another writer owns
    /// (a loader's standard input), named in errors by `shown`.
    enum Target {
        case path(String)
        /// A pipe to a reader that may stop reading or go away (`PipeWriter` says which).
        case pipe(PipeWriter, shown: String)
    }

    convenience init(path: String) throws { try self.init(.path(path)) }

    init(_ target: Target) throws {
        switch target {
        case .path(let p):
            path = p
            tmp = p == "-" ? "" : p + ".tmp-\(getpid())"
        case .pipe(let writer, let shown):
            path = shown
            tmp = ""
            pipe = writer
        }
        archive = archive_write_new()
        archive_write_set_format_pax_restricted(archive)
        archive_write_set_bytes_in_last_block(archive, 1)
        // Every stored property is set, so deinit frees the archive when this throws.
        let opened: Int32
        switch target {
        case .path("-"): opened = archive_write_open_fd(archive, STDOUT_FILENO)
        case .path: opened = archive_write_open_filename(archive, tmp)
        case .pipe:
            opened = archive_write_open2(archive, Unmanaged.passUnretained(pipe!).toOpaque(), nil, { _, context, buffer, length in
                Unmanaged<PipeWriter>.fromOpaque(context!).takeUnretainedValue().write(buffer, length)
            }, nil, nil)
        }
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
            throw ExportError.io(path, pipe?.failure ?? archive_error_string(archive).map { String(cString: $0) } ?? "write failed")
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

/// libarchive's writer for a pipe: each write waits at most `stall` seconds for the reader to make
/// room, so a reader that stops reading without exiting cannot hang the build.
final class PipeWriter {
    let fd: Int32
    let stall: Double
    /// Why the last write failed, in words (libarchive's own error setter is variadic, out of Swift's reach).
    private(set) var failure: String?
    /// Whether it failed because the reader stopped reading while still there.
    private(set) var stalled = false

    /// Makes our end of the pipe non-blocking: a blocking write waits for room for all of its
    /// bytes, past any deadline, once poll has said there is room for some.
    init(fd: Int32, stall: Double) {
        self.fd = fd
        self.stall = stall
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    func write(_ buffer: UnsafeRawPointer?, _ length: Int) -> Int {
        var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
        while true {
            let ready = poll(&p, 1, Int32(stall * 1000))
            if ready < 0, errno == EINTR { continue }
            if ready == 0 {
                failure = "stopped reading its input for \(Int(stall)) s"
                stalled = true
                return -1
            }
            let n = Glibc.write(fd, buffer, length)
            if n < 0, errno == EINTR || errno == EAGAIN { continue }
            if n < 0 { failure = errno == EPIPE ? "exited before it had read the whole image" : SystemError.reason(errno) }
            return n
        }
    }
}

public enum ExportError: Error, CustomStringConvertible {
    case io(String, String)
    case badOutput(String, String)
    /// `--load`: no loader, or the loader failed.
    case load(String)

    public var description: String {
        switch self {
        case .io(let p, let why): return "\(p): \(why)"
        case .badOutput(let spec, let why): return "--output \(spec): \(why)"
        case .load(let why): return "--load: \(why)"
        }
    }
}
