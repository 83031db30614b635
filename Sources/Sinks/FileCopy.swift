import Foundation
import OCI

/// Copies a store blob into an output so the two never share an inode: an export that is edited,
/// chmod-ed or truncated later must not change the store.
enum FileCopy {
    /// Writes a new file at `dest` (which must not exist) with the bytes of `source`; errors name
    /// `shown` (the file the user will look for, not a temp name beside it).
    static func copy(_ source: String, to dest: String, shown: String? = nil) throws {
        let shown = shown ?? dest
        let src = open(source, O_RDONLY | O_CLOEXEC)
        guard src >= 0 else { throw ExportError.io(source, String(cString: strerror(errno))) }
        defer { close(src) }
        var st = stat()
        guard fstat(src, &st) == 0 else { throw ExportError.io(source, String(cString: strerror(errno))) }
        let dst = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard dst >= 0 else { throw ExportError.io(shown, SystemError.reason(errno)) }
        var ok = false
        defer {
            close(dst)
            if !ok { unlink(dest) }
        }
        do { try DescriptorCopy.copy(from: src, to: dst, size: Int(st.st_size)) } catch {
            switch error {
            case .shrank: throw ExportError.io(shown, "\(source) shrank while it was copied")
            case .system(let code): throw ExportError.io(shown, SystemError.reason(code))
            }
        }
        ok = true
    }
}
