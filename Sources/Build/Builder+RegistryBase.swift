import Foundation
import Layers
import OCI
import Registry
import Store

extension Builder {
    /// A base image from a registry: the manifest for the platform is resolved through its index,
    /// the config fetched and verified; layers are only recorded with their source, so a push to
    /// the same registry mounts them and only an export downloads them.
    func registryStage(_ ref: Reference, platform: Platform, finalPlatform: Platform) throws -> Stage {
        guard let registries else {
            throw BuildError("FROM \(ref.familiar): registry base images need network access to the registry")
        }
        let client = registries.client(ref.registry)
        let reference = ref.digest?.description ?? ref.tag ?? "latest"
        let (data, top) = try client.manifest(ref.repository, reference)
        let view = ImageView(top, source: RemoteBlobs(client: client, repository: ref.repository, known: [(top, data)]), name: "FROM \(ref.familiar)")
        let image: ImageView.Image
        do { image = try view.image(for: platform) } catch let e as OCIError {
            throw BuildError("\(e)")
        }
        let manifest = image.manifest, descriptor = image.descriptor
        // The config goes into the store: a push or an export of this image needs it.
        if !store.hasBlob(manifest.config.digest) { try store.putBlob(try view.source.data(manifest.config)) }
        var config = image.config
        var layers: [Descriptor] = []
        for layer in manifest.layers {
            try store.recordSource(layer.digest, BlobSource(registry: ref.registry, repository: ref.repository))
            var l = layer
            l.mediaType = Builder.ociLayerType(layer.mediaType)
            l.urls = nil
            layers.append(l)
        }
        guard layers.count == config.rootfs.diffIDs.count else {
            throw BuildError("FROM \(ref.familiar): the manifest lists \(layers.count) layers but the config \(config.rootfs.diffIDs.count)")
        }
        config.architecture = finalPlatform.architecture
        config.os = finalPlatform.os
        config.variant = finalPlatform.variant
        var pinned = ref
        pinned.digest = nil
        return Stage(config: config, layers: layers, files: FileIndex(), fromScratch: false, args: [:],
                     base: (pinned.description, descriptor.digest))
    }

    /// Docker schema 2 layer types are the same bytes as OCI's: name them the OCI way in an OCI manifest.
    static func ociLayerType(_ t: String) -> String {
        switch t {
        case MediaType.dockerLayerGzip: return MediaType.ociLayerGzip
        case "application/vnd.docker.image.rootfs.diff.tar": return MediaType.ociLayer
        case "application/vnd.docker.image.rootfs.diff.tar.zstd": return MediaType.ociLayerZstd
        default: return t
        }
    }
}
