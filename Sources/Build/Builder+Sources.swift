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

    func stageNode(_ e: LayerEntry) throws -> SourceNode {
        switch e.kind {
        case .archive, .hardlink:
            throw BuildError("COPY --from: \(e.path) came from an unpacked archive or is a hard link; copy the original file instead")
        default:
            return SourceNode(path: e.path, kind: e.kind, mode: e.mode, uid: e.uid, gid: e.gid, contentDigest: e.contentDigest)
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
                guard let i = context.index(of: PathBytes(clean)) else {
                    throw BuildError("\(src): no such file or directory in the build context (is it excluded by an ignore file?)")
                }
                return [try followed(i, src: src)]
            }
            // A pattern may match nothing when another source matches (BuildKit's empty wildcards);
            // the copy as a whole must bring something.
            return try context.files.indices.filter { context.files[$0].path.withCString { fnmatch(clean, $0, FNM_PATHNAME) } == 0 }
                .map { try followed($0, src: src) }
        case .stage(let s):
            if !isGlob {
                if clean.isEmpty { return [SourceNode(path: "", kind: .directory, mode: 0o755)] }
                if let e = s.files.entry(PathBytes(clean)) { return [try stageNode(e)] }
                // A stage built on an image holds more than its own layers say; those files are not read.
                throw BuildError(s.fromScratch ? "COPY --from: \(src) does not exist in that stage"
                    : "COPY --from: \(src) is not among the files that stage copied in; files of its base image cannot be copied yet")
            }
            let found = try s.files.sortedPaths.filter { $0.withCString { fnmatch(clean, $0, FNM_PATHNAME) } == 0 }.map { try stageNode(s.files.entry($0)!) }
            guard !found.isEmpty else { throw BuildError("COPY --from: no files of that stage match \(src)") }
            return found
        }
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
    func contextIndexes(_ n: SourceNode) -> [Int] {
        guard let i = n.contextIndex ?? (n.path.isEmpty ? -1 : nil) else { return [] }
        if n.isDirectory { return Array(context.indexes(under: n.path)) }
        return i >= 0 ? [i] : []
    }

    /// The layer entries for one matched source: a file goes to the destination (or into it when it
    /// is a directory); a directory's contents go into the destination; ADD unpacks a local archive
    /// from the context unless --unpack=false.
    func layerEntries(for n: SourceNode, in source: CopySource, destRel: PathBytes, destIsDir: Bool, unpack: Bool,
                      owner: (Int, Int)?, mode: UInt32?, links: inout [[UInt64]: PathBytes]) throws -> [LayerEntry] {
        func entry(_ node: SourceNode, at path: PathBytes) -> LayerEntry {
            var kind = node.kind
            if let id = node.linkID {
                if let first = links[id] { kind = .hardlink(target: first) } else { links[id] = path }
            }
            var m = node.mode
            if let mode { if case .symlink = node.kind {} else { m = mode } }
            return LayerEntry(path: path, kind: kind, mode: m, uid: owner?.0 ?? node.uid, gid: owner?.1 ?? node.gid,
                              contentDigest: node.contentDigest)
        }
        if n.isDirectory {
            let prefixCount = n.path.isEmpty ? 0 : n.path.bytes.count + 1
            func rebased(_ p: PathBytes) -> PathBytes { destRel.appending(p.dropFirst(prefixCount)) }
            switch source {
            case .context:
                return context.indexes(under: n.path).map { i in
                    let child = contextNode(i)
                    return entry(child, at: rebased(child.path))
                }
            case .stage(let s):
                let prefix = n.path.isEmpty ? "" : PathBytes(n.path.bytes + [0x2f])
                return try s.files.sortedPaths.filter { $0.hasPrefix(prefix) }.map { p in
                    entry(try stageNode(s.files.entry(p)!), at: rebased(p))
                }
            }
        }
        let name = n.path.lastComponent
        if unpack, n.contextIndex != nil, case .file(let path, _) = n.kind, ArchiveSplicer.isArchive(context.absolute(path)) {
            return [LayerEntry(path: destRel, kind: .archive(source: path), mode: 0o755, uid: owner?.0 ?? 0, gid: owner?.1 ?? 0,
                               contentDigest: n.contentDigest)]
        }
        return [entry(n, at: destIsDir ? destRel.appending(name) : destRel)]
    }
}
