import CArchive
import Foundation
import Layers
import OCI

/// What a step changed in a copied root (`RootCopy`), as the entries of a layer: the tree is
/// walked beside the snapshots it was copied from, as containerd's double-walk differ does
/// (continuity's fs.Changes), and a path is changed when its type, mode, owner, device, size,
/// link target, layer attributes or modification time (nanoseconds included) differ, or, when all
/// that is equal and the times have no nanoseconds (as times from a tar have none), its bytes.
/// A deleted path becomes a whiteout; a directory that is not the one copied there (removed and
/// made again, or moved in) becomes an opaque directory with all it holds, and parents of a change
/// go in, as overlayfs's upper directory would have them, so both give the same layer.
///
/// The walk opens every directory of the tree from its parent's descriptor without following a
/// link, so nothing the step left can lead it out of the tree; and an inode whose ctime is not past
/// the copy's (see `RootCopy`), in a directory known to be the one copied, is the copy itself and
/// is not read.
enum TreeDiff {
    /// Paths the walk looks at, at most: the tree is the stage's whole filesystem.
    static let maxWalked = 20_000_000

    static func entries(tree: String, lowers: [String], copy: RootCopy, stubs: Set<PathBytes>) throws -> [LayerEntry] {
        var walk = Walk(root: PathBytes(tree), copy: copy, stubs: stubs)
        let fd = try FileTree.open(tree)
        defer { close(fd) }
        _ = try walk.directory(fd, lower: try LowerStack.root(lowers), path: "", state: .copied(entriesChanged: true))
        return walk.out.entries
    }
}

private struct Walk {
    /// What a directory of the tree is to the one at its path in the stage.
    enum State: Equatable {
        /// The directory copied there; `entriesChanged`: its ctime moved, so names may have come or gone.
        case copied(entriesChanged: Bool)
        /// Perhaps not (the filesystem took no markers): everything below is compared.
        case unknown
        /// Another directory (made by the step, or moved there): everything below is new.
        case new
    }

    let root: PathBytes
    let copy: RootCopy
    let stubs: Set<PathBytes>
    var out = ChangeSet()
    var walked = 0

    init(root: PathBytes, copy: RootCopy, stubs: Set<PathBytes>) {
        self.root = root
        self.copy = copy
        self.stubs = stubs
    }

    /// Returns whether anything below `path` went into the layer.
    mutating func directory(_ fd: Int32, lower: LowerStack.Directory?, path: PathBytes, state: State) throws -> Bool {
        let before = out.count
        var names = Set(FileTree.entries(fd))
        if state != .new, state != .copied(entriesChanged: false), let lower {
            for e in LowerStack.entries(lower) { names.insert(e.name) }
        }
        for name in names.sorted(by: { PathBytes($0) < PathBytes($1) }) {
            walked += 1
            guard walked <= TreeDiff.maxWalked else { throw RootfsError("the step's filesystem holds more than \(TreeDiff.maxWalked) files") }
            try child(name, of: fd, lower: lower, path: path.appending(PathBytes(name)), state: state)
        }
        return out.count > before
    }

    mutating func child(_ name: [UInt8], of dir: Int32, lower: LowerStack.Directory?, path: PathBytes, state: State) throws {
        // A device 0/0 is a deletion, as overlayfs reads one a step makes.
        guard let st = LowerStack.status(dir, name), !LowerStack.isWhiteout(st) else {
            if state != .new, let lower, LowerStack.entry(name, in: lower) != nil { try out.whiteout(path) }
            return
        }
        let kind = st.st_mode & S_IFMT
        let touched = isAfterCopy(st.st_ctim)
        let copied = state != .new && state != .unknown
        // Untouched since the copy, in the directory copied there: the copy itself.
        if copied, !touched, kind != S_IFDIR { return }
        let full = root.appending(path)
        guard full.bytes.count < Int(PATH_MAX) else {
            throw RootfsError("/\(path.description.prefix(200)): \(String(cString: strerror(ENAMETOOLONG))) (a step's paths must fit in \(PATH_MAX) bytes)")
        }
        let was = state == .new ? nil : lower.flatMap { LowerStack.entry(name, in: $0) }
        let xattrs = LayerXattrs.read(LayerXattrs.path(dir, name), keep: LayerXattrs.belongsInLayer)
        switch kind {
        case S_IFDIR:
            let sub = try FileTree.openDirectory(dir, [name], create: false)
            defer { close(sub) }
            let inner = subState(sub, was: was, path: path, state: state, untouched: copied && !touched)
            let opaque = inner == .new && was != nil
            let at = try out.directory(path, st, xattrs: xattrs, opaque: opaque)
            let lowerDir = inner == .new ? nil : lower.flatMap { LowerStack.directory(name, in: $0) }
            if try !directory(sub, lower: lowerDir, path: path, state: inner), !opaque {
                let keep = inner == .new ? !stubs.contains(path) : !same(st, xattrs, was)
                if !keep { out.drop(from: at) }
            }
        case S_IFREG:
            if stubs.contains(path), st.st_size == 0 { return }
            // A file with links that the step touched goes in whole, so that its links stay
            // together in the layer (overlayfs copies it up with them).
            let relinked = touched && st.st_nlink > 1
            if !relinked, let was, same(st, xattrs, was), try sameBytes(dir, name, was, size: Int(st.st_size)) { return }
            try out.file(path, st, source: full, xattrs: xattrs)
        case S_IFLNK:
            let target = try readLink(dir, name, path)
            if let was, same(st, xattrs, was), try readLink(was.dir, was.name, path) == target { return }
            try out.symlink(path, st, target: target, xattrs: xattrs)
        default:
            // Devices, pipes and sockets a step made have no place in a layer here, as with overlayfs.
            return
        }
    }

