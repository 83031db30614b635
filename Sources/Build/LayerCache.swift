import Foundation
import Layers
import OCI
import Store

/// Finds or makes the layer for a list of entries. The key is a digest of every input of the layer
/// (each entry's path, type, mode, owner and content digest, plus the compression and epoch) and of
/// nothing else, so a layer whose inputs do not depend on the platform has the same key on every
/// platform and is built once.
final class LayerCache {
    let store: Store
    let writer: LayerWriter
    let noCache: Bool
    /// Where entries' relative sources are read from: the build context.
    let sourceRoot: String
    private var memo: [Digest: LayerRecord] = [:]

    /// Every key this build used and the layer it stands for, for --cache-to.
    var used: [(key: Digest, record: LayerRecord)] {
        memo.map { ($0.key, $0.value) }.sorted { $0.key < $1.key }
    }

    init(store: Store, writer: LayerWriter, noCache: Bool, sourceRoot: String) {
        self.sourceRoot = sourceRoot
        self.store = store
        self.writer = writer
        self.noCache = noCache
    }

    func key(_ entries: [LayerEntry]) throws -> Digest {
        try LayerKey.digest(entries, compression: writer.compression, epoch: writer.epoch)
    }

    /// The layer for the key: remembered, cached, or written from the entries, which `prepare`
    /// may complete first (it runs only when the layer is written).
    /// A layer this build already made or found for the key.
    func remembered(_ key: Digest) -> LayerRecord? { memo[key] }

    /// Keeps what a key stands for, for this build's other platforms and for --cache-to.
    func note(_ key: Digest, _ record: LayerRecord) { memo[key] = record }

    func layer(_ entries: [LayerEntry], key: Digest,
               prepare: (([LayerEntry]) throws -> [LayerEntry])? = nil, fresh: Bool = false) throws -> (LayerRecord, LayerEvent.Outcome) {
        if let r = memo[key] { return (r, .shared) }
        if !noCache, !fresh, let r = store.cachedLayer(key: key) {
            memo[key] = r
            return (r, .cached)
        }
        let tmp = store.tempPath("layer")
        let written: WrittenLayer
        do {
            written = try writer.write(try prepare?(entries) ?? entries, sourceRoot: sourceRoot, to: tmp)
        } catch {
            unlink(tmp)
            throw error
        }
        try store.commitBlob(tempPath: tmp, digest: written.digest)
        let record = LayerRecord(descriptor: Descriptor(mediaType: written.mediaType, digest: written.digest, size: written.size),
                                 diffID: written.diffID)
        try store.recordLayer(key: key, record)
        memo[key] = record
        return (record, .built)
    }
}
