import Foundation

/// Where an image's documents come from: the store, an OCI layout, a registry. A source returns a
/// blob only once it has checked it against its descriptor (digest and size).
public protocol BlobReader {
    func data(_ d: Descriptor) throws -> Data
}

/// An image or an index read through any `BlobReader`: the one walk from an index to its manifests
/// and their configs (nested indexes within `IndexWalk`'s limits), and the one platform picker.
/// Every command that looks inside an image goes through here, whatever the image's source.
public struct ImageView {
    public let top: Descriptor
    public let source: BlobReader
    /// Named in errors: a reference, a layout path.
    public let name: String

    public init(_ top: Descriptor, source: BlobReader, name: String) {
        self.top = top
        self.source = source
        self.name = name
    }

    /// One platform's image: its manifest's descriptor (with the platform filled in), manifest and config.
    public struct Image: Sendable {
        public var descriptor: Descriptor
        public var manifest: ImageManifest
        public var config: ImageConfig
    }

    public var isIndex: Bool { MediaType.isIndex(top.mediaType) }

    /// The image manifests under the top, in index order, each once (the top itself when it is one).
    public func manifests() throws -> [Descriptor] {
        try IndexWalk.descriptors(from: [top], what: name) { d in
            try CanonicalJSON.decode(ImageIndex.self, from: try source.data(d)).manifests
        }.filter { MediaType.isManifest($0.mediaType) }
    }

    public func manifest(_ d: Descriptor) throws -> ImageManifest {
        try CanonicalJSON.decode(ImageManifest.self, from: try source.data(d))
    }

    public func config(of m: ImageManifest) throws -> ImageConfig {
        try CanonicalJSON.decode(ImageConfig.self, from: try source.data(m.config))
    }

    /// Every platform's image.
    public func images() throws -> [Image] {
        try manifests().map(image)
    }

    /// The image a manifest descriptor names, its platform taken from the config where the index gave none.
    public func image(_ d: Descriptor) throws -> Image {
        let m = try manifest(d)
        let c = try config(of: m)
        var described = d
        if described.platform == nil { described.platform = c.platform }
        return Image(descriptor: described, manifest: m, config: c)
    }

    /// The image for `platform`, as Docker picks it: an index entry whose platform matches (entries
    /// without one are judged by their config), and the config must agree. The error lists what
    /// the image offers.
    public func image(for platform: Platform) throws -> Image {
        var offered: [String] = []
        for d in try manifests() {
            if let p = d.platform, !p.matches(platform) {
                offered.append(p.description)
                continue
            }
            let found = try image(d)
            // An image with no layers (an artifact, a config-only base) serves any platform.
            if found.config.platform.matches(platform) || (!isIndex && found.manifest.layers.isEmpty) { return found }
            offered.append(found.config.platform.description)
        }
        throw OCIError.noImage(name, platform: platform.description, offered: offered)
    }
}
