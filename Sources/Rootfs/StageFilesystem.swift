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

    /// Whether the layer hides what those below hold at `path`: a whiteout of it, or something
    /// above it that hides all below.
    private func hides(_ layer: LayerIndex, _ path: PathBytes, below: (PathBytes) -> Bool) -> Bool {
        (layer.hasWhiteouts && layer.isWhiteout(path)) || (!path.isEmpty && below(path.parent))
    }

    /// Whether the layer hides everything strictly inside `dir`: it whites it out, makes it opaque,
    /// puts a non-directory there, or hides all below a directory above it.
    private func hidesAll(_ layer: LayerIndex, below dir: PathBytes, _ above: (PathBytes) -> Bool) -> Bool {
        if layer.hasWhiteouts, layer.isWhiteout(dir) || layer.isOpaque(dir) { return true }
        if let kind = layer.kind(at: dir), kind != .directory { return true }
        return !dir.isEmpty && above(dir.parent)
    }

    private func hides(_ layer: LayerIndex, _ path: PathBytes) -> Bool {
        func below(_ dir: PathBytes) -> Bool { hidesAll(layer, below: dir, below) }
        return hides(layer, path, below: below)
    }

    /// Every path the stack holds (below `dir` when given), with what is there, in byte order: the
    /// layers' entries and the directories they imply, found as `lookup` finds one, but in one
    /// sweep (a cursor per layer, what each layer hides below a directory worked out once).
    private func visible(below dir: PathBytes?) -> [RootfsEntry] {
        var candidates: Set<PathBytes> = []
        var implied: [Set<PathBytes>] = []
        var ranges: [Range<Int>] = []
        for layer in layers {
            let range = dir.map { layer.entries(below: $0) } ?? 0..<layer.count
            var parents: Set<PathBytes> = []
            for i in range {
                var p = layer.path(i)
                candidates.insert(p)
                while !p.isEmpty {
                    p = p.parent
                    if !parents.insert(p).inserted { break }
                }
            }
            candidates.formUnion(parents)
            implied.append(parents)
            ranges.append(range)
        }
        var cursors = ranges.map(\.lowerBound)
        var hidden = [[PathBytes: Bool]](repeating: [:], count: layers.count)
        func hidesAll(_ k: Int, below d: PathBytes) -> Bool {
            if let known = hidden[k][d] { return known }
            let answer = self.hidesAll(layers[k], below: d) { hidesAll(k, below: $0) }
            hidden[k][d] = answer
            return answer
        }
        var out: [RootfsEntry] = []
        for p in candidates.sorted() where dir.map({ p.isBelow($0) }) ?? true {
            var madeByAbove = false
            var found: RootfsEntry?
            for k in layers.indices.reversed() {
                let layer = layers[k]
                while cursors[k] < ranges[k].upperBound, layer.comparePath(cursors[k], p) < 0 { cursors[k] += 1 }
                if cursors[k] < ranges[k].upperBound, layer.comparePath(cursors[k], p) == 0 {
                    found = layer.entry(cursors[k])
                    break
                }
                madeByAbove = madeByAbove || implied[k].contains(p)
                if hides(layer, p, below: { hidesAll(k, below: $0) }) { break }
            }
            if let e = found ?? (madeByAbove ? RootfsEntry(path: p, kind: .directory, mode: 0o755) : nil) { out.append(e) }
        }
        return out
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
    public func isBelow(_ dir: PathBytes) -> Bool {
        if dir.isEmpty { return !isEmpty }
        return bytes.count > dir.bytes.count && bytes.starts(with: dir.bytes) && bytes[dir.bytes.count] == 0x2f
    }
}
