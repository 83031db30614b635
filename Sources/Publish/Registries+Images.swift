import Foundation
import OCI
import Registry
import Store

/// Images already in a registry: read them into the store, retag them, merge them into an index.
extension Registries {
    /// Copies an image's manifests and configs into the store and records where its layers are;
    /// with `layers`, downloads and verifies the layers too. Returns the top descriptor.
    public func pull(_ ref: Reference, into store: Store, layers: Bool) throws -> Descriptor {
        let client = client(ref.registry)
        let (data, top) = try client.manifest(ref.repository, ref.pullReference)
        // Every index, manifest and config is read (within RemoteBlobs' budget) and checked before
        // anything is stored; nested indexes within IndexWalk's limits, each digest once.
        let remote = RemoteBlobs(client: client, repository: ref.repository, known: [(top, data)])
        let view = ImageView(top, source: remote, name: ref.description)
        let images = try view.images()
        for document in remote.documents { try store.putBlob(document) }
        let source = BlobSource(registry: ref.registry, repository: ref.repository)
        for image in images {
            for b in [image.manifest.config] + image.manifest.layers {
                try store.recordSource(b.digest, source)
                if layers, !store.hasBlob(b.digest) { try fetch(b, store: store) }
            }
        }
        return top
    }

    /// Points `destination` (same registry) at the image `source` names, without moving layers:
    /// blobs are mounted across repositories and only manifests are copied. Promote and rollback.
    public func retag(_ source: Reference, to destinations: [Reference], store: Store) throws -> Descriptor {
        // Checked before any request, so a typo costs no network round trip.
        for d in destinations where d.registry != source.registry {
            throw RegistryError.invalid("\(d): a retag stays inside one registry (\(source.registry)); use imagectl push to copy across")
        }
        let top = try pull(source, into: store, layers: false)
        for d in destinations {
            let pusher = Pusher(registries: self, store: store)
            _ = try pusher.push(top, registry: d.registry, repository: d.repository, tags: d.tag.map { [$0] } ?? [])
        }
        return top
    }

    /// Merges images pushed by digest (one per runner, say) into one index, as
    /// `docker buildx imagetools create` does; each source's platform comes from its config.
    public func createIndex(_ sources: [Reference], annotations: [String: String], store: Store) throws -> Descriptor {
        var entries: [Descriptor] = []
        for s in sources {
            let view = ImageView(try pull(s, into: store, layers: false), source: store, name: s.description)
            entries += view.isIndex ? try view.manifests() : [try view.image(view.top).descriptor]
        }
        var seen = Set<Digest>()
        entries = entries.filter { seen.insert($0.digest).inserted }
        let platforms = entries.compactMap { $0.platform?.description }
        if Set(platforms).count != platforms.count {
            throw RegistryError.invalid("two of the images are for the same platform (\(platforms.joined(separator: ", "))); give one per platform")
        }
        let index = try Blob(json: ImageIndex(manifests: entries, annotations: annotations.isEmpty ? nil : annotations), mediaType: MediaType.ociIndex)
        try store.putBlob(index.data)
        return index.descriptor
    }
}
