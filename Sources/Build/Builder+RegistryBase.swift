import Foundation
import Layers
import OCI
import Publish
import Store

extension Builder {
    /// A base image from a registry: the manifest for the platform is resolved through its index,
    /// the config fetched and verified; layers are only recorded with their source, so a push to
    /// the same registry mounts them and only an export downloads them.
    func registryStage(_ ref: Reference, platform: Platform, finalPlatform: Platform) throws -> Stage {
        guard let registries else {
            throw BuildError("FROM \(ref.familiar): registry base images need network access to the registry")
        }
        let image: ImageView.Image
        do { image = try registries.baseImage(ref, platform: platform, store: store, name: "FROM \(ref.familiar)") } catch let e as OCIError {
            throw BuildError("\(e)")
        }
        let manifest = image.manifest, descriptor = image.descriptor
        var config = image.config
        var layers: [Descriptor] = []
        for layer in manifest.layers {
            var l = layer
            l.mediaType = Builder.ociLayerType(layer.mediaType)
            l.urls = nil
            layers.append(l)
        }
        guard layers.count == config.rootfs.diffIDs.count else {
            throw BuildError("FROM \(ref.familiar): the manifest lists \(layers.count) layers but the config \(config.rootfs.diffIDs.count)")
        }
        rootfs.claim(layers, diffIDs: config.rootfs.diffIDs, image: "FROM \(ref.familiar)")
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
