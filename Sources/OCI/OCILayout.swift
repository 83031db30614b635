import Foundation

/// An OCI image layout directory: `oci-layout`, `index.json` and `blobs/<alg>/<hex>`.
public struct OCILayout: Sendable {
    public static let refNameAnnotation = "org.opencontainers.image.ref.name"
    public let path: String

    public init(path: String) { self.path = path }

    public func blobPath(_ d: Digest) -> String { "\(path)/blobs/\(d.algorithm)/\(d.hex)" }

    /// Reads a blob and checks it against its digest, so a damaged layout is never built upon.
    public func readBlob(_ d: Descriptor) throws -> Data {
        // The size is checked before a byte is read: a layout someone sent may hold a huge file there.
        var st = stat()
        if stat(blobPath(d.digest), &st) == 0, Int64(st.st_size) != d.size {
            throw OCIError.invalidLayout(path, "blob \(d.digest) does not match its digest or size")
        }
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
        // Several entries may carry one tag (one per platform, as some tools write layouts).
        var offered: [String] = []
        for candidate in candidates {
            do {
                let image = try ImageView(candidate, source: self, name: path).image(for: platform)
                return (image.manifest, image.config, image.descriptor)
            } catch OCIError.noImage(_, _, let others) {
                offered += others
            }
        }
        throw OCIError.invalidLayout(path, "no image for \(platform) (offers: \(offered.isEmpty ? "none" : offered.joined(separator: ", ")))")
    }
}

extension OCILayout: BlobReader {
    public func data(_ d: Descriptor) throws -> Data { try readBlob(d) }
}
