import Foundation

/// An OCI image layout directory: `oci-layout`, `index.json` and `blobs/<alg>/<hex>`.
public struct OCILayout: Sendable {
    public static let refNameAnnotation = "org.opencontainers.image.ref.name"
    public let path: String

    public init(path: String) { self.path = path }

    public func blobPath(_ d: Digest) -> String { "\(path)/blobs/\(d.algorithm)/\(d.hex)" }

    /// Reads a blob and checks it against its digest, so a damaged layout is never built upon.
    public func readBlob(_ d: Descriptor) throws -> Data {
        guard let data = FileManager.default.contents(atPath: blobPath(d.digest)) else {
            throw OCIError.invalidLayout(path, "blob \(d.digest) is missing")
        }
        guard Int64(data.count) == d.size, d.digest.matches(data) else {
            throw OCIError.invalidLayout(path, "blob \(d.digest) does not match its digest or size")
        }
        return data
    }

    public func index() throws -> ImageIndex {
        guard FileManager.default.fileExists(atPath: path + "/oci-layout") else {
            throw OCIError.invalidLayout(path, "no oci-layout file")
        }
        guard let data = FileManager.default.contents(atPath: path + "/index.json") else {
            throw OCIError.invalidLayout(path, "no index.json")
        }
        do { return try CanonicalJSON.decode(ImageIndex.self, from: data) } catch {
            throw OCIError.invalidLayout(path, "index.json is not an image index")
        }
    }

    /// Finds the manifest for `platform` under a tag (the ref.name annotation) or a digest;
    /// nested indexes are followed, and the error lists the platforms on offer.
    public func resolve(tag: String?, digest: Digest?, platform: Platform) throws -> (ImageManifest, ImageConfig, Descriptor) {
        let top = try index()
        var candidates = top.manifests
        if let digest {
            candidates = candidates.filter { $0.digest == digest }
            if candidates.isEmpty { throw OCIError.invalidLayout(path, "no image with digest \(digest)") }
        } else if let tag {
            candidates = candidates.filter { $0.annotations?[OCILayout.refNameAnnotation] == tag }
            if candidates.isEmpty {
                let tags = top.manifests.compactMap { $0.annotations?[OCILayout.refNameAnnotation] }
                throw OCIError.invalidLayout(path, "no image tagged \"\(tag)\" (tags: \(tags.isEmpty ? "none" : tags.joined(separator: ", ")))")
            }
        } else if candidates.count != 1 {
            throw OCIError.invalidLayout(path, "holds \(candidates.count) images: name one with :TAG or @DIGEST")
        }
        var offered: [String] = []
        let all = try IndexWalk.descriptors(from: candidates, what: path) { d in
            try CanonicalJSON.decode(ImageIndex.self, from: try readBlob(d)).manifests
        }
        for d in all where MediaType.isManifest(d.mediaType) {
            if let p = d.platform, !p.matches(platform) {
                offered.append(p.description)
                continue
            }
            let m = try CanonicalJSON.decode(ImageManifest.self, from: try readBlob(d))
            let c = try CanonicalJSON.decode(ImageConfig.self, from: try readBlob(m.config))
            if c.platform.matches(platform) { return (m, c, d) }
            offered.append(c.platform.description)
        }
        throw OCIError.invalidLayout(path, "no image for \(platform) (offers: \(offered.isEmpty ? "none" : offered.joined(separator: ", ")))")
    }
}
