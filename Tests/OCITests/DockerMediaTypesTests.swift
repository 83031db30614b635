import Foundation
import OCI
import Testing

/// `oci-mediatypes=false`: an OCI image rewritten under Docker's schema 2 types, as BuildKit's
/// exporter writes it; what has no Docker form is one clear error.
@Suite struct DockerMediaTypesTests {
    /// Blobs in memory, checked as every source checks them.
    final class Blobs: BlobReader {
        var byDigest: [Digest: Data] = [:]

        @discardableResult
        func put<T: Encodable>(_ value: T, _ mediaType: String, platform: Platform? = nil) throws -> Descriptor {
            let blob = try Blob(json: value, mediaType: mediaType)
            byDigest[blob.descriptor.digest] = blob.data
            var d = blob.descriptor
            d.platform = platform
            return d
        }

        func data(_ d: Descriptor) throws -> Data {
            guard let data = byDigest[d.digest], d.digest.matches(data) else { throw OCIError.io(d.digest.description, "missing") }
            return data
        }
    }

    static let config = Descriptor(mediaType: MediaType.ociConfig, digest: .sha256("config"), size: 6)

    static func layer(_ type: String, _ n: Int = 0) -> Descriptor {
        Descriptor(mediaType: type, digest: .sha256("layer \(n)"), size: 100 + Int64(n), annotations: ["containerd.io/uncompressed": "x"])
    }

    static func manifest(_ blobs: Blobs, layers: [Descriptor], platform: Platform? = nil, config: Descriptor = config) throws -> Descriptor {
        try blobs.put(ImageManifest(config: config, layers: layers,
                                    annotations: ["org.opencontainers.image.base.name": "docker.io/library/alpine:3"]),
                      MediaType.ociManifest, platform: platform)
    }

    @Test func anIndexBecomesAManifestListWithTheSameConfigAndLayers() throws {
        let blobs = Blobs()
        let amd = try Self.manifest(blobs, layers: [Self.layer(MediaType.ociLayerGzip, 1), Self.layer(MediaType.ociLayer, 2)],
                                    platform: try Platform(parsing: "linux/amd64"))
        let arm = try Self.manifest(blobs, layers: [Self.layer(MediaType.ociLayerGzip, 3)], platform: try Platform(parsing: "linux/arm64"))
        var withName = arm
        withName.annotations = ["org.opencontainers.image.ref.name": "1"]
        let top = try blobs.put(ImageIndex(manifests: [amd, withName], annotations: ["a": "b"]), MediaType.ociIndex)

        let converted = try DockerMediaTypes.convert(top, source: blobs, name: "x")
        #expect(converted.top.mediaType == MediaType.dockerManifestList)
        #expect(converted.top.digest != top.digest)
        #expect(converted.documents.count == 3)
        for d in converted.documents { blobs.byDigest[d.descriptor.digest] = d.data }
        let index = try CanonicalJSON.decode(ImageIndex.self, from: try blobs.data(converted.top))
        #expect(index.mediaType == MediaType.dockerManifestList)
        #expect(index.annotations == nil)
        #expect(index.manifests.map(\.mediaType) == [MediaType.dockerManifest, MediaType.dockerManifest])
        #expect(index.manifests.map(\.platform?.architecture) == ["amd64", "arm64"])
        #expect(index.manifests.allSatisfy { $0.annotations == nil })
        let first = try CanonicalJSON.decode(ImageManifest.self, from: try blobs.data(index.manifests[0]))
        #expect(first.mediaType == MediaType.dockerManifest)
        #expect(first.config == Descriptor(mediaType: MediaType.dockerConfig, digest: Self.config.digest, size: Self.config.size))
        #expect(first.layers.map(\.mediaType) == [MediaType.dockerLayerGzip, MediaType.dockerLayer])
        #expect(first.layers.map(\.digest) == [Self.layer("", 1).digest, Self.layer("", 2).digest])
        #expect(first.layers.allSatisfy { $0.annotations == nil })
        #expect(first.annotations == nil)
        // The same image converted again is the same documents: every output and push agrees.
        #expect(try DockerMediaTypes.convert(top, source: blobs, name: "x").top == converted.top)
    }

    /// A manifest already in Docker's form keeps its bytes, and so its digest.
    @Test func aDockerManifestIsKeptAsItIs() throws {
        let blobs = Blobs()
        var m = ImageManifest(config: Descriptor(mediaType: MediaType.dockerConfig, digest: .sha256("c"), size: 1),
                              layers: [Descriptor(mediaType: MediaType.dockerLayerGzip, digest: .sha256("l"), size: 2)])
        m.mediaType = MediaType.dockerManifest
        let d = try blobs.put(m, MediaType.dockerManifest)
        let converted = try DockerMediaTypes.convert(d, source: blobs, name: "x")
        #expect(converted.top == d)
        #expect(converted.documents.isEmpty)
    }

    @Test(arguments: [
        (MediaType.ociLayerZstd, "zstd has no Docker media type: use compression=gzip"),
        ("application/vnd.docker.image.rootfs.diff.tar.zstd", "zstd has no Docker media type"),
        ("application/vnd.in-toto+json", "has a layer of type application/vnd.in-toto+json"),
    ])
    func aLayerWithoutADockerTypeIsRefused(_ type: String, _ says: String) throws {
        let blobs = Blobs()
        let m = try Self.manifest(blobs, layers: [Self.layer(MediaType.ociLayerGzip), Self.layer(type, 1)])
        #expect { try DockerMediaTypes.convert(m, source: blobs, name: "the image") } throws: { e in
            "\(e)".hasPrefix("oci-mediatypes=false: the image ") && "\(e)".contains(says)
        }
    }

    @Test func whatIsNotAnImageOfManifestsIsRefused() throws {
        let blobs = Blobs()
        let artifact = try Self.manifest(blobs, layers: [], config: Descriptor(mediaType: "application/vnd.imagectl.cache.v1+json", digest: .sha256("c"), size: 1))
        #expect { try DockerMediaTypes.convert(artifact, source: blobs, name: "x") } throws: { e in "\(e)".contains("is not a container image") }
        let inner = try blobs.put(ImageIndex(manifests: [try Self.manifest(blobs, layers: [])]), MediaType.ociIndex)
        let nested = try blobs.put(ImageIndex(manifests: [inner]), MediaType.ociIndex)
        #expect { try DockerMediaTypes.convert(nested, source: blobs, name: "x") } throws: { e in
            "\(e)".contains("holds a \(MediaType.ociIndex) in its index, which a Docker manifest list cannot hold")
        }
    }
}
