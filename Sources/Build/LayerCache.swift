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
    private var memo: [Digest: LayerRecord] = [:]

    init(store: Store, writer: LayerWriter, noCache: Bool) {
        self.store = store
        self.writer = writer
        self.noCache = noCache
    }

    func key(_ entries: [LayerEntry], digest: (String) throws -> Digest) throws -> Digest {
        var text = "imagectl-layer-v1\n\(writer.compression)\n\(writer.epoch)\n"
        text.reserveCapacity(entries.count * 160)
        for e in entries {
            let detail: String
            switch e.kind {
            case .file(let source, let size): detail = "f \(size) \(try digest(source).hex)"
            case .directory: detail = "d"
            case .symlink(let target): detail = "l \(target)"
            case .hardlink(let target): detail = "h \(target)"
            case .archive(let source): detail = "a \(try digest(source).hex)"
            }
            text += "\(e.path)\u{0}\(String(e.mode, radix: 8)) \(e.uid) \(e.gid) \(detail)\n"
        }
        return Digest.sha256(text)
    }

    func layer(_ entries: [LayerEntry], key: Digest) throws -> (LayerRecord, LayerEvent.Outcome) {
        if let r = memo[key] { return (r, .shared) }
        if !noCache, let r = store.cachedLayer(key: key) {
            memo[key] = r
            return (r, .cached)
        }
        let tmp = store.tempPath("layer")
        let written: WrittenLayer
        do {
            written = try writer.write(entries, to: tmp)
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
