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
        var resources: Resources
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
