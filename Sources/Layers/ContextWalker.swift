import Foundation

/// Walks a context directory tree with `fstatat`, sharing subtrees out to every core: system calls
/// are most of an unchanged rebuild's time.
final class ContextWalker: @unchecked Sendable {
    let root: String
    let ignore: DockerIgnore

    init(root: String, ignore: DockerIgnore) {
        self.root = root
        self.ignore = ignore
    }

    func walk() throws -> [ContextFile] {
        var files: [ContextFile] = []
        var frontier: [PathBytes] = [""]
        // Breadth-first until there are enough directories to share out, then one subtree per task.
        while !frontier.isEmpty, frontier.count < 32 {
            var next: [PathBytes] = []
            for dir in frontier { try read(dir, into: &files, subdirs: &next) }
            frontier = next
        }
        guard !frontier.isEmpty else { return files }
        let slots = UnsafeMutableBufferPointer<Result<[ContextFile], Error>?>.allocate(capacity: frontier.count)
        slots.initialize(repeating: nil)
        defer { slots.deallocate() }
        nonisolated(unsafe) let out = slots
        let dirs = frontier
        DispatchQueue.concurrentPerform(iterations: dirs.count) { i in
            out[i] = Result {
                var found: [ContextFile] = []
                var stack = [dirs[i]]
                while let dir = stack.popLast() { try read(dir, into: &found, subdirs: &stack) }
                return found
            }
        }
        for slot in slots { files += try slot!.get() }
        return files
    }

    private func absolute(_ rel: PathBytes) -> PathBytes { PathBytes(root).appending(rel) }

    /// Reads one directory relative to its descriptor, so no absolute path is built per file.
    /// Names stay the kernel's bytes: one that is not UTF-8 is a name like any other.
    private func read(_ rel: PathBytes, into files: inout [ContextFile], subdirs: inout [PathBytes]) throws {
        let dirPath = absolute(rel)
        let dfd = dirPath.withCString { open($0, O_RDONLY | O_DIRECTORY | O_CLOEXEC) }
        guard dfd >= 0, let dir = fdopendir(dfd) else { throw LayerError.io(dirPath.description, errnoString()) }
        defer { closedir(dir) }
        while let ent = readdir(dir) {
            let name = withUnsafePointer(to: ent.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { PathBytes(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            let childRel = rel.appending(name)
            var st = stat()
            guard name.withCString({ fstatat(dfd, $0, &st, AT_SYMLINK_NOFOLLOW) }) == 0 else {
                throw LayerError.io(absolute(childRel).description, errnoString())
            }
            let fmt = st.st_mode & S_IFMT
            let isDir = fmt == S_IFDIR
            if ignore.excludes(childRel) {
                // An excluded directory is still walked when a "!" pattern could bring back part of it.
                if isDir && ignore.hasExceptions { subdirs.append(childRel) }
                continue
            }
            let type: ContextFile.FileType
            var target: PathBytes?
            switch fmt {
            case S_IFREG: type = .file
            case S_IFDIR: type = .directory
            case S_IFLNK:
                type = .symlink
                var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
                let n = name.withCString { readlinkat(dfd, $0, &buf, Int(PATH_MAX)) }
                guard n >= 0 else { throw LayerError.io(absolute(childRel).description, errnoString()) }
                target = PathBytes(buf[0..<n].map { UInt8(bitPattern: $0) })
            default:
                continue // sockets, fifos and devices are not part of an image context
            }
            files.append(ContextFile(
                path: childRel, type: type, mode: UInt32(st.st_mode & 0o7777), size: Int64(st.st_size),
                mtime: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec),
                ctime: Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec),
                inode: UInt64(st.st_ino), device: UInt64(st.st_dev), links: UInt64(st.st_nlink), linkTarget: target))
            if isDir { subdirs.append(childRel) }
        }
    }
}
