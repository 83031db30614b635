import CArchive
import Foundation
import Layers
import OCI

/// A stage's filesystem copied out of its snapshots into one plain directory, for a step to run
/// on where no overlay can be mounted: owners, modes, times, extended attributes (security.capability
/// among them) and device nodes as the layers hold them, deletions and opaque directories applied,
/// and files linked together where one layer links them (layers never share an inode).
///
/// What the step changed is found later by comparing the tree with the snapshots (`TreeDiff`).
/// Two facts recorded here keep that comparison from reading every file again:
/// - `finished`: every inode the copy made has a ctime no later than it, and anything the step
///   does to an inode (writing, chmod, chown, an attribute, a rename, a new link) sets its ctime
///   past it, which the step cannot undo;
/// - each directory carries `marker`, a keyed hash of the path it was made for, in the trusted
///   namespace a step cannot read or write (no CAP_SYS_ADMIN): a directory that moved, or was
///   removed and made again, is told from the one copied there.
struct RootCopy {
    static let marker = "trusted.imagectl.copied"
    /// More entries than any stage should hold: the copy stops there rather than fill the disk.
    static let maxEntries = 20_000_000

    let finished: timespec
    /// Whether the filesystem took the markers; without them no directory is trusted to be the one
    /// copied, and every file is compared.
    let marked: Bool

    /// Copies the merged `lowers` (bottom first) into the empty directory `target`.
    static func make(lowers: [String], at target: String, stamp: String) throws -> RootCopy {
        let root = try FileTree.open(target)
        defer { close(root) }
        var copier = Copier(root: root)
        try copier.directory(LowerStack.root(lowers), into: root, path: "")
        return RootCopy(finished: try settle(stamp), marked: copier.marked)
    }

    /// A keyed hash of `path`: the key is this process's own (Hasher's random seed), so no step can
    /// make two paths share one.
    static func mark(_ path: PathBytes) -> [UInt8] {
        var h = Hasher()
        h.combine(path.bytes)
        return withUnsafeBytes(of: h.finalize().littleEndian) { Array($0) }
    }

