import Foundation
import OCI

/// Copies a store blob into an output so the two never share an inode: an export that is edited,
/// chmod-ed or truncated later must not change the store. A reflink where the filesystem has them
/// (FICLONE: btrfs, XFS), else an in-kernel copy (sendfile), so bytes do not cross into this process.
enum FileCopy {
    /// FICLONE from linux/fs.h: _IOW(0x94, 9, int).
    static let ficlone: UInt = 0x4004_9409

    /// Writes a new file at `dest` (which must not exist) with the bytes of `source`; errors name
    /// `shown` (the file the user will look for, not a temp name beside it).
    static func copy(_ source: String, to dest: String, shown: String? = nil) throws {
        let shown = shown ?? dest
        let src = open(source, O_RDONLY | O_CLOEXEC)
        guard src >= 0 else { throw ExportError.io(source, String(cString: strerror(errno))) }
        defer { close(src) }
        let dst = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard dst >= 0 else { throw ExportError.io(shown, SystemError.reason(errno)) }
        var ok = false
        defer {
            close(dst)
            if !ok { unlink(dest) }
        }
        if ioctl(dst, ficlone, src) != 0 {
            var st = stat()
            guard fstat(src, &st) == 0 else { throw ExportError.io(source, String(cString: strerror(errno))) }
            var left = Int(st.st_size)
            while left > 0 {
                let n = sendfile(dst, src, nil, min(left, 1 << 30))
                if n < 0, errno == EINTR { continue }
                guard n > 0 else { throw ExportError.io(shown, n == 0 ? "\(source) shrank while it was copied" : SystemError.reason(errno)) }
                left -= n
            }
        }
        ok = true
    }
}
