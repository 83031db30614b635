import Foundation
import OCI

/// A name in the store and the manifest or index it points at.
public struct NamedImage: Codable, Hashable, Sendable {
    public var name: String
    public var descriptor: Descriptor

    public init(name: String, descriptor: Descriptor) {
        self.name = name
        self.descriptor = descriptor
    }
}

extension Store {
    func imagePath(_ name: String) -> String { "\(root)/images/\(Digest.sha256(name).hex).json" }

    public func tag(_ name: String, _ descriptor: Descriptor) throws {
        try writeAtomically(try CanonicalJSON.encode(NamedImage(name: name, descriptor: descriptor)), to: imagePath(name))
    }

    /// The image a name points at, held by this handle's lease from here on. A name that moved
    /// while its old image was pruned, between reading the name and taking the lease, is read again.
    public func image(named name: String) throws -> Descriptor {
        var image = try namedImage(name)
        for _ in 0..<3 where !hasBlob(image.digest) {
            let again = try namedImage(name)
            if again == image { break }
            image = again
        }
        return image
    }

    private func namedImage(_ name: String) throws -> Descriptor {
        guard let data = FileManager.default.contents(atPath: imagePath(name)),
              let image = try? CanonicalJSON.decode(NamedImage.self, from: data) else {
            throw StoreError.noSuchImage(name)
        }
        return image.descriptor
    }

    public func images() -> [NamedImage] {
        let dir = root + "/images"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []
        return names.filter { $0.hasSuffix(".json") }.compactMap { f in
            FileManager.default.contents(atPath: "\(dir)/\(f)").flatMap { try? CanonicalJSON.decode(NamedImage.self, from: $0) }
        }.sorted { $0.name < $1.name }
    }

    /// Every blob an image needs: the index or manifest itself, then manifests, configs and layers.
    public func closure(of root: Descriptor) throws -> [Descriptor] {
        let view = ImageView(root, source: self, name: root.digest.description)
        let documents = try IndexWalk.descriptors(from: [root], what: view.name) { d in
            try CanonicalJSON.decode(ImageIndex.self, from: try data(d)).manifests
        }
        var out = documents
        for d in documents where MediaType.isManifest(d.mediaType) {
            let m = try view.manifest(d)
            out += [m.config] + m.layers
        }
        return out
    }
}
