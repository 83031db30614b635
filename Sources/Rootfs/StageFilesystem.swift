import Layers

/// A stage's filesystem as its layers stack up, whiteouts applied: what COPY's destination rules,
/// `--chown` by name and WORKDIR look at. Paths are looked up the way the kernel would inside the
/// root: symbolic links are followed, an absolute target starts again at the root, `..` never
/// climbs above it, and a loop ends the lookup.
public struct StageFilesystem: Sendable {
    private var nodes: [PathBytes: RootfsEntry] = [:]

    /// Links one lookup may follow, as the kernel's MAXSYMLINKS.
    public static let maxLinks = 40

    public init() {}

    public init(layers: [LayerListing]) {
        for l in layers { apply(l) }
    }

    public var count: Int { nodes.count }

    /// Stacks one more layer: its whiteouts and opaque directories hide what the layers below
    /// hold there, then its entries are added (replacing what was at their paths).
    public mutating func apply(_ layer: LayerListing) {
        if !layer.whiteouts.isEmpty || !layer.opaque.isEmpty {
            let gone = Set(layer.whiteouts)
            let emptied = Set(layer.opaque)
            nodes = nodes.filter { path, _ in
                var ancestor = path
                var first = true
                while true {
                    if gone.contains(ancestor) { return false }
                    if !first, emptied.contains(ancestor) { return false }
                    if ancestor.isEmpty { return true }
                    ancestor = ancestor.parent
                    first = false
                }
            }
        }
        for e in layer.entries {
            // A non-directory replacing a directory takes what was below it away, as unpacking does.
            if let old = nodes[e.path], old.kind == .directory, e.kind != .directory {
                nodes = nodes.filter { !$0.key.isBelow(e.path) }
            }
            nodes[e.path] = e
            // Parents a layer does not list are made by unpacking it, as root-owned 0755 directories.
            var parent = e.path.parent
            while !parent.isEmpty, nodes[parent] == nil {
                nodes[parent] = RootfsEntry(path: parent, kind: .directory, mode: 0o755)
                parent = parent.parent
            }
        }
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
    public func entries(below dir: PathBytes) -> [RootfsEntry] {
        nodes.values.filter { $0.path.isBelow(dir) }.sorted { $0.path < $1.path }
    }

    /// Every path but the root, in byte order, for wildcards.
    public var paths: [PathBytes] { nodes.keys.filter { !$0.isEmpty }.sorted() }

    /// Whether `path`, links followed, is a directory.
    public func isDirectory(_ path: PathBytes) -> Bool {
        (try? resolve(path))?.entry?.kind == .directory
    }

    private func node(_ path: PathBytes) -> RootfsEntry? {
        if path.isEmpty { return nodes[path] ?? RootfsEntry(path: "", kind: .directory, mode: 0o755) }
        if let e = nodes[path] { return e }
        return nil
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
