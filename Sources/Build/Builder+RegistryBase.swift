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
        var (data, descriptor) = try client.manifest(ref.repository, reference)
        if MediaType.isIndex(descriptor.mediaType) {
            let index = try CanonicalJSON.decode(ImageIndex.self, from: data)
            let candidates = index.manifests.filter { MediaType.isManifest($0.mediaType) && $0.platform != nil }
            guard let pick = candidates.first(where: { $0.platform!.matches(platform) }) else {
                let offered = candidates.map { $0.platform!.description }.joined(separator: ", ")
                throw BuildError("FROM \(ref.familiar): no image for \(platform) (it offers \(offered.isEmpty ? "none" : offered))")
            }
            (data, descriptor) = try client.manifest(ref.repository, pick.digest.description)
        }
        guard MediaType.isManifest(descriptor.mediaType) else {
            throw BuildError("FROM \(ref.familiar): unsupported manifest type \(descriptor.mediaType)")
        }
        let manifest = try CanonicalJSON.decode(ImageManifest.self, from: data)
        if !store.hasBlob(manifest.config.digest) {
            let tmp = store.tempPath("config")
            do {
                try client.fetchBlob(ref.repository, manifest.config, to: tmp)
                try store.commitBlob(tempPath: tmp, digest: manifest.config.digest)
            } catch {
                unlink(tmp)
                throw error
            }
        }
        var config = try CanonicalJSON.decode(ImageConfig.self, from: try store.readBlob(manifest.config.digest))
        guard config.platform.matches(platform) || manifest.layers.isEmpty else {
            throw BuildError("FROM \(ref.familiar): the image is for \(config.platform), not \(platform)")
        }
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
