import Foundation
import Processes

/// The kernel's overlay filesystem: read-only layer directories below, one writable directory
/// on top where the step's changes land.
public enum OverlayMount {
    /// Where overlayfs reads that a directory hides the layers below: `trusted.overlay.opaque`;
    /// in a user namespace, whose root may not write trusted.*, `user.overlay.opaque` (it is
    /// mounted with `userxattr` there, Linux 5.11 and later).
    public static var opaqueAttribute: String { UserNamespace.isInside ? "user.overlay.opaque" : "trusted.overlay.opaque" }

    /// Mounts `lowers` (the top layer first) with `upper` and `work` at `target`. A failure that
    /// means this kernel or this process cannot have overlayfs here is `SnapshotterUnavailable`.
    public static func mount(lowers: [String], upper: String, work: String, at target: String) throws {
        let options = try self.options(lowers: lowers, upper: upper, work: work, target: target)
            + (UserNamespace.isInside ? ",userxattr" : "")
        // Metadata-only copy-ups and directory redirects would leave the step's changes in places
        // a diff of the upper directory cannot see: off, where the kernel knows the options.
        if Glibc.mount("overlay", target, "overlay", 0, options + ",redirect_dir=off,metacopy=off") == 0 { return }
        guard Glibc.mount("overlay", target, "overlay", 0, options) == 0 else {
            let code = errno
            let reason = "cannot mount the stage's filesystem with overlayfs: \(String(cString: strerror(code)))"
            if Snapshotter.meansUnavailable(code) { throw SnapshotterUnavailable(reason) }
            throw RootfsError(reason)
        }
    }

    /// The options both overlays take, with `upper`, `work` and `target` made.
    static func options(lowers: [String], upper: String, work: String, target: String) throws -> String {
        for d in [upper, work, target] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
        // An empty stack still needs one lower directory.
        var lowerList = lowers
        if lowerList.isEmpty {
            let empty = work + "-empty"
            try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
            lowerList = [empty]
        }
        // Options are split at commas and lower directories at colons: a path holding one would
        // stack a directory nobody chose into the step's root.
        for path in lowerList + [upper, work] where path.contains(where: { $0 == "," || $0 == ":" || $0 == "\\" }) {
            throw RootfsError("\(path): overlay mount options cannot carry a path with ',', ':' or '\\'; use a store path without them (IMAGECTL_HOME)")
        }
        let options = "lowerdir=\(lowerList.joined(separator: ":")),upperdir=\(upper),workdir=\(work)"
        // The kernel reads mount options up to a page.
        guard options.utf8.count < 4000 else {
            throw RootfsError("the stage has too many layers (\(lowers.count)) for one overlay mount; squash the base image")
        }
        return options
    }

    public static func unmount(_ target: String) {
        if umount2(target, Int32(MNT_DETACH)) != 0, errno == EBUSY { _ = umount2(target, Int32(MNT_DETACH)) }
    }
}
