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
        public var snapshots = 0
        public var snapshotBytes: Int64 = 0
        public var cacheMounts = 0
        public var cacheMountBytes: Int64 = 0
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
        for name in (try? FileManager.default.contentsOfDirectory(atPath: root + "/snapshots")) ?? [] {
            u.snapshots += 1
            u.snapshotBytes += Store.treeSize(root + "/snapshots/" + name)
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: root + "/cachemounts")) ?? [] where !name.hasSuffix(".lock") {
            u.cacheMounts += 1
            u.cacheMountBytes += Store.treeSize(root + "/cachemounts/" + name)
        }
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

    public struct VerifyResult: Sendable {
        public var checked = 0
        /// Blobs whose content does not match their name.
        public var corrupt: [Digest] = []
        /// Cache records removed, as "KEY: why", since a build would have reused their layer.
        public var removedRecords: [String] = []
    }

    /// Re-hashes every blob, then checks every cache record against the blob it names: a record
    /// whose layer is missing (and has no registry source), damaged or of another size is removed,
    /// so the next build makes the layer again instead of shipping what is there.
    public func verify() throws -> VerifyResult {
        var r = VerifyResult()
        let blobs = blobFiles()
        r.checked = blobs.count
        var sizes: [Digest: Int64] = [:]
        for (d, size) in blobs {
            if (try? Digest.sha256(fileAt: blobPath(d))) == d { sizes[d] = size } else { r.corrupt.append(d) }
        }
        let cacheDir = root + "/cache"
        for name in ((try? FileManager.default.contentsOfDirectory(atPath: cacheDir)) ?? []).sorted() {
            let path = "\(cacheDir)/\(name)"
            let why: String
            if let record = FileManager.default.contents(atPath: path).flatMap({ try? CanonicalJSON.decode(LayerRecord.self, from: $0) }) {
                let layer = record.descriptor
                if r.corrupt.contains(layer.digest) {
                    why = "its layer \(layer.digest) is corrupt"
                } else if let size = sizes[layer.digest] {
                    guard size != layer.size else { continue }
                    why = "its layer \(layer.digest) is \(size) bytes, the record says \(layer.size)"
                } else if blobExists(layer.digest) || !sources(of: layer.digest).isEmpty {
                    continue
                } else {
                    why = "its layer \(layer.digest) is missing"
                }
            } else {
                why = "it is not a cache record"
            }
            if unlink(path) == 0 { r.removedRecords.append("\(name.replacingOccurrences(of: ".json", with: "")): \(why)") }
        }
        return r
    }
}