    /// Whether the directory at `path` is the one copied there.
    func subState(_ fd: Int32, was: LowerStack.Entry?, path: PathBytes, state: State, untouched: Bool) -> State {
        guard state != .new, let was, was.st.st_mode & S_IFMT == S_IFDIR else { return .new }
        if untouched { return .copied(entriesChanged: false) }
        if state == .unknown || !copy.marked { return .unknown }
        var mark = [UInt8](repeating: 0, count: 8)
        let n = fgetxattr(fd, RootCopy.marker, &mark, mark.count)
        return n == 8 && mark == RootCopy.mark(path) ? .copied(entriesChanged: true) : .new
    }

    func isAfterCopy(_ t: timespec) -> Bool {
        t.tv_sec > copy.finished.tv_sec || (t.tv_sec == copy.finished.tv_sec && t.tv_nsec > copy.finished.tv_nsec)
    }

    /// Everything but the bytes, as containerd's sameFile compares it (and all the attributes a
    /// layer keeps, not only security.capability).
    func same(_ st: stat, _ xattrs: [String: [UInt8]]?, _ was: LowerStack.Entry?) -> Bool {
        guard let was else { return false }
        let w = was.st
        guard st.st_mode == w.st_mode, st.st_uid == w.st_uid, st.st_gid == w.st_gid, st.st_rdev == w.st_rdev,
              xattrs == LayerXattrs.read(LayerXattrs.path(was.dir, was.name), keep: LayerXattrs.belongsInLayer) else { return false }
        if st.st_mode & S_IFMT == S_IFDIR { return true }
        return st.st_size == w.st_size && st.st_mtim.tv_sec == w.st_mtim.tv_sec && st.st_mtim.tv_nsec == w.st_mtim.tv_nsec
    }

    /// With times that carry nanoseconds, equal metadata is enough (containerd's rule); times
    /// without any may have been cut to the second, and then the bytes are compared.
    func sameBytes(_ dir: Int32, _ name: [UInt8], _ was: LowerStack.Entry, size: Int) throws -> Bool {
        if was.st.st_mtim.tv_nsec != 0 || size == 0 { return true }
        let a = PathBytes(name).withCString { openat(dir, $0, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
        let b = PathBytes(was.name).withCString { openat(was.dir, $0, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
        defer {
            if a >= 0 { close(a) }
            if b >= 0 { close(b) }
        }
        guard a >= 0, b >= 0 else { return false }
        let chunk = 64 << 10
        var x = [UInt8](repeating: 0, count: chunk), y = [UInt8](repeating: 0, count: chunk)
        var left = size
        while left > 0 {
            let n = read(a, &x, min(chunk, left)), m = read(b, &y, min(chunk, left))
            guard n > 0, n == m, x[..<n] == y[..<m] else { return false }
            left -= n
        }
        return true
    }

    func readLink(_ dir: Int32, _ name: [UInt8], _ path: PathBytes) throws -> PathBytes {
        var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = PathBytes(name).withCString { readlinkat(dir, $0, &buf, buf.count - 1) }
        guard n >= 0 else { throw RootfsError("/\(path): \(String(cString: strerror(errno)))") }
        return PathBytes(buf[..<n].map { UInt8(bitPattern: $0) })
    }
}
