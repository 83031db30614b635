import Foundation
import Layers
import OCI
import Rootfs
import Store

/// Files COPY --from takes out of a stage's layers (its base image's files, or any a step did not
/// copy from the context). Each gets a place in a scratch directory when the copy is planned; the
/// layers are read only when the layer it makes is not in the cache, bottom first, so the file a
/// higher layer holds replaces the one below.
final class StageFiles {
    let layers: [Descriptor]
    let dir: String
    private var places: [PathBytes: String] = [:]
    /// Paths a copied hard link names: read too, to copy their bytes.
    private var targets: Set<PathBytes> = []

    init(layers: [Descriptor], dir: String) {
        self.layers = layers
        self.dir = dir
    }

    var isEmpty: Bool { places.isEmpty }

    /// Where the bytes of the file at `origin` will be.
    func place(_ origin: PathBytes, linkTarget: PathBytes?) -> PathBytes {
        if let t = linkTarget, places[t] == nil { targets.insert(t) }
        return PathBytes(places[origin] ?? {
            let p = "\(dir)/\(places.count)"
            places[origin] = p
            return p
        }())
    }

    /// "The file at this path as these layers stack up": what stands for its bytes in the layer's
    /// cache key, since the layers themselves never change.
    static func key(_ origin: PathBytes, layers: [Descriptor]) -> Digest {
        var text = Array("imagectl-stage-file-v1\n".utf8)
        for l in layers { text += Array(l.digest.description.utf8) + [10] }
        return Digest.sha256(text + origin.bytes)
    }

    /// Reads every placed file out of the layers.
    func extract(_ blobPath: (Descriptor) throws -> String) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var extra: [PathBytes: String] = [:]
        for t in targets where places[t] == nil { extra[t] = "\(dir)/link-\(extra.count)" }
        let wanted = Set(places.keys).union(extra.keys)
        var found: Set<PathBytes> = []
        for layer in layers {
            found.formUnion(try LayerReader.extract(wanted, from: try blobPath(layer), name: "layer \(layer.digest.hex.prefix(12))") {
                self.places[$0] ?? extra[$0]!
            })
        }
        if let missing = places.keys.first(where: { !found.contains($0) }) {
            throw BuildError("COPY --from: /\(missing) could not be read from the stage's layers")
        }
    }

    /// An entry read from a layer, with the length its file has.
    func sized(_ e: LayerEntry) throws -> LayerEntry {
        guard case .file(let source, _) = e.kind, owns(source) else { return e }
        var st = stat()
        guard source.withCString({ lstat($0, &st) }) == 0 else { throw BuildError("\(source): \(String(cString: strerror(errno)))") }
        var sized = e
        sized.kind = .file(source: source, size: Int64(st.st_size))
        return sized
    }

    /// The entry as a stage remembers it: a file read from a layer has no source to read again.
    func forgotten(_ e: LayerEntry) -> LayerEntry {
        guard case .file(let source, let size) = e.kind, owns(source) else { return e }
        var f = e
        f.kind = .file(source: "", size: size)
        return f
    }

    private func owns(_ source: PathBytes) -> Bool { source.hasPrefix(PathBytes(dir + "/")) }

    func remove() {
        try? FileManager.default.removeItem(atPath: dir)
    }
}
