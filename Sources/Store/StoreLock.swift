import Foundation

/// The store's `lock` file. `cache prune` holds it exclusive while it marks and sweeps; a lease
/// holds it shared only for the instant it records a blob (or for good, when it cannot record), so
/// a blob is either recorded before prune looks or looked up again after prune is done.
enum StoreLock {
    /// An open, locked descriptor of `ROOT/lock`; closing it releases the lock.
    static func acquire(root: String, exclusive: Bool) throws -> Int32 {
        let path = root + "/lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StoreError.io(path, String(cString: strerror(errno))) }
        while flock(fd, exclusive ? LOCK_EX : LOCK_SH) != 0 {
            guard errno == EINTR else {
                let why = String(cString: strerror(errno))
                close(fd)
                throw StoreError.io(path, why)
            }
        }
        return fd
    }

    static func hold<T>(root: String, exclusive: Bool, _ body: () throws -> T) throws -> T {
        let fd = try acquire(root: root, exclusive: exclusive)
        defer { close(fd) }
        return try body()
    }
}
