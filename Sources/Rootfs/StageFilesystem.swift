import Layers

/// A stage's filesystem as its layers stack up, whiteouts applied: what COPY's destination rules,
/// `--chown` by name and WORKDIR look at. Paths are looked up the way the kernel would inside the
/// root: symbolic links are followed, an absolute target starts again at the root, `..` never
/// climbs above it, and a loop ends the lookup.
///
/// Nothing is merged ahead: a path is looked up in each layer's index from the top down (binary
/// searches), so a stage on a base of tens of thousands of files costs what its few lookups cost.
/// What a layer does to those below it, as unpacking it would:
/// - an entry replaces what was at its path;
/// - a whiteout (`.wh.NAME`) removes its path and all below it; an opaque directory
///   (`.wh..wh..opq`) keeps itself but hides what the layers below hold inside it;
/// - a non-directory removes what was below its path;
/// - parents the layer does not list, and that nothing below holds, are root-owned 0755 directories.
public struct StageFilesystem: Sendable {
    /// Bottom first.
    private var layers: [LayerIndex] = []

    /// Links one lookup may follow, as the kernel's MAXSYMLINKS.
    public static let maxLinks = 40

    public init() {}

    public init(layers: [LayerListing]) {
        for l in layers { apply(l) }
    }

    /// How many paths the stack holds, the root not counted.
    public var count: Int { paths.count }

    /// Stacks one more layer.
    public mutating func apply(_ layer: LayerListing) { apply(LayerIndex(layer)) }

    public mutating func apply(_ layer: LayerIndex) { layers.append(layer) }

    /// What is at `path` once every layer is stacked, as the rules above say.
    private func lookup(_ path: PathBytes) -> RootfsEntry? {
        var madeByAbove = false
        for layer in layers.reversed() {
            if let e = layer.entry(at: path) { return e }
            madeByAbove = madeByAbove || layer.hasEntries(below: path)
            if hides(layer, path) { break }
        }
        return madeByAbove ? RootfsEntry(path: path, kind: .directory, mode: 0o755) : nil
    }

    /// Whether the layer hides what those below hold at `path`.
    private func hides(_ layer: LayerIndex, _ path: PathBytes) -> Bool {
        if layer.hasWhiteouts, layer.isWhiteout(path) { return true }
        var ancestor = path
        while !ancestor.isEmpty {
            ancestor = ancestor.parent
            if layer.hasWhiteouts, layer.isWhiteout(ancestor) || layer.isOpaque(ancestor) { return true }
            if let kind = layer.kind(at: ancestor), kind != .directory { return true }
        }
        return false
    }

    /// Every path the stack holds (below `dir` when given), with what is there, in byte order: the
    /// layers' entries and their parents, each looked up.
    private func visible(below dir: PathBytes?) -> [RootfsEntry] {
        var candidates: Set<PathBytes> = []
        for layer in layers {
            for i in dir.map({ layer.entries(below: $0) }) ?? 0..<layer.count {
                var p = layer.entry(i).path
                while candidates.insert(p).inserted, !p.isEmpty {
                    p = p.parent
                }
            }
        }
        return candidates.filter { p in dir.map { p.isBelow($0) } ?? true }.sorted().compactMap(lookup)
    }

    /// The entry at `path` itself (its last element not followed if it is a link), or nil.
    public func entry(at path: PathBytes) -> RootfsEntry? {
        guard let resolved = try? resolve(path, followLast: false) else { return nil }
        return resolved.entry
    }

    /// `path` with every link on the way followed inside the root; `followLast` follows the last
    /// element too. Returns the real path and what is there (nil when nothing is).
    public func resolve(_ path: PathBytes, followLast: Bool = true) throws -> (path: PathBytes, entry: RootfsEntry?) {
        var pending = CleanPath.resolve(path.components, above: .clamp, isDot: { $0 == "." }, isDotDot: { $0 == ".." }) ?? []
        var done: [PathBytes] = []
        var links = 0
        while !pending.isEmpty {
            let element = pending.removeFirst()
            if element == "." { continue }
            if element == ".." {
                if !done.isEmpty { done.removeLast() }
                continue
            }
            let here = PathBytes(joining: done + [element])
            if let e = node(here), e.kind == .symlink, followLast || !pending.isEmpty {
                links += 1
                guard links <= StageFilesystem.maxLinks else { throw RootfsError("/\(path): too many levels of symbolic links") }
                let target = e.link ?? ""
                if target.bytes.first == 0x2f { done = [] }
                pending = target.components + pending
                continue
            }
            done.append(element)
        }
        let real = PathBytes(joining: done)
        return (real, node(real))
    }

    /// What lies below the directory `dir` (a real path, links already followed), in byte order:
    /// what COPY --from copies out of a stage.
    public func entries(below dir: PathBytes) -> [RootfsEntry] { visible(below: dir) }

    /// Every path but the root, in byte order, for wildcards.
    public var paths: [PathBytes] { visible(below: nil).map(\.path).filter { !$0.isEmpty } }

    /// Whether `path`, links followed, is a directory.
    public func isDirectory(_ path: PathBytes) -> Bool {
        (try? resolve(path))?.entry?.kind == .directory
    }

    private func node(_ path: PathBytes) -> RootfsEntry? {
        if path.isEmpty { return lookup(path) ?? RootfsEntry(path: "", kind: .directory, mode: 0o755) }
        return lookup(path)
    }
}

extension PathBytes {
    /// The directory holding this path ("" for a top-level name).
    public var parent: PathBytes {
        guard let slash = bytes.lastIndex(of: 0x2f) else { return "" }
        return PathBytes(Array(bytes[..<slash]))
    }

    /// Whether this path lies strictly inside `dir`.
    func isBelow(_ dir: PathBytes) -> Bool {
        if dir.isEmpty { return !isEmpty }
        return bytes.count > dir.bytes.count && bytes.starts(with: dir.bytes) && bytes[dir.bytes.count] == 0x2f
    }
}
