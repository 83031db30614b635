import Foundation
import Processes

/// fuse-overlayfs, the overlay a process can mount where the kernel's cannot be had (an older
/// kernel, a container without the privilege): the same lower, upper and work directories, served
/// by a daemon of its own that lives as long as the mount. As root it allows every user and
/// setuid programs (its defaults there), as a step's root needs.
enum FuseOverlayMount {
    static func program(environment: [String: String] = ProcessInfo.processInfo.environment) -> String? {
        ChildProcess.executable("fuse-overlayfs", environment: environment)
    }

    /// Mounts `lowers` (the top layer first) with `upper` and `work` at `target`; once this returns
    /// the mount is there (the program daemonizes after mounting).
    static func mount(lowers: [String], upper: String, work: String, at target: String,
                      environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard let path = program(environment: environment) else {
            throw SnapshotterUnavailable("fuse-overlayfs is not on PATH (apt-get install fuse-overlayfs)")
        }
        let options = try OverlayMount.options(lowers: lowers, upper: upper, work: work, target: target)
        // Its own switches (FUSE_OVERLAYFS_DISABLE_OVL_WHITEOUT) pass through; nothing else of ours.
        var env = environment.filter { $0.key.hasPrefix("FUSE_OVERLAYFS_") }
        env["PATH"] = environment["PATH"] ?? "/usr/bin:/bin"
        let child = try ChildProcess(path, ["fuse-overlayfs", "-o", options, target], environment: env, feedsInput: false)
        let status = child.wait(timeout: 60)
        guard status == 0 else {
            // Its stderr also carries notes on options it ignores: the last line is the failure.
            let said = child.outputLines.last(where: { !$0.hasPrefix("unknown argument ignored") }) ?? "exit status \(status.map(String.init) ?? "timeout")"
            throw SnapshotterUnavailable("fuse-overlayfs cannot mount the stage's filesystem: \(said)")
        }
    }

    /// Unmounts and waits for the daemon's last writes, so that the upper directory is whole; a
    /// mount still busy (a process of the step left behind) is detached instead.
    static func unmount(_ target: String) {
        if umount2(target, 0) != 0 { _ = umount2(target, Int32(MNT_DETACH)) }
    }
}
