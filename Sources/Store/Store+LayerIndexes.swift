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
        putRecord(data, at: layerIndexPath(d))
    }

    /// Writes one of the small per-layer files whole, making its directory first; best effort.
    private func putRecord(_ data: Data, at path: String) {
        try? FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true,
                                                 attributes: [.posixPermissions: 0o700])
        try? AtomicFile.write(data, to: path, tempPath: tempPath("record"))
    }
}

/// The diffID each layer blob was found to have when it was first read, one per layer digest
/// under `diffids/`: a later build checks an image's claim against it without reading the layer again.
extension Store {
    func diffIDPath(_ d: Digest) -> String { "\(root)/diffids/\(d.algorithm)-\(d.hex)" }

    public func diffID(ofLayer d: Digest) -> Digest? {
        guard let data = FileManager.default.contents(atPath: diffIDPath(d)), data.count < 256 else { return nil }
        return try? Digest(parsing: String(decoding: data, as: UTF8.self))
    }

    /// Best effort, as the listings.
    public func putDiffID(_ diffID: Digest, ofLayer d: Digest) {
        putRecord(Data(diffID.description.utf8), at: diffIDPath(d))
    }
}
