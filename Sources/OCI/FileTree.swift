import Foundation

/// Directory work that never follows a symbolic link and never builds a long path: every step is
/// relative to an open directory (openat, mkdirat, unlinkat), so a link a layer or a step left
/// cannot lead a write, a removal or a new directory out of the tree, and a tree deeper than
/// PATH_MAX can still be removed.
public enum FileTree {
    /// Opens the directory `components` names below `dir` (a descriptor), each one a real
    /// directory, made 0755 when `create` and missing. The caller closes what it gets.
    public static func openDirectory(_ dir: Int32, _ components: [[UInt8]], create: Bool) throws -> Int32 {
        var fd = dup(dir)
        guard fd >= 0 else { throw FileTreeError("dup: \(String(cString: strerror(errno)))") }
        for name in components {
            guard !name.isEmpty, name != [0x2e], name != [0x2e, 0x2e] else {
                close(fd)
                throw FileTreeError("a path element \"\(String(decoding: name, as: UTF8.self))\" names no directory")
            }
            var next = name.withCString { openat(fd, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            if next < 0, errno == ENOENT, create {
                _ = name.withCString { mkdirat(fd, $0, 0o755) }
                next = name.withCString { openat(fd, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
            }
            let err = errno
            close(fd)
            guard next >= 0 else {
                let why = err == ELOOP || err == ENOTDIR ? "is a symbolic link or not a directory" : String(cString: strerror(err))
                throw FileTreeError("\(String(decoding: name, as: UTF8.self)): \(why)")
            }
            fd = next
        }
        return fd
    }

    /// Opens `path` itself as a directory, following no link in its last element.
    public static func open(_ path: String) throws -> Int32 {
        let fd = Glibc.open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw FileTreeError("\(path): \(String(cString: strerror(errno)))") }
        return fd
    }

    /// Removes the entry `name` of the directory `dir`, and all below it when it is a directory.
    public static func remove(_ name: [UInt8], in dir: Int32) {
        if name.withCString({ unlinkat(dir, $0, 0) }) == 0 || errno == ENOENT { return }
        let sub = name.withCString { openat(dir, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
        guard sub >= 0 else { return }
        // A directory without write or search permission still empties as root; as another
        // user, open it up first (it is ours to remove).
        fchmod(sub, 0o700)
        for child in entries(sub) { remove(child, in: sub) }
        close(sub)
        _ = name.withCString { unlinkat(dir, $0, AT_REMOVEDIR) }
    }

    /// Removes `path` and everything below it.
    public static func removeTree(_ path: String) {
        let parent = (path as NSString).deletingLastPathComponent
        let fd = Glibc.open(parent.isEmpty ? "." : parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        defer { close(fd) }
        remove(Array((path as NSString).lastPathComponent.utf8), in: fd)
    }

    /// The names in an open directory (without "." and "..").
    public static func entries(_ dir: Int32) -> [[UInt8]] {
        let copy = dup(dir)
        guard copy >= 0, let d = fdopendir(copy) else { return [] }
        defer { closedir(d) }
        rewinddir(d)
        var out: [[UInt8]] = []
        while let ent = readdir(d) {
            let name = withUnsafeBytes(of: ent.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if name == [0x2e] || name == [0x2e, 0x2e] { continue }
            out.append(name)
        }
        return out
    }
}

public struct FileTreeError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

extension Array where Element == UInt8 {
    func withCString<R>(_ body: (UnsafePointer<CChar>) throws -> R) rethrows -> R {
        try (self + [0]).withUnsafeBufferPointer { try $0.withMemoryRebound(to: CChar.self) { try body($0.baseAddress!) } }
    }
}
