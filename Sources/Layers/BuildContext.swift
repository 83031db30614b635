import Foundation
import OCI

/// One file, directory or symlink of the build context, as `lstat` saw it.
public struct ContextFile: Hashable, Sendable {
    public enum FileType: Sendable { case file, directory, symlink }
    /// Relative to the context root, without leading "./".
    public var path: PathBytes
    public var type: FileType
    public var mode: UInt32
    public var size: Int64
    public var mtime: Int64
    public var ctime: Int64
    public var inode: UInt64
    public var device: UInt64
    public var links: UInt64
    public var linkTarget: PathBytes?
    /// The SHA-256 of the content, once known (from the stat cache or hashed in this build).
    public var digest: Digest?
}

/// A snapshot of the build context: every file not excluded by its ignore file (`.dockerignore` and
/// the others `DockerIgnore.file` names), sorted by path, from one walk of `fstatat` calls. Content
/// digests come from the stat cache or are hashed on demand.
public final class BuildContext: @unchecked Sendable {
    public let root: String
    public let ignore: DockerIgnore
    public private(set) var files: [ContextFile] = []
    let statCachePath: String?
    let startedAt: Int64
    private var dirty = false
    /// How many files had to be read and hashed (0 on an unchanged rebuild).
    public private(set) var hashedFiles = 0

    /// `containerfile` is the Containerfile's path, beside which its own ignore file may be.
    public init(root: String, containerfile: String? = nil, statCachePath: String?) throws {
        startedAt = Int64(Date().timeIntervalSince1970 * 1e9)
        var resolved = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard realpath(root, &resolved) != nil else { throw LayerError.io(root, "build context: " + errnoString()) }
        self.root = resolved.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        ignore = try DockerIgnore.file(context: self.root, containerfile: containerfile).map { try DockerIgnore(contentsOf: $0) }
            ?? DockerIgnore()
        self.statCachePath = statCachePath
        // The stat records are read on another core while this one starts the walk.
        let records = StatCache.Loader(path: statCachePath)
        files = try ContextWalker(root: self.root, ignore: ignore).walk()
        files.sort { $0.path < $1.path }
        StatCache.merge(records.wait(), into: &files)
    }

    public func absolute(_ rel: PathBytes) -> PathBytes { PathBytes(root).appending(rel) }

    /// The index of a path, by binary search.
    public func index(of path: PathBytes) -> Int? {
        let i = lowerBound(path)
        return i < files.count && files[i].path == path ? i : nil
    }

    /// The indexes of everything below a directory ("" is the root), in path order.
    public func indexes(under dir: PathBytes) -> Range<Int> {
        if dir.isEmpty { return 0..<files.count }
        let prefix = PathBytes(dir.bytes + [0x2f])
        let start = lowerBound(prefix)
        var end = start
        while end < files.count, files[end].path.hasPrefix(prefix) { end += 1 }
        return start..<end
    }

    private func lowerBound(_ path: PathBytes) -> Int {
        var lo = 0
        var hi = files.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if files[mid].path < path { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    /// Makes sure the files at these indexes have content digests: those the stat cache did not
    /// vouch for are hashed on every core.
    public func hash(_ indexes: [Int]) throws {
        var missing: [Int] = []
        files.withUnsafeBufferPointer { all in
            for i in indexes where all[i].type == .file && all[i].digest == nil { missing.append(i) }
        }
        guard !missing.isEmpty else { return }
        let results = UnsafeMutableBufferPointer<Result<Digest, Error>?>.allocate(capacity: missing.count)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        nonisolated(unsafe) let slots = results
        let paths = missing.map { absolute(files[$0].path) }
        DispatchQueue.concurrentPerform(iterations: paths.count) { i in
            slots[i] = Result { try FileReader.sha256(paths[i]) }
        }
        for (k, i) in missing.enumerated() { files[i].digest = try results[k]!.get() }
        hashedFiles += missing.count
        dirty = true
    }

    /// Writes the stat records through `write(data, path)`, which must replace the file atomically.
    public func saveStatCache(_ write: (Data, String) throws -> Void) throws {
        guard dirty, let statCachePath else { return }
        try write(StatCache.encode(files, startedAt: startedAt), statCachePath)
        dirty = false
    }
}
