import Foundation

/// JSON with sorted keys and no insignificant whitespace, so equal values always hash to equal digests.
public enum CanonicalJSON {
    public static func encode<T: Encodable>(_ value: T) throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try e.encode(value)
    }

    /// Decodes, turning Foundation's decoding errors into one short line that says what is wrong.
    public static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch let e as DecodingError {
            throw JSONShapeError(e)
        }
    }
}

/// A JSON document that does not have the shape expected: not JSON, a field missing or of the wrong type.
public struct JSONShapeError: Error, CustomStringConvertible {
    public let description: String

    init(_ e: DecodingError) {
        func path(_ keys: [any CodingKey], _ last: (any CodingKey)? = nil) -> String {
            let all = keys + (last.map { [$0] } ?? [])
            let text = all.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return text.hasPrefix(".") ? String(text.dropFirst()) : text
        }
        switch e {
        case .dataCorrupted(let c) where c.codingPath.isEmpty:
            description = "not valid JSON"
        case .dataCorrupted(let c):
            description = "\"\(path(c.codingPath))\" is invalid (\(c.debugDescription.prefix(120)))"
        case .keyNotFound(let key, let c):
            description = "no \"\(path(c.codingPath, key))\" field"
        case .typeMismatch(let type, let c):
            description = c.codingPath.isEmpty ? "not a JSON \(JSONShapeError.kind(type))" : "\"\(path(c.codingPath))\" is not a JSON \(JSONShapeError.kind(type))"
        case .valueNotFound(let type, let c):
            description = "\"\(path(c.codingPath))\" is null, expected a JSON \(JSONShapeError.kind(type))"
        @unknown default:
            description = "not the expected JSON"
        }
    }

    static func kind(_ type: Any.Type) -> String {
        let name = String(describing: type)
        if name.hasPrefix("Dictionary") { return "object" }
        if name.hasPrefix("Array") { return "array" }
        if name == "String" { return "string" }
        if name == "Bool" { return "boolean" }
        return name.hasPrefix("Int") || name.hasPrefix("UInt") || name == "Double" ? "number" : "value"
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
