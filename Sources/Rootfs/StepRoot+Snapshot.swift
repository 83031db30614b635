import Foundation
import Layers
import OCI

extension StepRoot {
    /// The upper directory, made what unpacking the step's layer would give, to be kept as that
    /// layer's snapshot: the next step then stacks it instead of unpacking the layer it was just
    /// written into (containerd's overlay snapshotter commits an upper directory the same way).
    /// The runtime's mount points that the layer left out go, and every time becomes the layer's
    /// `epoch`. Only the kernel's overlay writes its upper in the form snapshots are kept in; nil
    /// for the others, or when the upper cannot be made so (then the layer is unpacked as before).
    public func upperAsSnapshot(layer entries: [LayerEntry], epoch: Int) -> String? {
        guard snapshotter == .overlay else { return nil }
        unmount()
        guard let rootFD = try? FileTree.open(upper) else { return nil }
        defer { close(rootFD) }
        let inLayer = Set(entries.map(\.path))
        for stub in stubs.sorted(by: { $0.bytes.count > $1.bytes.count }) where !inLayer.contains(stub) {
            let parts = stub.components.map(\.bytes)
            guard let name = parts.last, let parent = try? FileTree.openDirectory(rootFD, Array(parts.dropLast()), create: false) else { return nil }
            defer { close(parent) }
            // As the runtime made it: an empty file or directory, or nothing.
            let gone = PathBytes(name).withCString { n in unlinkat(parent, n, 0) == 0 || errno == ENOENT || unlinkat(parent, n, AT_REMOVEDIR) == 0 }
            guard gone else { return nil }
        }
        return StepRoot.stamp(rootFD, epoch: epoch, depth: 0) ? upper : nil
    }

    /// Sets the times of everything below `dir`, and of `dir`, to `epoch`, never through a link.
    private static func stamp(_ dir: Int32, epoch: Int, depth: Int) -> Bool {
        guard depth < 4096 else { return false }
        let times = [timespec(tv_sec: epoch, tv_nsec: 0), timespec(tv_sec: epoch, tv_nsec: 0)]
        for name in FileTree.entries(dir) {
            var st = stat()
            guard PathBytes(name).withCString({ fstatat(dir, $0, &st, AT_SYMLINK_NOFOLLOW) }) == 0 else { return false }
            if st.st_mode & S_IFMT == S_IFDIR {
                let sub = PathBytes(name).withCString { openat(dir, $0, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) }
                guard sub >= 0 else { return false }
                defer { close(sub) }
                guard stamp(sub, epoch: epoch, depth: depth + 1) else { return false }
            } else if PathBytes(name).withCString({ utimensat(dir, $0, times, AT_SYMLINK_NOFOLLOW) }) != 0 {
                return false
            }
        }
        return futimens(dir, times) == 0
    }
}
