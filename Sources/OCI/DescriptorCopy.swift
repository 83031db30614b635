import Foundation

/// Bytes from one open file into another, without sharing an inode and without the bytes crossing
/// into this process: a reflink where the filesystem has them (FICLONE: btrfs, XFS), else an
/// in-kernel copy (sendfile).
public enum DescriptorCopy {
    /// FICLONE from linux/fs.h: _IOW(0x94, 9, int).
    static let ficlone: UInt = 0x4004_9409

    public enum Failure: Error {
        /// The source ended before `size` bytes.
        case shrank
        case system(Int32)
    }

    /// Fills `dst` (empty, open for writing) with the `size` bytes of `src`.
    public static func copy(from src: Int32, to dst: Int32, size: Int) throws(Failure) {
        if size == 0 || ioctl(dst, ficlone, src) == 0 { return }
        var left = size
        while left > 0 {
            let n = sendfile(dst, src, nil, min(left, 1 << 30))
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { throw n == 0 ? .shrank : .system(errno) }
            left -= n
        }
    }
}
