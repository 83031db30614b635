import Foundation
import OCI

/// A file a flag names for the build's results (--iidfile, --metadata-file). Written in place, as
/// buildx does, so /dev/stdout or a named pipe works too.
public struct ResultFile: Sendable {
    public let flag: String
    public let path: String

    public init(flag: String, path: String) {
        self.flag = flag
        self.path = path
    }

    /// Refuses a path that could not be written, before the build runs: a failure after a push
    /// would leave the tags moved and the job failed.
    public func check() throws {
        var st = stat()
        if stat(path, &st) == 0 {
            // It is there (a file, /dev/stdout, a pipe): written in place, so it must be writable;
            // its directory need not be.
            if st.st_mode & S_IFMT == S_IFDIR { throw failure(reason: SystemError.reason(EISDIR)) }
            guard access(path, W_OK) == 0 else { throw failure(reason: SystemError.reason(errno)) }
            return
        }
        let dir = (path as NSString).deletingLastPathComponent
        let parent = dir.isEmpty ? "." : dir
        guard stat(parent, &st) == 0 else { throw failure(reason: SystemError.reason(errno)) }
        guard st.st_mode & S_IFMT == S_IFDIR else { throw failure(reason: SystemError.reason(ENOTDIR)) }
        guard access(parent, W_OK | X_OK) == 0 else { throw failure(reason: SystemError.reason(errno)) }
    }

    public func write(_ data: Data) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure(reason: SystemError.reason(errno)) }
        let h = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        do { try h.write(contentsOf: data) } catch {
            // Half a digest reads as a digest: leave no file rather than part of one.
            var st = stat()
            if fstat(fd, &st) == 0, st.st_mode & S_IFMT == S_IFREG { unlink(path) }
            throw failure(reason: SystemError.foundation(error)?.reason ?? "cannot be written")
        }
    }

    private func failure(reason: String) -> PipelineError {
        PipelineError("\(flag) \(path): \(reason)")
    }
}
