import Foundation
import OCI

/// Reads files named by their path bytes in chunks through one buffer, never through a final
/// symlink: a context file swapped for a link after the walk is an error, not another file's bytes.
final class FileReader {
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 16)

    deinit { buffer.deallocate() }

    func read(_ path: PathBytes, _ chunk: (UnsafeRawBufferPointer) throws -> Void) throws {
        let fd = path.withCString { open($0, O_RDONLY | O_CLOEXEC | O_NOFOLLOW) }
        guard fd >= 0 else {
            // A socket cannot be opened: the context copies it as an empty file.
            var st = stat()
            if errno == ENXIO, path.withCString({ lstat($0, &st) }) == 0, st.st_mode & S_IFMT == S_IFSOCK { return }
            throw LayerError.io(path.description, errnoString())
        }
        defer { close(fd) }
        while true {
            let n = Foundation.read(fd, buffer.baseAddress, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw LayerError.io(path.description, errnoString())
            }
            if n == 0 { return }
            try chunk(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
    }

    /// The SHA-256 of a file's bytes.
    static func sha256(_ path: PathBytes) throws -> Digest {
        let h = SHA256()
        try FileReader().read(path) { h.update($0) }
        return h.finalize()
    }
}
