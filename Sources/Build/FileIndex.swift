import Layers

/// What a stage's own layers put where, for COPY --from and for "is the destination a directory".
/// Layers are kept as they were made; the path index is built only when something asks.
final class FileIndex {
    private var layers: [[LayerEntry]] = []
    private var index: [PathBytes: LayerEntry]?

    init() {}

    init(copying other: FileIndex) { layers = other.layers }

    func add(_ entries: [LayerEntry]) {
        layers.append(entries)
        index = nil
    }

    func entry(_ path: PathBytes) -> LayerEntry? {
        if index == nil {
            var map: [PathBytes: LayerEntry] = [:]
            for layer in layers { for e in layer { map[e.path] = e } }
            index = map
        }
        return index![path]
    }

    var sortedPaths: [PathBytes] {
        _ = entry("")
        return index!.keys.sorted()
    }

    var isEmpty: Bool { layers.allSatisfy(\.isEmpty) }

    /// Whether an ADD unpacked an archive: its files are not listed here, and may cover ones that are.
    var holdsArchives: Bool {
        layers.contains { $0.contains { if case .archive = $0.kind { return true } else { return false } } }
    }
}
