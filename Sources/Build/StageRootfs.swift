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
    private var indexes: [Digest: LayerIndex] = [:]
    /// The entries of layers this build wrote, indexed only if a later step looks at them.
    private var written: [Digest: [LayerEntry]] = [:]
    private var stacks: [[Digest]: StageFilesystem] = [:]
    /// What images' configs say each layer's uncompressed digest is, checked once the layer is read.
    private var claims: [Digest: [(diffID: Digest, image: String)]] = [:]

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
        for l in layers { fs.apply(try index(l)) }
        lock.lock()
        stacks[key] = fs
        lock.unlock()
        return fs
    }

    /// One layer's index: from memory, from the store, from the entries this build wrote it
    /// from, or read from the blob (downloaded first when only its source is known) and kept.
    func index(_ layer: Descriptor) throws -> LayerIndex {
        lock.lock()
        let known = indexes[layer.digest]
        let entries = written[layer.digest]
        lock.unlock()
        if let known { return known }
        let index: LayerIndex
        if let data = store.layerIndex(layer.digest), let stored = LayerIndex(data: data) {
            index = stored
        } else {
            let listing: LayerListing
            if let entries {
                listing = StageRootfs.listing(entries)
            } else {
                try ensureBlob(layer)
                let path = store.blobPath(layer.digest), name = "layer \(layer.digest.hex.prefix(12))"
                lock.lock()
                let claimed = claims[layer.digest] != nil
                lock.unlock()
                // An image's layer has its diffID hashed on the other core while it is listed: it
                // is read once either way. A layer a build made needs no such check.
                let diffID = Outcome<Digest>()
                let hashing = DispatchGroup()
                if claimed { DispatchQueue.global().async(group: hashing) { diffID.set { try LayerReader.diffID(path, name: name) } } }
                listing = try LayerReader.list(path, name: name)
                hashing.wait()
                if claimed { store.putDiffID(try diffID.get(), ofLayer: layer.digest) }
            }
            // Kept, so that a rebuild whose later steps look at the stage reads no layer again.
            let data = LayerIndex.encode(listing)
            store.putLayerIndex(data, for: layer.digest)
            index = LayerIndex(data: data)!
        }
        if entries == nil { try check(layer) }
        lock.lock()
        indexes[layer.digest] = index
        written[layer.digest] = nil
        lock.unlock()
        return index
    }

    /// Notes the diffIDs an image's config gives its layers (`image` names it in an error).
    func claim(_ layers: [Descriptor], diffIDs: [Digest], image: String) {
        lock.lock()
        for (l, d) in zip(layers, diffIDs) where !(claims[l.digest] ?? []).contains(where: { $0.diffID == d }) {
            claims[l.digest, default: []].append((d, image))
        }
        lock.unlock()
    }

    /// A layer read from an image must be what its config says it is, as containerd's unpacker
    /// requires: a config that lies would be handed on in every image built on it.
    private func check(_ layer: Descriptor) throws {
        lock.lock()
        let claimed = claims[layer.digest] ?? []
        lock.unlock()
        guard !claimed.isEmpty else { return }
        let actual: Digest
        if let known = store.diffID(ofLayer: layer.digest) {
            actual = known
        } else {
            try ensureBlob(layer)
            actual = try LayerReader.diffID(store.blobPath(layer.digest), name: "layer \(layer.digest.hex.prefix(12))")
            store.putDiffID(actual, ofLayer: layer.digest)
        }
        for c in claimed where c.diffID != actual {
            throw BuildError("\(c.image): layer \(layer.digest) unpacks to \(actual), but the image's config says \(c.diffID): the image is damaged or forged; push it again from a good copy")
        }
    }

    /// A layer this build made: its listing is known from the entries it was written from, so
    /// later steps of the stage need not read it back. An ADD of an archive is read when asked.
    /// Nothing is made of them until a step looks: a COPY of a large context on scratch never does.
    func remember(_ entries: [LayerEntry], as layer: Digest) {
        guard !entries.contains(where: { if case .archive = $0.kind { return true } else { return false } }) else { return }
        lock.lock()
        if indexes[layer] == nil, written[layer] == nil { written[layer] = entries }
        lock.unlock()
    }

    static func listing(_ entries: [LayerEntry]) -> LayerListing {
        var listing = LayerListing()
        for e in entries {
            // What a RUN step deleted is written as whiteouts: they read as LayerReader reads them.
            let base = e.path.lastComponent
            if base == ".wh..wh..opq" {
                listing.opaque.append(e.path.parent)
                continue
            }
            if base.hasPrefix(".wh."), base.bytes.count > 4 {
                listing.whiteouts.append(e.path.parent.appending(base.dropFirst(4)))
                continue
            }
            var r = RootfsEntry(path: e.path, kind: .directory, mode: e.mode, uid: e.uid, gid: e.gid)
            switch e.kind {
            case .file(_, let size): r.kind = .file; r.size = size
            case .directory: break
            case .symlink(let target): r.kind = .symlink; r.link = target
            case .hardlink(let target): r.kind = .hardlink; r.link = target
            case .archive: break
            }
            listing.entries.append(r)
        }
        return listing
    }

    /// The users and groups of the filesystem the layers make, from its /etc/passwd and /etc/group.
    func accounts(_ layers: [Descriptor]) throws -> Accounts {
        let fs = try filesystem(layers)
        return Accounts(passwd: try contents(of: "etc/passwd", fs: fs, layers: layers),
                        group: try contents(of: "etc/group", fs: fs, layers: layers))
    }

    /// A small file's bytes as the stack shows it: from the topmost layer that holds it, kept in
    /// its index when the layer was listed, else read from the layer.
    func contents(of path: PathBytes, fs: StageFilesystem, layers: [Descriptor]) throws -> Data? {
        guard let real = try? fs.resolve(path), real.entry?.kind == .file else { return nil }
        for layer in layers.reversed() {
            let index = try index(layer)
            if index.kind(at: real.path) == .file {
                if let kept = index.kept(real.path) { return kept }
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

/// A value made on another thread, handed back once that thread is waited for.
final class Outcome<T>: @unchecked Sendable {
    private var result: Result<T, Error>?

    func set(_ make: () throws -> T) { result = Result { try make() } }

    func get() throws -> T {
        guard let result else { throw BuildError("internal: a result was read before it was made") }
        return try result.get()
    }
}
