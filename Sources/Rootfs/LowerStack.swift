import CArchive
import Foundation
import Layers
import OCI

/// A stage's snapshots (overlayfs's form: a deletion is a character device 0/0, an opaque
/// directory has `trusted.overlay.opaque=y`) read as the one tree overlayfs would show, without
/// mounting anything: what a copied root is made of, and what it is compared with after the step.
/// Every directory is opened from its parent's descriptor without following a link.
struct LowerStack {
    /// One directory of the merged tree: the layers' directories that make it, top first, down
    /// to the first that is opaque.
    final class Directory {
        let fds: [Int32]
        init(_ fds: [Int32]) { self.fds = fds }
        deinit { for fd in fds { close(fd) } }
    }

    /// A name of a merged directory as the topmost layer that has it holds it.
    struct Entry {
        var name: [UInt8]
        var st: stat
        /// The directory (a descriptor of the layer it is in) that holds it.
        var dir: Int32
    }

    /// `layers`: the snapshot directories, bottom first.
    static func root(_ layers: [String]) throws -> Directory {
        var fds: [Int32] = []
        for path in layers.reversed() {
            do { fds.append(try FileTree.open(path)) } catch {
                for fd in fds { close(fd) }
                throw RootfsError("\(error)")
            }
            if isOpaque(fds.last!) { break }
        }
        return Directory(fds)
    }

    /// The names `dir` holds, sorted by their bytes, each as its topmost layer holds it.
    static func entries(_ dir: Directory) -> [Entry] {
        var seen: Set<[UInt8]> = []
        var out: [Entry] = []
        for fd in dir.fds {
            for name in FileTree.entries(fd) where seen.insert(name).inserted {
                guard let st = status(fd, name), !isWhiteout(st) else { continue }
                out.append(Entry(name: name, st: st, dir: fd))
            }
        }
        return out.sorted { PathBytes($0.name) < PathBytes($1.name) }
    }

    /// `name` in `dir`, or nil when no layer has it or the topmost that does deletes it.
    static func entry(_ name: [UInt8], in dir: Directory) -> Entry? {
        for fd in dir.fds {
            guard let st = status(fd, name) else { continue }
            return isWhiteout(st) ? nil : Entry(name: name, st: st, dir: fd)
        }
        return nil
    }

    /// The directory `name` of `dir`, or nil when it is not a directory there.
    static func directory(_ name: [UInt8], in dir: Directory) -> Directory? {
        var fds: [Int32] = []
        for fd in dir.fds {
            guard let st = status(fd, name) else { continue }
            // A file or a deletion in a layer hides whatever lower layers hold at the name.
            guard st.st_mode & S_IFMT == S_IFDIR,
                  let sub = try? FileTree.openDirectory(fd, [name], create: false) else { break }
            fds.append(sub)
            if isOpaque(sub) { break }
        }
        return fds.isEmpty ? nil : Directory(fds)
    }

    static func status(_ dir: Int32, _ name: [UInt8]) -> stat? {
        var st = stat()
        return PathBytes(name).withCString { fstatat(dir, $0, &st, AT_SYMLINK_NOFOLLOW) } == 0 ? st : nil
    }

    static func isWhiteout(_ st: stat) -> Bool { st.st_mode & S_IFMT == S_IFCHR && st.st_rdev == 0 }

    static func isOpaque(_ dir: Int32) -> Bool {
        var value: UInt8 = 0
        return fgetxattr(dir, OverlayMount.opaqueAttribute, &value, 1) == 1 && value == UInt8(ascii: "y")
    }
}
