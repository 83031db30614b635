import Foundation
import OCI

/// A snapshot of the build context: every file not excluded by its ignore file (`.dockerignore` and
/// the others `DockerIgnore.file` names), sorted by path, from one walk of `fstatat` calls. Content
/// digests come from the stat cache or are hashed on demand.
public final class BuildContext: @unchecked Sendable {
    public let root: String
    public let ignore: DockerIgnore
    public private(set) var files: ContextFiles
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
        files = try ContextWalker(root: self.root, ignore: ignore, records: statCachePath.flatMap(StatCache.File.init)).walk()
    }

    public func absolute(_ rel: PathBytes) -> PathBytes { PathBytes(root).appending(rel) }

    /// The index of a path, by binary search.
    public func index(of path: PathBytes) -> Int? {
        path.bytes.withUnsafeBytes { key in
            let i = files.lowerBound(key)
            guard i < files.count, files.withPath(i, { ContextFiles.compare($0, key) == 0 }) else { return nil }
            return i
        }
    }

    /// The indexes of everything below a directory ("" is the root), in path order: one run,
    /// found by two binary searches.
    public func indexes(under dir: PathBytes) -> Range<Int> {
        if dir.isEmpty { return 0..<files.count }
        return (dir.bytes + [0x2f]).withUnsafeBytes { prefix in
            files.lowerBound(prefix)..<files.lowerBound(prefix, prefixOnly: true)
        }
    }

    /// Makes sure the files at these indexes have content digests: those the stat cache did not
    /// vouch for are hashed on every core.
    public func hash(_ indexes: [Int]) throws {
        let missing = indexes.filter { files.records[$0].type == .file && files.records[$0].digest == nil }
        guard !missing.isEmpty else { return }
        let results = UnsafeMutableBufferPointer<Result<Digest, Error>?>.allocate(capacity: missing.count)
        results.initialize(repeating: nil)
        defer {
            results.deinitialize()
            results.deallocate()
        }
        nonisolated(unsafe) let slots = results
        do {
            // A second reference to the files for the workers, gone before they are written to
            // (or the write would copy them all).
            let all = files
            let base = PathBytes(root)
            DispatchQueue.concurrentPerform(iterations: missing.count) { k in
                slots[k] = Result { try FileReader.sha256(base.appending(all.path(missing[k]))) }
            }
        }
        for (k, i) in missing.enumerated() { files.records[i].digest = try results[k]!.get() }
        hashedFiles += missing.count
        dirty = true
    }

    /// Writes the stat records through `write(path, fill)`, which must hand `fill` a file
    /// descriptor to write to and replace the file at `path` atomically when it returns true.
    public func saveStatCache(_ write: (String, (Int32) -> Bool) throws -> Void) throws {
        guard dirty, let statCachePath else { return }
        let files = self.files
        let startedAt = self.startedAt
        try write(statCachePath) { StatCache.write(files, startedAt: startedAt, to: $0) }
        dirty = false
    }
}
