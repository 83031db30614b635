import Foundation
import Layers
import OCI

extension Builder {
    /// Cleans a source path the way Docker does: rooted at the source, `..` cannot climb out.
    static func cleanSource(_ s: String) -> String {
        var parts: [Substring] = []
        for p in s.split(separator: "/") {
            if p == "." { continue }
            if p == ".." { if !parts.isEmpty { parts.removeLast() }; continue }
            parts.append(p)
        }
        return parts.joined(separator: "/")
    }

    func sortedPaths(_ source: CopySource) -> [String] {
        switch source {
        case .context: return context.sortedPaths
        case .stage(let s): return s.files.keys.sorted()
        }
    }

    func node(_ path: String, in source: CopySource) throws -> SourceNode? {
        switch source {
        case .context:
            if path.isEmpty { return SourceNode(path: "", kind: .directory, mode: 0o755) }
            guard let f = context.files[path] else { return nil }
            switch f.type {
            case .file:
                return SourceNode(path: path, kind: .file(source: context.absolute(path), size: f.size), mode: f.mode,
                                  linkID: f.links > 1 ? [f.device, f.inode] : nil)
            case .directory: return SourceNode(path: path, kind: .directory, mode: f.mode)
            case .symlink: return SourceNode(path: path, kind: .symlink(target: f.linkTarget ?? ""), mode: 0o777)
            }
        case .stage(let s):
            if path.isEmpty { return SourceNode(path: "", kind: .directory, mode: 0o755) }
            guard let e = s.files[path] else { return nil }
            switch e.kind {
            case .archive, .hardlink:
                throw BuildError("COPY --from: \(path) came from an unpacked archive or is a hard link; copy the original file instead")
            default:
                return SourceNode(path: path, kind: e.kind, mode: e.mode, uid: e.uid, gid: e.gid)
            }
        }
    }

    /// The nodes a source names: one path, or every match of a glob (`*`, `?`, `[…]` within one element).
    func resolve(_ src: String, in source: CopySource) throws -> [SourceNode] {
        let clean = Builder.cleanSource(src)
        let isGlob = clean.contains { "*?[".contains($0) }
        if !isGlob {
            if let n = try node(clean, in: source) { return [n] }
            // A stage built on an image we did not unpack may hold the path in a base layer.
            if case .stage(let s) = source, !s.fromScratch {
                throw BuildError("COPY --from: \(src) is not among the files that stage copied in; "
                    + "files of its base image cannot be copied yet")
            }
            throw BuildError("\(src): no such file or directory in the build context (is it excluded by .dockerignore?)")
        }
        var found: [SourceNode] = []
        for p in sortedPaths(source) where fnmatch(clean, p, FNM_PATHNAME) == 0 {
            if let n = try node(p, in: source) { found.append(n) }
        }
        guard !found.isEmpty else { throw BuildError("\(src): no files in the build context match this pattern") }
        return found
    }

    /// The layer entries for one matched source: a file goes to the destination (or into it when it
    /// is a directory); a directory's contents go into the destination; ADD unpacks a local archive.
    func layerEntries(for n: SourceNode, in source: CopySource, destRel: String, destIsDir: Bool, isAdd: Bool,
                      owner: (Int, Int)?, mode: UInt32?, links: inout [[UInt64]: String]) throws -> [LayerEntry] {
        func join(_ a: String, _ b: String) -> String { a.isEmpty ? b : (b.isEmpty ? a : a + "/" + b) }
        func entry(_ node: SourceNode, at path: String) -> LayerEntry {
            var kind = node.kind
            if let id = node.linkID {
                if let first = links[id] { kind = .hardlink(target: first) } else { links[id] = path }
            }
            var m = node.mode
            if let mode { if case .symlink = node.kind {} else { m = mode } }
            return LayerEntry(path: path, kind: kind, mode: m, uid: owner?.0 ?? node.uid, gid: owner?.1 ?? node.gid)
        }
        if n.isDirectory {
            var out: [LayerEntry] = []
            let prefix = n.path.isEmpty ? "" : n.path + "/"
            for p in sortedPaths(source) where p.hasPrefix(prefix) && p != n.path {
                guard let child = try node(p, in: source) else { continue }
                out.append(entry(child, at: join(destRel, String(p.dropFirst(prefix.count)))))
            }
            return out
        }
        let name = n.path.split(separator: "/").last.map(String.init) ?? n.path
        if isAdd, case .file(let path, _) = n.kind, ArchiveSplicer.isArchive(path) {
            return [LayerEntry(path: destRel, kind: .archive(source: path), mode: 0o755, uid: owner?.0 ?? 0, gid: owner?.1 ?? 0)]
        }
        return [entry(n, at: destIsDir ? join(destRel, name) : destRel)]
    }
}
