import CArchive
import Foundation
import Layers

extension LayerReader {
    /// Writes the regular files of `wanted` that this layer holds to the paths `destination`
    /// names (created or replaced), and a hard link of `wanted` as a copy of the file it names.
    /// Called for each layer of a stack, bottom first, the last writer of a path is the layer on top.
    /// Returns the paths written.
    public static func extract(_ wanted: Set<PathBytes>, from path: String, name: String,
                               to destination: (PathBytes) -> String) throws -> Set<PathBytes> {
        var written: Set<PathBytes> = []
        try forEach(path, name: name) { archive, entry, clean in
            guard wanted.contains(clean) else { return false }
            let out = destination(clean)
            if let hard = archive_entry_hardlink(entry) {
                guard let target = CleanPath.relative(PathBytes(cString: hard), above: .refuse) else {
                    throw RootfsError("\(name): the hard link \(clean) points out of the root")
                }
                let source = destination(target)
                guard access(source, F_OK) == 0 else {
                    throw RootfsError("\(name): the hard link /\(clean) names /\(target), which was not read")
                }
                unlink(out)
                guard copyfile(source, out) else { throw RootfsError("\(out): \(String(cString: strerror(errno)))") }
                written.insert(clean)
                return false
            }
            guard archive_entry_filetype(entry) == IMAGECTL_AE_IFREG else { return false }
            unlink(out)
            let fd = open(out, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw RootfsError("\(out): \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            var buf: UnsafeRawPointer?
            var size = 0
            var offset: la_int64_t = 0
            var end: Int64 = 0
            while true {
                let rc = archive_read_data_block(archive, &buf, &size, &offset)
                if rc == ARCHIVE_EOF { break }
                guard rc >= ARCHIVE_WARN else { throw RootfsError("\(name): a damaged layer: \(message(archive))") }
                guard let buf, size > 0 else { continue }
                guard pwriteAll(fd, buf, size, offset) else { throw RootfsError("\(out): \(String(cString: strerror(errno)))") }
                end = max(end, Int64(offset) + Int64(size))
            }
            // A sparse file's hole at the end is not a block: the length comes from the header.
            guard ftruncate(fd, off_t(max(end, archive_entry_size(entry)))) == 0 else {
                throw RootfsError("\(out): \(String(cString: strerror(errno)))")
            }
            written.insert(clean)
            return false
        }
        return written
    }

    private static func pwriteAll(_ fd: Int32, _ buf: UnsafeRawPointer, _ size: Int, _ offset: la_int64_t) -> Bool {
        var done = 0
        while done < size {
            let n = pwrite(fd, buf + done, size - done, off_t(offset) + off_t(done))
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return false }
            done += n
        }
        return true
    }

    private static func copyfile(_ from: String, _ to: String) -> Bool {
        let input = open(from, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { return false }
        defer { close(input) }
        let output = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard output >= 0 else { return false }
        defer { close(output) }
        var buf = [UInt8](repeating: 0, count: 1 << 16)
        var at: la_int64_t = 0
        while true {
            let n = buf.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n >= 0 else { return false }
            if n == 0 { return true }
            guard buf.withUnsafeBytes({ pwriteAll(output, $0.baseAddress!, n, at) }) else { return false }
            at += la_int64_t(n)
        }
    }
}
