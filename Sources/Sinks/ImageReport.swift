import Foundation
import OCI
import Store

/// What `imagectl inspect` shows: per platform the manifest digest, size, created time, layers,
/// labels, entrypoint and the base image.
public struct ImageReport {
    struct Entry: Encodable {
        var platform: String
        var digest: String
        var size: Int64
        var created: String?
        var layers: [Layer]
        var labels: [String: String]
        var entrypoint: [String]?
        var cmd: [String]?
        var base: String?
        var baseDigest: String?
    }

    struct Layer: Encodable {
        var digest: String
        var size: Int64
        var mediaType: String
    }

    struct Body: Encodable {
        var digest: String
        var mediaType: String
        var images: [Entry]
    }

    let body: Body

    public init(store: Store, top: Descriptor) throws {
        var entries: [Entry] = []
        for image in try ImageView(top, source: store, name: top.digest.description).images() {
            let (d, m, c) = (image.descriptor, image.manifest, image.config)
            entries.append(Entry(platform: c.platform.description, digest: d.digest.description,
                                 size: m.size, created: c.created,
                                 layers: m.layers.map { Layer(digest: $0.digest.description, size: $0.size, mediaType: $0.mediaType) },
                                 labels: c.config.labels ?? [:], entrypoint: c.config.entrypoint, cmd: c.config.cmd,
                                 base: m.annotations?["org.opencontainers.image.base.name"],
                                 baseDigest: m.annotations?["org.opencontainers.image.base.digest"]))
        }
        body = Body(digest: top.digest.description, mediaType: top.mediaType, images: entries)
    }

    public func json() -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? e.encode(body)) ?? Data(), as: UTF8.self)
    }

    public func table() -> String {
        var out = "digest: \(body.digest)\ntype:   \(body.mediaType)\n"
        for i in body.images {
            out += "\n\(i.platform)  \(i.digest)  \(ImageReport.bytes(i.size))\n"
            if let created = i.created { out += "  created:    \(created)\n" }
            if let base = i.base { out += "  base:       \(base)@\(i.baseDigest ?? "?")\n" }
            if let e = i.entrypoint { out += "  entrypoint: \(e.joined(separator: " "))\n" }
            if let c = i.cmd { out += "  cmd:        \(c.joined(separator: " "))\n" }
            for (k, v) in i.labels.sorted(by: { $0.key < $1.key }) { out += "  label:      \(k)=\(v)\n" }
            for l in i.layers { out += "  layer:      \(l.digest)  \(ImageReport.bytes(l.size))\n" }
        }
        return out.trimmingCharacters(in: .newlines)
    }

    static func bytes(_ n: Int64) -> String {
        n < 1000 ? "\(n) B" : n < 1_000_000 ? String(format: "%.1f kB", Double(n) / 1e3) : String(format: "%.1f MB", Double(n) / 1e6)
    }
}