    /// The ctime of a new file at `stamp`, once the clock has moved past it: the copy's inodes
    /// were all changed before it, and whatever the step changes later gets a later one.
    static func settle(_ stamp: String) throws -> timespec {
        let fd = open(stamp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw RootfsError("\(stamp): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var first = stat(), now = stat()
        fstat(fd, &first)
        // Timestamps advance by the kernel's tick: a few milliseconds at most.
        for _ in 0..<1000 {
            futimens(fd, nil)
            fstat(fd, &now)
            if now.st_ctim.tv_sec > first.st_ctim.tv_sec || (now.st_ctim.tv_sec == first.st_ctim.tv_sec && now.st_ctim.tv_nsec > first.st_ctim.tv_nsec) {
                return first.st_ctim
            }
            usleep(1000)
        }
        throw RootfsError("\(stamp): the filesystem's clock does not advance")
    }
}

/// The recursive copy, with what it must remember on the way.
private struct Copier {
    let root: Int32
    var marked = true
    var count = 0
    /// The first path of each multiply linked file, by (device, inode) of the snapshot's file.
    var linked: [[UInt64]: PathBytes] = [:]

    mutating func directory(_ src: LowerStack.Directory, into dst: Int32, path: PathBytes) throws {
        for e in LowerStack.entries(src) {
            count += 1
            guard count <= RootCopy.maxEntries else { throw RootfsError("the stage holds more than \(RootCopy.maxEntries) files") }
            let rel = path.appending(PathBytes(e.name))
            do { try entry(e, src, into: dst, path: rel) } catch let e as RootfsError { throw e } catch {
                throw RootfsError("copying /\(rel): \(error)")
            }
        }
    }

    mutating func entry(_ e: LowerStack.Entry, _ src: LowerStack.Directory, into dst: Int32, path: PathBytes) throws {
        let name = PathBytes(e.name)
        let st = e.st
        switch st.st_mode & S_IFMT {
        case S_IFDIR:
            guard name.withCString({ mkdirat(dst, $0, 0o700) }) == 0 else { throw failure("mkdir", path) }
            let fd = try FileTree.openDirectory(dst, [e.name], create: false)
            defer { close(fd) }
            guard let sub = LowerStack.directory(e.name, in: src) else { throw RootfsError("/\(path) changed while it was copied") }
            try directory(sub, into: fd, path: path)
            let mark = RootCopy.mark(path)
            if marked, fsetxattr(fd, RootCopy.marker, mark, mark.count, 0) != 0 { marked = false }
            try finish(fd, like: st, from: LayerXattrs.path(e.dir, e.name), path: path)
        case S_IFREG:
            let id = [UInt64(st.st_dev), UInt64(st.st_ino)]
            if st.st_nlink > 1, let first = linked[id] {
                // Inside the copy, made by this walk: no link on the way to the first path.
                guard first.withCString({ from in name.withCString { linkat(root, from, dst, $0, 0) } }) == 0 else { throw failure("link", path) }
                return
            }
            let from = name.withCString { openat(e.dir, $0, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) }
            guard from >= 0 else { throw failure("open", path) }
            defer { close(from) }
            let to = name.withCString { openat(dst, $0, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600) }
            guard to >= 0 else { throw failure("create", path) }
            defer { close(to) }
            do { try DescriptorCopy.copy(from: from, to: to, size: Int(st.st_size)) } catch {
                throw RootfsError("copying /\(path): \(error)")
            }
            if st.st_nlink > 1 { linked[id] = path }
            try finish(to, like: st, from: LayerXattrs.path(e.dir, e.name), path: path)
        case S_IFLNK:
            var buf = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = name.withCString { readlinkat(e.dir, $0, &buf, buf.count - 1) }
            guard n >= 0 else { throw failure("readlink", path) }
            buf[n] = 0
            guard name.withCString({ symlinkat(buf, dst, $0) }) == 0 else { throw failure("symlink", path) }
            try finishInPlace(dst, name, like: st, from: LayerXattrs.path(e.dir, e.name), path: path)
        default:
            // Devices, pipes and sockets: made as they are, never opened.
            guard name.withCString({ mknodat(dst, $0, st.st_mode & (S_IFMT | 0o777), st.st_rdev) }) == 0 else { throw failure("mknod", path) }
            try finishInPlace(dst, name, like: st, from: LayerXattrs.path(e.dir, e.name), path: path)
        }
    }

    /// Owner, then mode (a new owner clears setuid), then attributes (a new owner clears
    /// security.capability), then times (the rest would change them).
    func finish(_ fd: Int32, like st: stat, from source: PathBytes, path: PathBytes) throws {
        guard fchown(fd, st.st_uid, st.st_gid) == 0, fchmod(fd, st.st_mode & 0o7777) == 0 else { throw failure("chown", path) }
        try copyXattrs(from: source, path: path) { fsetxattr(fd, $0, $1, $1.count, 0) }
        var times = [st.st_atim, st.st_mtim]
        guard futimens(fd, &times) == 0 else { throw failure("utimens", path) }
    }

    /// The same for what cannot be opened (a link, a device).
    func finishInPlace(_ dir: Int32, _ name: PathBytes, like st: stat, from source: PathBytes, path: PathBytes) throws {
        try name.withCString { n in
            guard fchownat(dir, n, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) == 0 else { throw failure("chown", path) }
            if st.st_mode & S_IFMT != S_IFLNK, fchmodat(dir, n, st.st_mode & 0o7777, 0) != 0 { throw failure("chmod", path) }
        }
        let target = LayerXattrs.path(dir, name.bytes)
        try copyXattrs(from: source, path: path) { key, value in target.withCString { lsetxattr($0, key, value, value.count, 0) } }
        var times = [st.st_atim, st.st_mtim]
        guard name.withCString({ utimensat(dir, $0, &times, AT_SYMLINK_NOFOLLOW) }) == 0 else { throw failure("utimens", path) }
    }

    /// Every attribute but overlayfs's markers (trusted.*, and user.overlay.* in a user namespace) and ours.
    func copyXattrs(from source: PathBytes, path: PathBytes, set: (String, [UInt8]) -> Int32) throws {
        guard let attrs = LayerXattrs.read(source, keep: { !$0.hasPrefix("trusted.") && !$0.hasPrefix("user.overlay.") }) else { return }
        for (key, value) in attrs.sorted(by: { $0.key < $1.key }) {
            guard set(key, value) == 0 else { throw failure("setxattr \(key)", path) }
        }
    }

    func failure(_ what: String, _ path: PathBytes) -> RootfsError {
        RootfsError("copying the stage's /\(path) (\(what)): \(String(cString: strerror(errno)))")
    }
}
