import Foundation

/// JSON with sorted keys and no insignificant whitespace, so equal values always hash to equal digests.
public enum CanonicalJSON {
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try e.encode(value)
    }

    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        try JSONDecoder().decode(type, from: data)
    }
}

/// A blob's bytes together with the descriptor that names them.
public struct Blob: Sendable {
    public let data: Data
    public let descriptor: Descriptor

    public init<T: Encodable>(json value: T, mediaType: String) throws {
        data = try CanonicalJSON.encode(value)
        descriptor = Descriptor(mediaType: mediaType, digest: .sha256(data), size: Int64(data.count))
    }
}
