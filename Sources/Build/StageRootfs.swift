import Foundation
import Layers
import OCI
import Publish
import Registry
import Rootfs
import Store

/// The filesystems of stages, made from their layers on demand: a layer is downloaded (when the
/// store only knows where it lives), read and indexed once per digest, ever; a stack of layers is
/// assembled once per build. A FROM followed only by config steps never gets here, so it still
/// downloads nothing.
final class StageRootfs: @unchecked Sendable {
    let store: Store
    let registries: Registries?
    private let lock = NSLock()
    private var listings: [Digest: LayerListing] = [:]
    private var stacks: [[Digest]: StageFilesystem] = [:]

    init(store: Store, registries: Registries?) {
        self.store = store
        self.registries = registries
    }

    /// The filesystem the layers make, bottom first.
    func filesystem(_ layers: [Descriptor]) throws -> StageFilesystem {
        let key = layers.map(\.digest)
        lock.lock()
        let made = stacks[key]
        lock.unlock()
        if let made { return made }
        var fs = StageFilesystem()
        for l in layers { fs.apply(try listing(l)) }
        lock.lock()
        stacks[key] = fs
        lock.unlock()
        return fs
    }

    /// One layer's listing: from memory, from the store's index, or read from the blob.
    func listing(_ layer: Descriptor) throws -> LayerListing {
        lock.lock()
        let known = listings[layer.digest]
        lock.unlock()
        if let known { return known }
        let listing: LayerListing
        if let data = store.layerIndex(layer.digest), let decoded = LayerIndex.decode(data) {
            listing = decoded
        } else {
            try ensureBlob(layer)
            listing = try LayerReader.list(store.blobPath(layer.digest), name: "layer \(layer.digest.hex.prefix(12))")
            store.putLayerIndex(LayerIndex.encode(listing), for: layer.digest)
        }
        lock.lock()
        listings[layer.digest] = listing
        lock.unlock()
        return listing
    }

    /// A layer this build made: its listing is known from the entries it was written from, so
    /// later steps of the stage need not read it back. An ADD of an archive is read when asked.
    func remember(_ entries: [LayerEntry], as layer: Digest) {
        var listing = LayerListing()
        for e in entries {
            var r = RootfsEntry(path: e.path, kind: .directory, mode: e.mode, uid: e.uid, gid: e.gid)
            switch e.kind {
            case .file(_, let size): r.kind = .file; r.size = size
            case .directory: break
            case .symlink(let target): r.kind = .symlink; r.link = target
            case .hardlink(let target): r.kind = .hardlink; r.link = target
            case .archive: return
            }
            listing.entries.append(r)
        }
        lock.lock()
        listings[layer] = listings[layer] ?? listing
        lock.unlock()
    }

    /// The users and groups of the filesystem the layers make, from its /etc/passwd and /etc/group.
    func accounts(_ layers: [Descriptor]) throws -> Accounts {
        let fs = try filesystem(layers)
        return Accounts(passwd: try contents(of: "etc/passwd", fs: fs, layers: layers),
                        group: try contents(of: "etc/group", fs: fs, layers: layers))
    }

    /// A small file's bytes as the stack shows it: from the topmost layer that holds it.
    func contents(of path: PathBytes, fs: StageFilesystem, layers: [Descriptor]) throws -> Data? {
        guard let real = try? fs.resolve(path), real.entry?.kind == .file else { return nil }
        for layer in layers.reversed() {
            let l = try listing(layer)
            if l.entries.contains(where: { $0.path == real.path && $0.kind == .file }) {
                try ensureBlob(layer)
                return try LayerReader.contents(of: real.path, in: store.blobPath(layer.digest),
                                                name: "layer \(layer.digest.hex.prefix(12))", limit: Accounts.maxBytes)
            }
        }
        return nil
    }

    /// The layer's blob in the store, downloaded first when only its source is known.
    func blobPath(_ layer: Descriptor) throws -> String {
        try ensureBlob(layer)
        return store.blobPath(layer.digest)
    }

    private func ensureBlob(_ layer: Descriptor) throws {
        guard !store.hasBlob(layer.digest) else { return }
        guard let registries else { throw StoreError.missingBlob(layer.digest) }
        try registries.fetch(layer, store: store)
    }
}
