import Foundation
import OCI

/// One file, directory or symlink of the build context, as `lstat` saw it.
public struct ContextFile: Hashable, Sendable {
    public enum FileType: Sendable { case file, directory, symlink }
    /// Relative to the context root, without leading "./" ("" is the root itself).
    public var path: String
    public var type: FileType
    public var mode: UInt32
    public var size: Int64
    public var mtime: Int64
    public var ctime: Int64
    public var inode: UInt64
    public var device: UInt64
    public var links: UInt64
    public var linkTarget: String?
}

/// A snapshot of the build context: every file not excluded by `.dockerignore`, by path, from one
/// walk of `lstat` calls; content digests come from the stat cache or are computed on demand.
public final class BuildContext: @unchecked Sendable {
    public let root: String
    public let ignore: DockerIgnore
    public private(set) var files: [String: ContextFile] = [:]
    /// Paths in sorted order, for globbing and for deterministic layers.
    public private(set) var sortedPaths: [String] = []
    let statCache: StatCache?
    private var digests: [String: Digest] = [:]
    private let lock = NSLock()
    /// How many files had to be read and hashed (0 on an unchanged rebuild).
    public private(set) var hashedFiles = 0

    public init(root: String, statCachePath: String?) throws {
        var resolved = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard realpath(root, &resolved) != nil else { throw LayerError.io(root, "build context: " + errnoString()) }
        self.root = String(cString: resolved)
        ignore = try DockerIgnore(contentsOf: self.root + "/.dockerignore")
        statCache = statCachePath.map { StatCache(path: $0) }
        try walk("")
        sortedPaths = files.keys.sorted()
    }

    public func absolute(_ rel: String) -> String { rel.isEmpty ? root : root + "/" + rel }

    private func walk(_ rel: String) throws {
        let dirPath = absolute(rel)
        guard let dir = opendir(dirPath) else { throw LayerError.io(dirPath, errnoString()) }
        defer { closedir(dir) }
        while let ent = readdir(dir) {
            let name = withUnsafePointer(to: ent.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            let childRel = rel.isEmpty ? name : rel + "/" + name
            let abs = absolute(childRel)
            var st = stat()
            guard lstat(abs, &st) == 0 else { throw LayerError.io(abs, errnoString()) }
            let fmt = st.st_mode & S_IFMT
            let isDir = fmt == S_IFDIR
            if ignore.excludes(childRel) {
                // An excluded directory is still walked when a "!" pattern could bring back part of it.
                if !(isDir && ignore.hasExceptions) { continue }
            } else {
                let type: ContextFile.FileType
                var target: String?
                switch fmt {
                case S_IFREG: type = .file
                case S_IFDIR: type = .directory
                case S_IFLNK:
                    type = .symlink
                    var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                    let n = readlink(abs, &buf, Int(PATH_MAX))
                    guard n >= 0 else { throw LayerError.io(abs, errnoString()) }
                    target = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
                default:
                    continue // sockets, fifos and devices are not part of an image context
                }
                files[childRel] = ContextFile(
                    path: childRel, type: type, mode: UInt32(st.st_mode & 0o7777), size: Int64(st.st_size),
                    mtime: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec),
                    ctime: Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec),
                    inode: UInt64(st.st_ino), device: UInt64(st.st_dev), links: UInt64(st.st_nlink), linkTarget: target)
            }
            if isDir { try walk(childRel) }
        }
    }

    /// Content digests of regular files, from the stat cache where it still holds, otherwise
    /// hashed on every core.
    public func contentDigests(_ paths: [String]) throws -> [String: Digest] {
        var out: [String: Digest] = [:]
        var missing: [ContextFile] = []
        lock.lock()
        for p in paths {
            guard let f = files[p], f.type == .file else { continue }
            if let d = digests[p] ?? statCache?.lookup(f) { out[p] = d } else { missing.append(f) }
        }
        lock.unlock()
        if !missing.isEmpty {
            let results = UnsafeMutableBufferPointer<Result<Digest, Error>?>.allocate(capacity: missing.count)
            results.initialize(repeating: nil)
            defer { results.deallocate() }
            let cache = statCache
            let root = root
            nonisolated(unsafe) let slots = results
            let todo = missing
            DispatchQueue.concurrentPerform(iterations: todo.count) { i in
                let f = todo[i]
                slots[i] = Result { try Digest.sha256(fileAt: root + "/" + f.path) }
                if case .success(let d)? = slots[i] { cache?.remember(f, d) }
            }
            for (i, f) in missing.enumerated() { out[f.path] = try results[i]!.get() }
            hashedFiles += missing.count
        }
        lock.lock()
        for (p, d) in out { digests[p] = d }
        lock.unlock()
        return out
    }

    public func saveStatCache(_ write: (Data, String) throws -> Void) throws {
        try statCache?.save(write)
    }
}
