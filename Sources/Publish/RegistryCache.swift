import Foundation
import OCI
import Registry
import Store

/// The layer cache kept in a registry, for runners that start with an empty disk: an OCI manifest
/// whose config lists cache keys and the layers they stand for, and whose layers are those layers
/// (so the registry keeps them and a push of the image mounts or skips them).
public enum RegistryCache {
    public static let configType = "application/vnd.imagectl.cache.config.v1+json"

    struct Entry: Codable {
        var key: Digest
        var layer: Descriptor
        var diffID: Digest
    }

    struct Config: Codable {
        var records: [Entry]
    }

    /// Pushes the records of `keys` as `ref` (REGISTRY/NAME:TAG).
    public static func export(_ keys: [(key: Digest, record: LayerRecord)], to ref: Reference, store: Store,
                              registries: Registries) throws -> Descriptor {
        let config = try Blob(json: Config(records: keys.map { Entry(key: $0.key, layer: $0.record.descriptor, diffID: $0.record.diffID) }),
                              mediaType: configType)
        try store.putBlob(config.data)
        var seen = Set<Digest>()
        let layers = keys.map(\.record.descriptor).filter { seen.insert($0.digest).inserted }
        let manifest = try Blob(json: ImageManifest(config: config.descriptor, layers: layers), mediaType: MediaType.ociManifest)
        try store.putBlob(manifest.data)
        _ = try Pusher(registries: registries, store: store)
            .push(manifest.descriptor, registry: ref.registry, repository: ref.repository, tags: [ref.tag ?? "buildcache"])
        return manifest.descriptor
    }

    /// Reads `ref`'s records into the local cache; the layers stay in the registry until needed.
    /// A missing cache is not an error (the first run has none): it returns 0.
    public static func `import`(_ ref: Reference, store: Store, registries: Registries) throws -> Int {
        let client = registries.client(ref.registry)
        let data: Data
        do { data = try client.manifest(ref.repository, ref.digest?.description ?? ref.tag ?? "buildcache").data } catch RegistryError.notFound {
            return 0
        }
        let manifest = try CanonicalJSON.decode(ImageManifest.self, from: data)
        guard manifest.config.mediaType == configType else {
            throw RegistryError.invalid("\(ref): not an imagectl cache (config type \(manifest.config.mediaType))")
        }
        let configData = try client.blobData(ref.repository, manifest.config, limit: RemoteBlobs.memoryLimit)
        let config = try CanonicalJSON.decode(Config.self, from: configData)
        let source = BlobSource(registry: ref.registry, repository: ref.repository)
        for e in config.records {
            try store.recordSource(e.layer.digest, source)
            if store.cachedLayer(key: e.key) == nil { try store.recordLayer(key: e.key, LayerRecord(descriptor: e.layer, diffID: e.diffID)) }
        }
        return config.records.count
    }
}
