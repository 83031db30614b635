import Foundation
import OCI
import Registry
import Store

extension Registries {
    /// The image a registry reference names for `platform`, as a build's base: its manifest and
    /// config read and checked, the config stored (a push or an export needs it), its layers only
    /// recorded with where they live, so a push to the same registry mounts them and nothing is
    /// downloaded until a step needs the filesystem.
    public func baseImage(_ ref: Reference, platform: Platform, store: Store, name: String) throws -> ImageView.Image {
        let client = client(ref.registry)
        let (data, top) = try client.manifest(ref.repository, ref.pullReference)
        let view = ImageView(top, source: RemoteBlobs(client: client, repository: ref.repository, known: [(top, data)]), name: name)
        let image = try view.image(for: platform)
        if !store.hasBlob(image.manifest.config.digest) { try store.putBlob(try view.source.data(image.manifest.config)) }
        for layer in image.manifest.layers {
            try store.recordSource(layer.digest, BlobSource(registry: ref.registry, repository: ref.repository))
        }
        return image
    }
}
