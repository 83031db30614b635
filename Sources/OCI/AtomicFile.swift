import Foundation

/// Writes that are all or nothing: temp file, fsync, rename, fsync of the directory. Every file
/// written whole (blobs, records, layouts, tars, config.json) goes through here.
public enum AtomicFile {
    public static func write(_ data: Data, to path: String, tempPath tmp: String, mode: mode_t = 0o644) throws {
        try write(to: path, tempPath: tmp, mode: mode) { writeAll($0, data) }
    }

    /// The same for a file written in pieces: `fill` writes to the descriptor and returns false
    /// (errno set) when a write failed.
    public static func write(to path: String, tempPath tmp: String, mode: mode_t = 0o644, _ fill: (Int32) throws -> Bool) throws {
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else { throw OCIError.io(tmp, String(cString: strerror(errno))) }
        var ok = false
        defer {
            close(fd)
            if !ok { unlink(tmp) }
        }
        guard try fill(fd), fsync(fd) == 0 else { throw OCIError.io(path, String(cString: strerror(errno))) }
        try commit(tempPath: tmp, to: path)
        ok = true
    }

    /// Writes every byte or reports failure (errno says why): a short write is retried, never
    /// taken for success.
    public static func writeAll(_ fd: Int32, _ bytes: some ContiguousBytes) -> Bool {
        bytes.withUnsafeBytes { buf in
            var off = 0
            while off < buf.count {
                let n = Foundation.write(fd, buf.baseAddress! + off, buf.count - off)
                if n < 0, errno == EINTR { continue }
                guard n > 0 else {
                    if n == 0 { errno = EIO }
                    return false
                }
                off += n
            }
            return true
        }
    }

    public static func commit(tempPath: String, to path: String) throws {
        guard rename(tempPath, path) == 0 else {
            let why = String(cString: strerror(errno))
            unlink(tempPath)
            throw OCIError.io(path, why)
        }
        let dir = (path as NSString).deletingLastPathComponent
        let dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if dfd >= 0 {
            fsync(dfd)
            close(dfd)
        }
    }
}
