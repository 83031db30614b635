import Foundation
import OCI

/// Garbage collection, as containerd does it: mark from the roots (named images, cache records,
/// live leases), then sweep the rest, with the store lock held exclusive so no lease can be
/// taken in between.
extension Store {
    public struct PruneResult: Sendable {
        public var blobsRemoved = 0
        public var bytesFreed: Int64 = 0
        public var recordsRemoved = 0
        public var tempFilesRemoved = 0
        public var snapshotsRemoved = 0
        public var cacheMountsRemoved = 0
    }

    /// Removes the temp files of dead leases, cache records whose blob is gone, and blobs nothing
    /// refers to. With `all`, the layer cache goes too and only what named images and live
    /// leases need stays.
    public func prune(all: Bool) throws -> PruneResult {
        try StoreLock.hold(root: root, exclusive: true) {
            var r = PruneResult()
            // A killed build's step may still be mounted in its temp directory: unmount before removing.
            releaseStaleMounts()
            let leases = try Lease.live(root: root)
            for name in (try? FileManager.default.contentsOfDirectory(atPath: tmpDir)) ?? [] {
                if let owner = Lease.owner(ofTemp: name), leases.ids.contains(owner) { continue }
                FileTree.removeTree("\(tmpDir)/\(name)")
                if access("\(tmpDir)/\(name)", F_OK) != 0 { r.tempFilesRemoved += 1 }
            }
            pruneSnapshots(live: leases.digests, all: all, into: &r)
            var roots = leases.digests
            for image in images() { roots.insert(image.descriptor.digest) }
            let cacheDir = root + "/cache"
            for name in (try? FileManager.default.contentsOfDirectory(atPath: cacheDir)) ?? [] {
                let path = "\(cacheDir)/\(name)"
                let record = FileManager.default.contents(atPath: path).flatMap { try? CanonicalJSON.decode(LayerRecord.self, from: $0) }
                if let record, !all, blobExists(record.descriptor.digest) {
                    roots.insert(record.descriptor.digest)
                } else if unlink(path) == 0 {
                    r.recordsRemoved += 1
                }
            }
            // Layer listings and checked diffIDs are kept for layers the store still knows of,
            // here or in a registry.
            for dir in [root + "/indexes", root + "/diffids"] {
                for name in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] {
                    let parts = name.split(separator: "-", maxSplits: 1)
                    let d = parts.count == 2 ? try? Digest(parsing: "\(parts[0]):\(parts[1])") : nil
                    if all || d == nil || (!blobExists(d!) && sources(of: d!).isEmpty) { unlink("\(dir)/\(name)") }
                }
            }
            let keep = reachable(from: roots)
            for (d, size) in blobFiles() where !keep.contains(d) {
                if unlink(blobPath(d)) == 0 {
                    r.blobsRemoved += 1
                    r.bytesFreed += size
                }
            }
            return r
        }
    }

    /// The roots and every blob they reference: an index's manifests, a manifest's config and
    /// layers. A lease names digests without media types, so references are read from the blob
    /// itself when it is small JSON.
    func reachable(from roots: Set<Digest>) -> Set<Digest> {
        var seen = roots
        var queue = Array(roots)
        while let d = queue.popLast() {
            for child in references(in: d) where seen.insert(child).inserted { queue.append(child) }
        }
        return seen
    }

    private struct Links: Decodable {
        struct Ref: Decodable { var digest: String }
        var manifests: [Ref]?
        var config: Ref?
        var layers: [Ref]?
    }

    private func references(in d: Digest) -> [Digest] {
        var st = stat()
        guard lstat(blobPath(d), &st) == 0, st.st_mode & S_IFMT == S_IFREG, st.st_size <= 4 << 20,
              let data = FileManager.default.contents(atPath: blobPath(d)), data.first == UInt8(ascii: "{"),
              let links = try? JSONDecoder().decode(Links.self, from: data) else { return [] }
        let refs = (links.manifests ?? []) + (links.config.map { [$0] } ?? []) + (links.layers ?? [])
        return refs.compactMap { try? Digest(parsing: $0.digest) }
    }
}
