import Foundation

/// Walks a context directory tree with `fstatat`, sharing subtrees out to every core: system calls
/// are most of an unchanged rebuild's time. Paths go straight into each worker's compact
/// `ContextFiles`; nothing is allocated per file unless an ignore file has to look at its name.
final class ContextWalker: @unchecked Sendable {
    let root: String
    let ignore: DockerIgnore
    let device: UInt64

    /// The stat records each task merges its files with, once they are sorted.
    let records: StatCache.File?

    init(root: String, ignore: DockerIgnore, records: StatCache.File?) throws {
        self.root = root
        self.ignore = ignore
        self.records = records
        var st = stat()
        guard lstat(root, &st) == 0 else { throw LayerError.io(root, errnoString()) }
        device = UInt64(st.st_dev)
    }

    /// Every file not excluded, in byte order of their paths, with the digests the stat records vouch for.
    ///
    /// Each task sorts its own subtree's files; a subtree is one run of the whole order (every path
    /// under `d/` sorts after anything below `d/` and before anything above it), so the runs and
    /// the files found before sharing out are put together in one linear pass.
    func walk() throws -> ContextFiles {
        var top = ContextFiles(rootDevice: device)
        var frontier: [[UInt8]] = [[]]
        // Breadth-first until there are enough directories to share out, then one subtree per task.
        while !frontier.isEmpty, frontier.count < 32 {
            var next: [[UInt8]] = []
            for dir in frontier { try read(dir, into: &top, subdirs: &next) }
            frontier = next
        }
        top = top.sorted()
        if let records { StatCache.merge(records, into: &top) }
        guard !frontier.isEmpty else { return top }
        let slots = UnsafeMutableBufferPointer<Result<ContextFiles, Error>?>.allocate(capacity: frontier.count)
        slots.initialize(repeating: nil)
        defer {
            slots.deinitialize()
            slots.deallocate()
        }
        nonisolated(unsafe) let out = slots
        let dirs = frontier
        DispatchQueue.concurrentPerform(iterations: dirs.count) { i in
            out[i] = Result {
                var found = ContextFiles(rootDevice: device)
                var stack = [dirs[i]]
                while let dir = stack.popLast() { try read(dir, into: &found, subdirs: &stack) }
                found = found.sorted()
                if let records { StatCache.merge(records, into: &found) }
                return found
            }
        }
        // The runs in the order of their directories' "d/" prefixes, merged with the files before.
        let runs = dirs.indices.sorted { ContextWalker.less(dirs[$0] + [0x2f], dirs[$1] + [0x2f]) }
        var files = ContextFiles(rootDevice: device)
        // Exactly the room needed: grown by doubling, the arrays of a large context are a third larger.
        var count = top.count
        var bytes = top.byteCount
        for i in slots.indices {
            if case .success(let run) = slots[i]! {
                count += run.count
                bytes += run.byteCount
            }
        }
        files.reserveCapacity(count, bytes: bytes)
        var next = 0
        for r in runs {
            let key = dirs[r] + [0x2f]
            let end = key.withUnsafeBytes { top.lowerBound($0) }
            files.append(top, next..<max(next, end))
            next = max(next, end)
            let run = try slots[r]!.get()
            slots[r] = nil
            files.append(run, 0..<run.count)
        }
        files.append(top, next..<top.count)
        return files
    }

    private static func less(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.withUnsafeBytes { x in b.withUnsafeBytes { y in ContextFiles.compare(x, y) < 0 } }
    }

    private func absolute(_ rel: [UInt8]) -> PathBytes { PathBytes(root).appending(PathBytes(rel)) }

    /// Reads one directory relative to its descriptor, so no absolute path is built per file.
    /// Names stay the kernel's bytes: one that is not UTF-8 is a name like any other.
    private func read(_ rel: [UInt8], into files: inout ContextFiles, subdirs: inout [[UInt8]]) throws {
        let dirPath = absolute(rel)
        let dfd = dirPath.withCString { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard dfd >= 0, let dir = fdopendir(dfd) else { throw LayerError.io(dirPath.description, errnoString()) }
        defer { closedir(dir) }
        // The child's relative path is built in place: this directory's path, a slash, the name.
        var child = rel
        if !child.isEmpty { child.append(0x2f) }
        let stem = child.count
        while let ent = readdir(dir) {
            let found: Bool = withUnsafePointer(to: &ent.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { name in
                    if name[0] == 0x2e, name[1] == 0 || (name[1] == 0x2e && name[2] == 0) { return false }
                    child.removeSubrange(stem...)
                    child.append(contentsOf: UnsafeRawBufferPointer(start: name, count: strlen(name)))
                    return true
                }
            }
            guard found else { continue }
            var st = stat()
            let statted = withUnsafePointer(to: &ent.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { fstatat(dfd, $0, &st, AT_SYMLINK_NOFOLLOW) }
            }
            guard statted == 0 else { throw LayerError.io(absolute(child).description, errnoString()) }
            let fmt = st.st_mode & S_IFMT
            let isDir = fmt == S_IFDIR
            if !ignore.isEmpty, ignore.excludes(PathBytes(child)) {
                // An excluded directory is still walked when a "!" pattern could bring back part of it.
                if isDir && ignore.hasExceptions { subdirs.append(child) }
                continue
            }
            let type: ContextFile.FileType
            var target: PathBytes?
            switch fmt {
            // A socket is copied as an empty file, as BuildKit's context transfer sends it (fsutil
            // clears the socket bit); FileReader reads it as empty.
            case S_IFREG, S_IFSOCK: type = .file
            case S_IFDIR: type = .directory
            case S_IFLNK:
                type = .symlink
                var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let n = withUnsafePointer(to: &ent.pointee.d_name) {
                    $0.withMemoryRebound(to: CChar.self, capacity: 256) { readlinkat(dfd, $0, &buf, Int(PATH_MAX)) }
                }
                guard n >= 0 else { throw LayerError.io(absolute(child).description, errnoString()) }
                target = PathBytes(buf[0..<n].map { UInt8(bitPattern: $0) })
            default:
                continue // fifos and devices are not part of an image context
            }
            let record = ContextFiles.Record(
                size: Int64(st.st_size),
                mtime: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec),
                ctime: Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec),
                inode: UInt64(st.st_ino), mode: UInt16(st.st_mode & 0o7777), links: UInt16(clamping: st.st_nlink), type: type)
            child.withUnsafeBytes { files.append(path: $0, record, device: UInt64(st.st_dev), target: target) }
            if isDir { subdirs.append(child) }
        }
    }
}
