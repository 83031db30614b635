/// An image manifest: one platform's config and layers.
public struct ImageManifest: Codable, Hashable, Sendable {
    public var schemaVersion: Int = 2
    public var mediaType: String? = MediaType.ociManifest
    public var config: Descriptor
    public var layers: [Descriptor]
    public var annotations: [String: String]?

    public init(config: Descriptor, layers: [Descriptor], annotations: [String: String]? = nil) {
        self.config = config
        self.layers = layers
        self.annotations = annotations
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        schemaVersion = try c.decode(Int.self, forKey: .schemaVersion)
        mediaType = try c.decodeIfPresent(String.self, forKey: .mediaType)
        config = try c.decode(Descriptor.self, forKey: .config)
        layers = try c.decode([Descriptor].self, forKey: .layers)
        annotations = try c.decodeIfPresent([String: String].self, forKey: .annotations)
        // No image weighs more than Int64 bytes: a manifest that says so is refused where it is read.
        guard Descriptor.totalSize([config] + layers) != nil else {
            throw DecodingError.dataCorruptedError(forKey: .layers, in: c,
                                                   debugDescription: "the config and layer sizes add up past \(Int64.max) bytes")
        }
    }

    /// What the image weighs: its config and every layer (Int64.max for one made in code that weighs more).
    public var size: Int64 { Descriptor.totalSize([config] + layers) ?? .max }
}

/// An image index: one manifest per platform.
public struct ImageIndex: Codable, Hashable, Sendable {
    public var schemaVersion: Int = 2
    public var mediaType: String? = MediaType.ociIndex
    public var manifests: [Descriptor]
    public var annotations: [String: String]?

    public init(manifests: [Descriptor], annotations: [String: String]? = nil) {
        self.manifests = manifests
        self.annotations = annotations
    }
}
