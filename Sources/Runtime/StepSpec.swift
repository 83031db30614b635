import Foundation

/// One build step to run: what BuildKit's executor gets for a RUN, after the Containerfile's
/// words, USER and mounts have been resolved.
public struct StepSpec: Sendable {
    public enum Network: String, Sendable {
        /// The host's network, as BuildKit's default (and `host`) gives a step.
        case host
        /// A network namespace with only loopback.
        case none
    }

    /// A directory or file of the host at `destination` in the step.
    public struct Bind: Sendable, Equatable {
        public var source: String
        public var destination: String
        public var readOnly: Bool
        public init(source: String, destination: String, readOnly: Bool) {
            self.source = source
            self.destination = destination
            self.readOnly = readOnly
        }
    }

    public var args: [String]
    public var env: [String]
    public var cwd: String
    public var uid: UInt32
    public var gid: UInt32
    public var additionalGids: [UInt32]
    public var hostname: String
    public var network: Network
    public var binds: [Bind]
    /// An empty tmpfs at `destination`, of at most `size` bytes (the kernel's default, half the
    /// memory, when nil).
    public struct Tmpfs: Sendable, Equatable {
        public var destination: String
        public var size: Int64?
        public init(destination: String, size: Int64? = nil) {
            self.destination = destination
            self.size = size
        }
    }

    public var tmpfs: [Tmpfs]

    public init(args: [String], env: [String], cwd: String, uid: UInt32 = 0, gid: UInt32 = 0, additionalGids: [UInt32] = [],
                hostname: String = "buildkitsandbox", network: Network = .host, binds: [Bind] = [], tmpfs: [Tmpfs] = []) {
        self.args = args
        self.env = env
        self.cwd = cwd
        self.uid = uid
        self.gid = gid
        self.additionalGids = additionalGids
        self.hostname = hostname
        self.network = network
        self.binds = binds
        self.tmpfs = tmpfs
    }

    /// The mount points the step gets over its root filesystem, for telling what the runtime made
    /// from what the step wrote.
    public var mountPoints: [String] {
        RuntimeSpec.baseMounts.map(\.destination) + ["/etc/hosts", "/etc/resolv.conf"] + binds.map(\.destination) + tmpfs.map(\.destination)
    }

    /// The runtime spec for this step over the root filesystem at `rootfs`, with the network
    /// files at `hosts` and `resolvConf`; `inUserNamespace`: imagectl runs as root of a user
    /// namespace (without root), where the step runs too.
    func runtimeSpec(rootfs: String, hosts: String, resolvConf: String, inUserNamespace: Bool) -> RuntimeSpec {
        var namespaces = ["pid", "ipc", "uts", "mount"].map(RuntimeSpec.Namespace.init(type:))
        if network == .none { namespaces.append(.init(type: "network")) }
        // A user other than root runs with no capabilities in effect, as Docker runs it.
        let caps = RuntimeSpec.defaultCapabilities
        let effective = uid == 0 ? caps : []
        var mounts = RuntimeSpec.baseMounts
        // sysfs may be mounted only by the owner of the network namespace: in a user namespace,
        // a step on the host's network gets the host's /sys bound read-only, as podman gives it.
        // Recursively ("rro", Linux 5.12): with "ro" the mounts below it stay writable, and the
        // cgroup tree a user is delegated would let a step kill or freeze the user's own processes.
        if inUserNamespace, network == .host, let i = mounts.firstIndex(where: { $0.destination == "/sys" }) {
            mounts[i] = .init(destination: "/sys", type: "bind", source: "/sys", options: ["rbind", "nosuid", "noexec", "nodev", "rro"])
        }
        mounts.append(.init(destination: "/etc/hosts", type: "bind", source: hosts, options: ["rbind", "ro"]))
        mounts.append(.init(destination: "/etc/resolv.conf", type: "bind", source: resolvConf, options: ["rbind", "ro"]))
        for b in binds {
            mounts.append(.init(destination: b.destination, type: "bind", source: b.source, options: ["rbind", b.readOnly ? "ro" : "rw"]))
        }
        for t in tmpfs {
            mounts.append(.init(destination: t.destination, type: "tmpfs", source: "tmpfs",
                                options: ["nosuid", "nodev", "mode=1777"] + (t.size.map { ["size=\($0)"] } ?? [])))
        }
        return RuntimeSpec(
            process: .init(user: .init(uid: uid, gid: gid, additionalGids: additionalGids.isEmpty ? nil : additionalGids),
                           args: args, env: env, cwd: cwd,
                           capabilities: .init(bounding: caps, effective: effective, permitted: effective)),
            root: .init(path: rootfs), hostname: hostname, mounts: mounts,
            linux: .init(namespaces: namespaces, maskedPaths: RuntimeSpec.maskedPaths, readonlyPaths: RuntimeSpec.readonlyPaths,
                         // A user namespace's root owns no cgroup: runc's rootless mode sets none, as `runc spec --rootless` leaves them out.
                         resources: inUserNamespace ? nil : .init(devices: [.init(allow: false, access: "rwm")]), seccomp: .forHost()))
    }
}
