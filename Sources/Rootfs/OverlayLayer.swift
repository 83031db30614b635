import CArchive
import Foundation
import Layers
import OCI
import Processes

/// One layer unpacked on its own, in the form overlayfs stacks: its files as they are (owners,
/// modes, times, xattrs such as security.capability, hard links), a whiteout `.wh.NAME` as the
/// character device 0/0 at NAME, and `.wh..wh..opq` as overlayfs's opaque attribute of its
/// directory. Several of them, lowest last, are a stage's root filesystem.
public enum OverlayLayer {
    public static func unpack(_ path: String, name: String, into dir: String) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        guard let real = realpath(dir, nil) else { throw RootfsError("\(dir): \(String(cString: strerror(errno)))") }
        let root = PathBytes(cString: real)
        free(real)
        let rootFD = try FileTree.open(String(decoding: root.bytes, as: UTF8.self))
        defer { close(rootFD) }
        try Unpacker.extract(path, name: name, into: String(decoding: root.bytes, as: UTF8.self)) { clean in
            let base = clean.lastComponent
            guard base.hasPrefix(".wh.") else { return false }
            // The directory a whiteout or an opaque marker is in is opened without following a
            // link: one the layer wrote earlier cannot send the change out of the root.
            let dir: Int32
            do { dir = try FileTree.openDirectory(rootFD, clean.parent.components.map(\.bytes), create: true) } catch {
                throw RootfsError("\(name): /\(clean): \(error)")
            }
            defer { close(dir) }
            if base == ".wh..wh..opq" {
                guard fsetxattr(dir, OverlayMount.opaqueAttribute, "y", 1, 0) == 0 else {
                    throw RootfsError("\(name): cannot mark /\(clean.parent) opaque: \(String(cString: strerror(errno)))")
                }
                return true
            }
            let gone = Array(base.bytes.dropFirst(4))
            FileTree.remove(gone, in: dir)
            guard gone.withUnsafeBufferPointer({ buf in
                (Array(buf) + [0]).withUnsafeBufferPointer { p in p.withMemoryRebound(to: CChar.self) { mknodat(dir, $0.baseAddress!, S_IFCHR, 0) } }
            }) == 0 else {
                throw RootfsError("\(name): cannot write the whiteout of /\(clean.parent.appending(base.dropFirst(4))): \(String(cString: strerror(errno)))")
            }
            return true
        }
    }
}
