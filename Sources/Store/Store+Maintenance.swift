import Foundation
import OCI

/// Size and verification.
extension Store {
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
}
