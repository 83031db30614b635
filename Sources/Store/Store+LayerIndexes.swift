import Foundation
import OCI

/// Listings of layers (what each holds, without contents), one per layer digest under
/// `indexes/`, so a base layer is read once ever. The bytes are opaque here; their reader checks them.
extension Store {
    func layerIndexPath(_ d: Digest) -> String { "\(root)/indexes/\(d.algorithm)-\(d.hex)" }

    public func layerIndex(_ d: Digest) -> Data? {
        FileManager.default.contents(atPath: layerIndexPath(d))
    }

    /// Best effort: an index that cannot be written is made again next time.
    public func putLayerIndex(_ data: Data, for d: Digest) {
        try? FileManager.default.createDirectory(atPath: root + "/indexes", withIntermediateDirectories: true,
                                                 attributes: [.posixPermissions: 0o700])
        try? AtomicFile.write(data, to: layerIndexPath(d), tempPath: tempPath("index"))
    }
}
