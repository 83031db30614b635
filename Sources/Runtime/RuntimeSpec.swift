import Foundation

/// The part of the OCI runtime spec (config.json) a build step needs: what runc and crun read.
struct RuntimeSpec: Encodable {
    var ociVersion = "1.0.2"
    var process: Process
    var root: Root
    var hostname: String
    var mounts: [Mount]
    var linux: Linux

    struct Process: Encodable {
        var terminal = false
        var user: User
        var args: [String]
        var env: [String]
        var cwd: String
        var capabilities: Capabilities
        var noNewPrivileges = true
    }

    struct User: Encodable {
        var uid: UInt32
        var gid: UInt32
        var additionalGids: [UInt32]?
    }

    struct Capabilities: Encodable {
        var bounding: [String]
        var effective: [String]
        var permitted: [String]
    }

    struct Root: Encodable {
        var path: String
        var readonly = false
    }

    struct Mount: Encodable, Equatable {
        var destination: String
        var type: String
        var source: String
        var options: [String]
    }

    struct Linux: Encodable {
        var namespaces: [Namespace]
        var maskedPaths: [String]
        var readonlyPaths: [String]
        var resources: Resources?
        var seccomp: Seccomp?
        var uidMappings: [IDMapping]?
        var gidMappings: [IDMapping]?
    }

    struct Namespace: Encodable {
        var type: String
    }

    struct IDMapping: Encodable {
        var containerID: UInt32
        var hostID: UInt32
        var size: UInt32
    }

    /// A system-call filter: everything allowed but what Docker's default profile refuses a
    /// container without CAP_SYS_ADMIN (kernel modules, keyrings, bpf, mounts, new user and other
    /// namespaces, io_uring, ...), so a step cannot win capabilities in a user namespace of its own.
    struct Seccomp: Encodable {
        var defaultAction = "SCMP_ACT_ALLOW"
        var architectures: [String]
        var syscalls: [Rule]

        struct Rule: Encodable {
            var names: [String]
            var action = "SCMP_ACT_ERRNO"
            var errnoRet: UInt32 = 1
            var args: [Arg]?
        }

        struct Arg: Encodable {
            var index: UInt32
            var value: UInt64
            var valueTwo: UInt64
            var op: String
        }

        static let denied = [
            "acct", "add_key", "bpf", "clock_adjtime", "clock_settime", "create_module", "delete_module", "finit_module",
            "fsconfig", "fsmount", "fsopen", "fspick", "get_kernel_syms", "init_module", "io_uring_enter", "io_uring_register",
            "io_uring_setup", "ioperm", "iopl", "kexec_file_load", "kexec_load", "keyctl", "lookup_dcookie", "mount",
            "mount_setattr", "move_mount", "name_to_handle_at", "nfsservctl", "open_by_handle_at", "open_tree", "perf_event_open",
            "pivot_root", "query_module", "quotactl", "reboot", "request_key", "setns", "settimeofday", "stime", "swapoff",
            "swapon", "_sysctl", "sysfs", "umount", "umount2", "unshare", "uselib", "userfaultfd", "ustat", "vm86", "vm86old",
        ]

        /// Namespace flags of clone(2): CLONE_NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET.
        static let namespaceFlags: [UInt64] = [0x0002_0000, 0x0200_0000, 0x0400_0000, 0x0800_0000, 0x1000_0000, 0x2000_0000, 0x4000_0000]

        static func forHost() -> Seccomp {
            #if arch(arm64)
            let arches = ["SCMP_ARCH_AARCH64", "SCMP_ARCH_ARM"]
            // clone's flags are its first argument on x86 and arm alike.
            #else
            let arches = ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"]
            #endif
            var rules = [Rule(names: denied)]
            for flag in namespaceFlags {
                rules.append(Rule(names: ["clone"], args: [Arg(index: 0, value: flag, valueTwo: flag, op: "SCMP_CMP_MASKED_EQ")]))
            }
            // clone3's flags sit in memory a filter cannot read: ENOSYS sends libc back to clone.
            rules.append(Rule(names: ["clone3"], errnoRet: 38))
            return Seccomp(architectures: arches, syscalls: rules)
        }
    }

    struct Resources: Encodable {
        var devices: [Device]
    }

    struct Device: Encodable {
        var allow: Bool
        var access: String
    }

    /// Docker's default capabilities for a container (moby's oci/caps/defaults.go).
    static let defaultCapabilities = [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ]

    /// What a container may not read (moby's defaults), and what it may only read.
    static let maskedPaths = [
        "/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
        "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
    ]
    static let readonlyPaths = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]

    /// The mounts every step gets, as containerd's default spec has them.
    static let baseMounts = [
        Mount(destination: "/proc", type: "proc", source: "proc", options: ["nosuid", "noexec", "nodev"]),
        Mount(destination: "/dev", type: "tmpfs", source: "tmpfs", options: ["nosuid", "strictatime", "mode=755", "size=65536k"]),
        Mount(destination: "/dev/pts", type: "devpts", source: "devpts",
              options: ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
        Mount(destination: "/dev/shm", type: "tmpfs", source: "shm", options: ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]),
        Mount(destination: "/dev/mqueue", type: "mqueue", source: "mqueue", options: ["nosuid", "noexec", "nodev"]),
        Mount(destination: "/sys", type: "sysfs", source: "sysfs", options: ["nosuid", "noexec", "nodev", "ro"]),
    ]
}
