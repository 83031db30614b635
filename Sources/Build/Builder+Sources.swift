import Foundation
import Layers
import Rootfs
import OCI

extension Builder {
    /// Cleans a source path the way Docker does: rooted at the source, `..` cannot climb out.
    static func cleanSource(_ s: String) -> String { CleanPath.relative(s, above: .clamp) ?? "" }

    func contextNode(_ i: Int) -> SourceNode {
        let f = context.files[i]
        switch f.type {
        case .file:
            return SourceNode(path: f.path, kind: .file(source: f.path, size: f.size), mode: f.mode,
                              linkID: f.links > 1 ? [f.device, f.inode] : nil, contentDigest: f.digest, contextIndex: i)
        case .directory: return SourceNode(path: f.path, kind: .directory, mode: f.mode, contextIndex: i)
        case .symlink: return SourceNode(path: f.path, kind: .symlink(target: f.linkTarget ?? ""), mode: 0o777, contextIndex: i)
        }
    }

    /// A file, directory or link of a stage as COPY --from reads it, its owner and mode kept. A
    /// file one of the stage's own COPY steps made is read where it came from; any other (its
    /// base image's, an unpacked archive's) is read out of the stage's layers when needed.
    func stageNode(_ e: RootfsEntry, in s: Stage, fs: StageFilesystem, files: StageFiles) throws -> SourceNode {
        switch e.kind {
        case .directory:
            return SourceNode(path: e.path, kind: .directory, mode: e.mode, uid: e.uid, gid: e.gid)
        case .symlink:
            return SourceNode(path: e.path, kind: .symlink(target: e.link ?? ""), mode: e.mode, uid: e.uid, gid: e.gid)
        case .other:
            throw BuildError("COPY --from: /\(e.path) is a device, pipe or socket, which COPY does not copy")
        case .file, .hardlink:
            if !s.files.holdsArchives, let own = s.files.entry(e.path), case .file(let source, _) = own.kind, !source.isEmpty {
                return SourceNode(path: e.path, kind: own.kind, mode: own.mode, uid: own.uid, gid: own.gid, contentDigest: own.contentDigest)
            }
            let link = e.kind == .hardlink ? e.link : nil
            let size = link.flatMap { fs.entry(at: $0)?.size } ?? e.size
            return SourceNode(path: e.path, kind: .file(source: files.place(e.path, linkTarget: link), size: size), mode: e.mode,
                              uid: e.uid, gid: e.gid, contentDigest: StageFiles.key(e.path, layers: s.layers))
        }
    }

    /// The nodes a source names: one path, or every match of a glob (`*`, `?`, `[…]` within one element).
    func resolve(_ src: String, in source: CopySource) throws -> [SourceNode] {
        let clean = Builder.cleanSource(src)
        let isGlob = clean.contains { "*?[".contains($0) }
        switch source {
        case .context:
            if !isGlob {
                if clean.isEmpty { return [SourceNode(path: "", kind: .directory, mode: 0o755)] }
                guard let i = context.index(of: PathBytes(clean)) ?? throughLinks(PathBytes(clean)).flatMap(context.index) else {
                    throw BuildError("\(src): no such file or directory in the build context (is it excluded by an ignore file?)")
                }
                return [try followed(i, src: src)]
            }
            // A pattern may match nothing when another source matches (BuildKit's empty wildcards);
            // the copy as a whole must bring something.
            return try context.files.indices.filter { context.files[$0].path.withCString { fnmatch(clean, $0, FNM_PATHNAME) } == 0 }
                .map { try followed($0, src: src) }
        case .stage(let s, let files):
            // Links are followed inside the stage's root; one named as a source is copied as what
            // it points to, under its own name, as from the context.
            let fs = try rootfs.filesystem(s.layers)
            func named(_ p: PathBytes) throws -> SourceNode? {
                guard let entry = try fs.resolve(p).entry else { return nil }
                var node = try stageNode(entry, in: s, fs: fs, files: files)
                if !node.isDirectory { node.path = p }
                return node
            }
            if !isGlob {
                if clean.isEmpty { return [SourceNode(path: "", kind: .directory, mode: 0o755)] }
                guard let node = try named(PathBytes(clean)) else { throw BuildError("COPY --from: \(src) does not exist in that stage") }
                return [node]
            }
            return try fs.paths.filter { $0.withCString { fnmatch(clean, $0, FNM_PATHNAME) } == 0 }.compactMap(named)
        }
    }

