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

    /// The text is hashed as it is made, through a buffer of bounded size: a context of a million
    /// files would otherwise hold over 100 MB of it at once.
    func key(_ entries: [LayerEntry]) throws -> Digest {
        let hash = SHA256()
        var text: [UInt8] = []
        text.reserveCapacity(1 << 16)
        func flush() {
            text.withUnsafeBytes { hash.update($0) }
            text.removeAll(keepingCapacity: true)
        }
        func put(_ s: String) { text.append(contentsOf: s.utf8) }
        func put(_ p: PathBytes) { text.append(contentsOf: p.bytes) }
        // A negative number (none is made) has always been written as nothing: keys stay as they were.
        func put(_ n: Int) { if n >= 0 { text.appendDecimal(UInt64(n)) } }
        func putDigest(_ e: LayerEntry) throws {
            guard let d = e.contentDigest else { throw BuildError("\(e.path): no content digest") }
            if !d.appendSHA256Hex(to: &text) { put(d.hex) }
        }
        put("imagectl-layer-v1\n\(writer.compression)\n\(writer.epoch)\n")
        for e in entries {
            put(e.path)
            text.append(0)
            put(Int(e.mode))
            text.append(32)
            put(e.uid)
            text.append(32)
            put(e.gid)
            // " f ", " d", " l ", " h ", " a ": the kind, as bytes.
            func kind(_ letter: UInt8, _ more: Bool = true) {
                text.append(32)
                text.append(letter)
                if more { text.append(32) }
            }
            switch e.kind {
            case .file(_, let size):
                kind(102)
                put(Int(size))
                text.append(32)
                try putDigest(e)
            case .directory: kind(100, false)
            case .symlink(let target): kind(108); put(target)
            case .hardlink(let target): kind(104); put(target)
            case .archive(_, let chown): kind(chown ? 65 : 97); try putDigest(e)
            }
            text.append(10)
            if text.count >= 1 << 15 { flush() }
        }
        flush()
        return hash.finalize()
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
