/// A pointer to a blob: what it is, its digest and its size.
public struct Descriptor: Codable, Hashable, Sendable {
    public var mediaType: String
    public var digest: Digest
    public var size: Int64
    public var platform: Platform?
    public var annotations: [String: String]?
    public var urls: [String]?

    public init(mediaType: String, digest: Digest, size: Int64, platform: Platform? = nil, annotations: [String: String]? = nil) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.platform = platform
        self.annotations = annotations
    }

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        mediaType = try c.decode(String.self, forKey: .mediaType)
        digest = try c.decode(Digest.self, forKey: .digest)
        size = try c.decode(Int64.self, forKey: .size)
        // Every descriptor from a registry or a layout passes here: a negative size would later
        // trap in a conversion or a sum, or pass a length check it should fail.
        guard size >= 0 else { throw DecodingError.dataCorruptedError(forKey: .size, in: c, debugDescription: "a size cannot be negative") }
        platform = try c.decodeIfPresent(Platform.self, forKey: .platform)
        annotations = try c.decodeIfPresent([String: String].self, forKey: .annotations)
        urls = try c.decodeIfPresent([String].self, forKey: .urls)
    }

    /// The sum of blob sizes, or nil past Int64.max: sizes from elsewhere can add up to anything.
    public static func totalSize(_ blobs: [Descriptor]) -> Int64? {
        var total: Int64 = 0
        for b in blobs {
            let (sum, overflow) = total.addingReportingOverflow(b.size)
            if overflow { return nil }
            total = sum
        }
        return total
    }
}
