/// Docker's image manifest v2, schema 2: an OCI image's documents under Docker's media types, as
/// BuildKit's exporters write them with `oci-mediatypes=false` (and by default for `type=docker`
/// and pushes before BuildKit 0.31). The config and layer bytes stay as they are; the manifests
/// and the index are new documents, so they have new digests.
///
/// Annotations go as BuildKit lets them go on Docker types: a layer's descriptor loses them
/// (BuildKit drops them), and index and descriptor annotations, which BuildKit refuses there
/// because registries such as GCR reject them, are dropped with imagectl's own on the manifest
/// (the base image's name and digest), so the documents have the shape BuildKit gives them.
public enum DockerMediaTypes {
    /// An image rewritten under Docker's media types.
    public struct Converted: Sendable {
        /// A Docker manifest, or a manifest list.
        public var top: Descriptor
        /// The documents that changed, to be stored under their own digests; one that was already
        /// in Docker's form keeps its bytes and digest and is not listed.
        public var documents: [Blob]
    }

    /// Docker's type for a layer type; nil where Docker has none (zstd, anything not a layer).
    public static func layerType(_ t: String) -> String? {
        switch t {
        case MediaType.ociLayer, MediaType.dockerLayer: return MediaType.dockerLayer
        case MediaType.ociLayerGzip, MediaType.dockerLayerGzip: return MediaType.dockerLayerGzip
        case MediaType.ociLayerNondistributable, MediaType.dockerLayerForeign: return MediaType.dockerLayerForeign
        case MediaType.ociLayerNondistributableGzip, MediaType.dockerLayerForeignGzip: return MediaType.dockerLayerForeignGzip
        default: return nil
        }
    }

    /// The image `top` (a manifest, or an index of manifests) under Docker's types; `name` names
    /// it in errors, which say what has no Docker form.
    public static func convert(_ top: Descriptor, source: BlobReader, name: String) throws -> Converted {
        var documents: [Blob] = []
        if MediaType.isManifest(top.mediaType) {
            return Converted(top: try manifest(top, source: source, name: name, into: &documents), documents: documents)
        }
        guard MediaType.isIndex(top.mediaType) else { throw OCIError.noDockerForm(name, "is a \(top.mediaType), not an image") }
        let original = try CanonicalJSON.decode(ImageIndex.self, from: try source.data(top))
        var index = original
        index.mediaType = MediaType.dockerManifestList
        index.annotations = nil
        index.manifests = try original.manifests.map { entry in
            guard MediaType.isManifest(entry.mediaType) else {
                throw OCIError.noDockerForm(name, "holds a \(entry.mediaType) in its index, which a Docker manifest list cannot hold: leave oci-mediatypes at true")
            }
            return try manifest(entry, source: source, name: name, into: &documents)
        }
        return Converted(top: try document(index, original: original, descriptor: top, type: MediaType.dockerManifestList, into: &documents),
                         documents: documents)
    }

    static func manifest(_ d: Descriptor, source: BlobReader, name: String, into documents: inout [Blob]) throws -> Descriptor {
        let original = try CanonicalJSON.decode(ImageManifest.self, from: try source.data(d))
        guard [MediaType.ociConfig, MediaType.dockerConfig].contains(original.config.mediaType) else {
            throw OCIError.noDockerForm(name, "is not a container image (its config is a \(original.config.mediaType)), so it has no Docker form: leave oci-mediatypes at true")
        }
        var m = original
        m.mediaType = MediaType.dockerManifest
        m.annotations = nil
        m.config = Descriptor(mediaType: MediaType.dockerConfig, digest: original.config.digest, size: original.config.size)
        m.layers = try original.layers.map { layer in
            guard let type = layerType(layer.mediaType) else {
                throw OCIError.noDockerForm(name, layer.mediaType.hasSuffix("zstd")
                    ? "has a zstd layer (\(layer.digest)) and zstd has no Docker media type: use compression=gzip, or leave oci-mediatypes at true"
                    : "has a layer of type \(layer.mediaType) (\(layer.digest)), which has no Docker media type: leave oci-mediatypes at true")
            }
            var converted = Descriptor(mediaType: type, digest: layer.digest, size: layer.size)
            converted.urls = layer.urls
            return converted
        }
        return try document(m, original: original, descriptor: d, type: MediaType.dockerManifest, into: &documents)
    }

    /// The descriptor of `value`: the original's when nothing changed (its bytes, and so its
    /// digest, kept), else that of a new document; its platform kept, its annotations dropped.
    static func document<T: Encodable & Equatable>(_ value: T, original: T, descriptor: Descriptor, type: String,
                                                   into documents: inout [Blob]) throws -> Descriptor {
        var out = descriptor
        out.mediaType = type
        out.annotations = nil
        if value != original {
            let blob = try Blob(json: value, mediaType: type)
            documents.append(blob)
            out.digest = blob.descriptor.digest
            out.size = blob.descriptor.size
        }
        return out
    }
}
