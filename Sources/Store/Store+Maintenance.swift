import Foundation
import OCI

/// Locking, size, verification and garbage collection.
extension Store {
    /// Builds and pushes hold the lock shared; prune holds it exclusive, so it never deletes
    /// a blob another process is about to reference.
    public func withLock<T>(exclusive: Bool, _ body: () throws -> T) throws -> T {
        let path = root + "/lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StoreError.io(path, String(cString: strerror(errno))) }
        defer { close(fd) }
        while flock(fd, exclusive ? LOCK_EX : LOCK_SH) != 0 {
            guard errno == EINTR else { throw StoreError.io(path, String(cString: strerror(errno))) }
        }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }

    public struct Usage: Sendable {
        public var blobs = 0
        public var blobBytes: Int64 = 0
        public var cacheRecords = 0
        public var images = 0
        public var tempFiles = 0
    }

    public func usage() -> Usage {
        var u = Usage()
        for (_, size) in blobFiles() {
            u.blobs += 1
            u.blobBytes += size
        }
        u.cacheRecords = ((try? FileManager.default.contentsOfDirectory(atPath: root + "/cache")) ?? []).count
        u.images = images().count
        u.tempFiles = ((try? FileManager.default.contentsOfDirectory(atPath: tmpDir)) ?? []).count
        return u
    }

    func blobFiles() -> [(Digest, Int64)] {
        let dir = root + "/blobs/sha256"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.compactMap { name in
            guard let d = try? Digest(parsing: "sha256:" + name) else { return nil }
            var st = stat()
            guard lstat("\(dir)/\(name)", &st) == 0 else { return nil }
            return (d, Int64(st.st_size))
        }
    }

    /// Re-hashes every blob; returns the digests whose content does not match their name.
    public func verify() throws -> (checked: Int, corrupt: [Digest]) {
        var corrupt: [Digest] = []
        let blobs = blobFiles()
        for (d, _) in blobs where (try? Digest.sha256(fileAt: blobPath(d))) != d {
            corrupt.append(d)
        }
        return (blobs.count, corrupt)
    }

    public struct PruneResult: Sendable {
        public var blobsRemoved = 0
        public var bytesFreed: Int64 = 0
        public var recordsRemoved = 0
        public var tempFilesRemoved = 0
    }

    /// Removes temp files, cache records whose blob is gone, and blobs nothing refers to.
    /// With `all`, the layer cache goes too and only what named images need stays.
    public func prune(all: Bool) throws -> PruneResult {
        try withLock(exclusive: true) {
            var r = PruneResult()
            for name in (try? FileManager.default.contentsOfDirectory(atPath: tmpDir)) ?? [] {
                if unlink("\(tmpDir)/\(name)") == 0 { r.tempFilesRemoved += 1 }
            }
            var keep = Set<Digest>()
            for image in images() {
                for d in (try? closure(of: image.descriptor)) ?? [image.descriptor] { keep.insert(d.digest) }
            }
            let cacheDir = root + "/cache"
            for name in (try? FileManager.default.contentsOfDirectory(atPath: cacheDir)) ?? [] {
                let path = "\(cacheDir)/\(name)"
                let record = FileManager.default.contents(atPath: path).flatMap { try? CanonicalJSON.decode(LayerRecord.self, from: $0) }
                if all || record == nil || !hasBlob(record!.descriptor.digest) {
                    if unlink(path) == 0 { r.recordsRemoved += 1 }
                } else if let record {
                    keep.insert(record.descriptor.digest)
                }
            }
            for (d, size) in blobFiles() where !keep.contains(d) {
                if unlink(blobPath(d)) == 0 {
                    r.blobsRemoved += 1
                    r.bytesFreed += size
                }
            }
            return r
        }
    }
}