    /// A context path whose directories include symbolic links (`link/foo` with `link -> sub`),
    /// with each followed inside the context as BuildKit does; nil when a link leaves it.
    func throughLinks(_ path: PathBytes) -> PathBytes? {
        var pending = path.components
        var done: [PathBytes] = []
        var hops = 0
        while !pending.isEmpty {
            let here = PathBytes(joining: done + [pending.removeFirst()])
            guard !pending.isEmpty, let i = context.index(of: here), context.files[i].type == .symlink else {
                done = here.components
                continue
            }
            hops += 1
            guard hops <= 40, let target = context.files[i].linkTarget else { return nil }
            let joined = target.bytes.first == 0x2f ? target : here.parent.appending(target)
            guard let clean = CleanPath.relative(joined, above: .refuse) else { return nil }
            done = []
            pending = clean.components + pending
        }
        return PathBytes(joining: done)
    }

    /// A source named in the instruction that is a symbolic link is copied as what it points to,
    /// under the link's own name, as BuildKit follows it; links inside a copied directory stay links.
    /// The target must be in the context: a link never reads outside it.
    func followed(_ index: Int, src: String) throws -> SourceNode {
        var node = contextNode(index)
        let name = node.path
        var hops = 0
        while case .symlink(let target) = node.kind {
            hops += 1
            guard hops <= 40 else { throw BuildError("\(src): too many levels of symbolic links in the build context") }
            let base = target.bytes.first == 0x2f ? "" : node.path.parent
            let joined = base.isEmpty ? target : base.appending(target)
            guard let clean = CleanPath.relative(joined, above: .refuse), let i = context.index(of: clean) else {
                throw BuildError("\(src): a symbolic link to \(target), which is not in the build context; copy the file itself")
            }
            node = contextNode(i)
        }
        // A file takes the link's name; a directory's contents are what is copied, found by its own path.
        if !node.isDirectory { node.path = name }
        return node
    }

    /// Context indexes of every file a matched node brings in, so they can be hashed in one pass.
    func contextIndexes(_ n: SourceNode, exclude: DockerIgnore) -> [Int] {
        guard let i = n.contextIndex ?? (n.path.isEmpty ? -1 : nil) else { return [] }
        if n.isDirectory { return included(context.indexes(under: n.path), in: n, exclude: exclude) }
        return i >= 0 ? [i] : []
    }

    /// The context files under a directory source that no --exclude pattern removes; the patterns
    /// see paths relative to that source.
    func included(_ indexes: some Sequence<Int>, in n: SourceNode, exclude: DockerIgnore) -> [Int] {
        guard !exclude.isEmpty else { return Array(indexes) }
        let prefixCount = n.path.isEmpty ? 0 : n.path.bytes.count + 1
        return indexes.filter { !exclude.excludes(context.files[$0].path.dropFirst(prefixCount)) }
    }

    /// The layer entries for one matched source: a file goes to the destination (or into it when it
    /// is a directory); a directory's contents go into the destination; ADD unpacks a local archive
    /// from the context unless --unpack=false.
    func layerEntries(for n: SourceNode, in source: CopySource, destRel: PathBytes, destIsDir: Bool, unpack: Bool,
                      owner: (Int, Int)?, mode: FileMode?, exclude: DockerIgnore,
                      links: inout [[UInt64]: PathBytes]) throws -> [LayerEntry] {
        func entry(_ node: SourceNode, at path: PathBytes) -> LayerEntry {
            var kind = node.kind
            if let id = node.linkID {
                if let first = links[id] { kind = .hardlink(target: first) } else { links[id] = path }
            }
            var m = node.mode
            if let mode { if case .symlink = node.kind {} else { m = mode.apply(to: m, isDirectory: node.isDirectory) } }
            return LayerEntry(path: path, kind: kind, mode: m, uid: owner?.0 ?? node.uid, gid: owner?.1 ?? node.gid,
                              contentDigest: node.contentDigest)
        }
        if n.isDirectory {
            let prefixCount = n.path.isEmpty ? 0 : n.path.bytes.count + 1
            func rebased(_ p: PathBytes) -> PathBytes { destRel.appending(p.dropFirst(prefixCount)) }
            switch source {
            case .context:
                return included(context.indexes(under: n.path), in: n, exclude: exclude).map { i in
                    let child = contextNode(i)
                    return entry(child, at: rebased(child.path))
                }
            case .stage(let s, let files):
                let fs = try rootfs.filesystem(s.layers)
                return try fs.entries(below: n.path).filter { !exclude.excludes($0.path.dropFirst(prefixCount)) }.map { e in
                    entry(try stageNode(e, in: s, fs: fs, files: files), at: rebased(e.path))
                }
            }
        }
        let name = n.path.lastComponent
        if unpack, n.contextIndex != nil, case .file(let path, _) = n.kind, ArchiveSplicer.isArchive(context.absolute(path)) {
            return [LayerEntry(path: destRel, kind: .archive(source: path, chown: owner != nil), mode: 0o755, uid: owner?.0 ?? 0, gid: owner?.1 ?? 0,
                               contentDigest: n.contentDigest)]
        }
        return [entry(n, at: destIsDir ? destRel.appending(name) : destRel)]
    }
}
