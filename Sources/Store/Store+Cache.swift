import Foundation
import OCI

/// What one layer cache key produced: the layer's descriptor and its uncompressed digest.
public struct LayerRecord: Codable, Hashable, Sendable {
    public var descriptor: Descriptor
    public var diffID: Digest

    public init(descriptor: Descriptor, diffID: Digest) {
        self.descriptor = descriptor
        self.diffID = diffID
    }
}

extension Store {
    func cachePath(_ key: Digest) -> String { "\(root)/cache/\(key.hex).json" }

    /// The layer a key produced before, if its blob is in the store or known in a registry
    /// (a cache imported with --cache-from: fetched only if an export needs the bytes).
    public func cachedLayer(key: Digest) -> LayerRecord? {
        guard let data = FileManager.default.contents(atPath: cachePath(key)),
              let record = try? CanonicalJSON.decode(LayerRecord.self, from: data),
              hasBlob(record.descriptor.digest) || !sources(of: record.descriptor.digest).isEmpty else { return nil }
        return record
    }

    public func recordLayer(key: Digest, _ record: LayerRecord) throws {
        try writeAtomically(try CanonicalJSON.encode(record), to: cachePath(key))
    }

    /// Where the stat records of one build context live: one file per context directory.
    public func statCachePath(context: String) -> String {
        "\(root)/contexts/\(Digest.sha256(context).hex.prefix(32)).stat"
    }
}
