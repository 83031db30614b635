import Foundation
import OCI

/// What one `Store` handle uses, where `cache prune` can see it (containerd's leases, kept as
/// files): `leases/ID` names every blob the handle has written or looked up, one digest a line,
/// and the process holds an flock on that file for as long as the lease lasts. The kernel drops
/// the lock when the process dies, kill -9 included, so prune tells a dead lease from a live one
/// without trusting a pid that may have been reused. Temp files are named after their lease.
final class Lease: @unchecked Sendable {
    private let root: String
    private let mutex = NSLock()
    private var id = ""
    private var fd: Int32 = -1
    /// The store lock, held shared from the moment a blob could not be written down (a full disk)
    /// until the lease ends: prune then waits instead of deleting what this lease uses.
    private var pin: Int32 = -1
    private var recorded = Set<Digest>()

    init(root: String) { self.root = root }

    deinit { end() }

    /// From this call on, prune keeps `d` (and what it references, for a manifest or an index).
    func record(_ d: Digest) {
        mutex.lock()
        defer { mutex.unlock() }
        guard !recorded.contains(d) else { return }
        begin()
        if pin < 0 {
            // Shared with other leases, exclusive of prune: the line is either read by a prune
            // that comes later, or the blob is looked up after that prune is done.
            do {
                try StoreLock.hold(root: root, exclusive: false) {
                    if !AtomicFile.writeAll(fd, Array((d.description + "\n").utf8)) { holdPin() }
                }
            } catch {
                holdPin()
            }
        }
        recorded.insert(d)
    }

    /// A fresh path under `tmp/` that prune leaves alone while this lease lives.
    func tempPath(_ hint: String) -> String {
        mutex.lock()
        defer { mutex.unlock() }
        begin()
        return "\(root)/tmp/\(id)-\(hint)-\(UUID().uuidString)"
    }

    /// Removes this lease's temp files and its record, and releases its locks.
    func end() {
        mutex.lock()
        defer { mutex.unlock() }
        guard !id.isEmpty else { return }
        let tmp = root + "/tmp"
        for name in (try? FileManager.default.contentsOfDirectory(atPath: tmp)) ?? [] where Lease.owner(ofTemp: name) == id {
            FileTree.removeTree("\(tmp)/\(name)")
        }
        if fd >= 0 {
            unlink("\(root)/leases/\(id)")
            close(fd)
        }
        if pin >= 0 { close(pin) }
        (id, fd, pin) = ("", -1, -1)
        recorded = []
    }

    /// Creates the lease file on first use, locked before prune can see it.
    private func begin() {
        guard id.isEmpty else { return }
        id = "\(getpid())-\(String(format: "%08x", UInt32.random(in: .min ... .max)))"
        let path = "\(root)/leases/\(id)"
        _ = try? StoreLock.hold(root: root, exclusive: false) {
            fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
            if fd >= 0, flock(fd, LOCK_EX | LOCK_NB) != 0 {
                close(fd)
                fd = -1
            }
        }
        if fd < 0 { holdPin() }
    }

    private func holdPin() {
        if pin < 0 { pin = (try? StoreLock.acquire(root: root, exclusive: false)) ?? -1 }
    }

    /// The lease a temp file belongs to: its name starts with the lease's id, `PID-HEX8-`.
    static func owner(ofTemp name: String) -> String? {
        let parts = name.split(separator: "-", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, Int32(parts[0]) != nil, parts[1].count == 8, parts[1].allSatisfy(\.isHexDigit) else { return nil }
        return "\(parts[0])-\(parts[1])"
    }

    /// The live leases and every blob they name; the files of dead leases are removed.
    /// Called by prune with the store lock held exclusive.
    /// A lease file that cannot be opened for another reason than being gone (or being a planted
    /// link) cannot be told dead: prune stops rather than delete what it may protect.
    static func live(root: String) throws -> (ids: Set<String>, digests: Set<Digest>) {
        let dir = root + "/leases"
        var ids = Set<String>()
        var digests = Set<Digest>()
        for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
            let path = "\(dir)/\(name)"
            let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
            guard fd >= 0 else {
                if errno == ENOENT { continue }
                if errno == ELOOP {
                    unlink(path)
                    continue
                }
                throw StoreError.io(path, String(cString: strerror(errno)) + "; nothing was pruned")
            }
            defer { close(fd) }
            if flock(fd, LOCK_SH | LOCK_NB) == 0 {
                unlink(path)
                continue
            }
            ids.insert(name)
            let text = String(decoding: FileHandle(fileDescriptor: fd, closeOnDealloc: false).readDataToEndOfFile(), as: UTF8.self)
            for line in text.split(separator: "\n") {
                if let d = try? Digest(parsing: String(line)) { digests.insert(d) }
            }
        }
        return (ids, digests)
    }
}
