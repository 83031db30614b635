import CProcess
import Foundation

/// How imagectl runs steps without root, as podman and buildah do: it makes itself root of a
/// user namespace whose IDs come from /etc/subuid and /etc/subgid through the setuid helpers
/// newuidmap and newgidmap (its own uid and gid are 0 there, its subordinate range 1..N), in a
/// mount namespace of its own. There it may mount overlayfs, give files any owner the map holds
/// and start runc, which sees the namespace and runs rootless; seen from outside, what it writes
/// belongs to the user and their subordinate IDs, and only the namespace's root can remove it.
public enum UserNamespace {
    /// Whether this process runs in a user namespace other than the machine's first (whose map is
    /// every ID to itself): its root is then root over the mapped IDs only. Read once, at the first
    /// question, which comes after `enterUnlessRoot` (the snapshot and runtime code asks it for
    /// every directory it marks or reads).
    public static let isInside: Bool = {
        let map = (try? String(contentsOfFile: "/proc/self/uid_map", encoding: .utf8)) ?? ""
        return map.split(whereSeparator: \.isWhitespace) != ["0", "0", "4294967295"]
    }()

    /// Why this process, not being root, did not enter one: what a RUN step says instead of running.
    /// Set once, before any thread starts.
    nonisolated(unsafe) public private(set) static var unavailable: String?

    /// Makes this process root of its namespace unless it is root already. When something the
    /// namespace needs is missing, `unavailable` says what and the process carries on as it was:
    /// a build without RUN needs no namespace. Call it before any thread starts. It throws only
    /// when a helper failed after the namespace was made, leaving the process where it can write
    /// nothing: the caller says why and exits.
    public static func enterUnlessRoot() throws {
        guard geteuid() != 0 else { return }
        let plan: Plan
        do { plan = try Plan.forThisUser() } catch let e as UserNamespaceError {
            unavailable = e.description
            return
        }
        var out: [Int32] = [-1, -1]
        guard imagectl_pipe_cloexec(&out) == 0 else {
            unavailable = "a pipe for newuidmap could not be made: \(String(cString: strerror(errno)))"
            return
        }
        let pid = getpid()
        let uidArgs = ["newuidmap", "\(pid)", "0", "\(getuid())", "1", "1", "\(plan.uids.start)", "\(plan.uids.count)"]
        let gidArgs = ["newgidmap", "\(pid)", "0", "\(getgid())", "1", "1", "\(plan.gids.start)", "\(plan.gids.count)"]
        let uidArgv = uidArgs.map { strdup($0) } + [nil]
        let gidArgv = gidArgs.map { strdup($0) } + [nil]
        defer { for p in uidArgv + gidArgv { free(p) } }
        let entered = imagectl_enter_user_namespace(plan.newuidmap, uidArgv, plan.newgidmap, gidArgv, out[1])
        let code = errno
        let reason = String(cString: strerror(code))
        close(out[1])
        let said = FileHandle(fileDescriptor: out[0], closeOnDealloc: true).readDataToEndOfFile()
        let helperSaid = String(decoding: said, as: UTF8.self).split(whereSeparator: \.isNewline).joined(separator: "; ")
        switch entered {
        case 0:
            // podman started from here (`--load`) takes the namespace as its own, as under `podman unshare`.
            setenv("_CONTAINERS_USERNS_CONFIGURED", "done", 1)
            setenv("_CONTAINERS_ROOTLESS_UID", "\(plan.uid)", 1)
            setenv("_CONTAINERS_ROOTLESS_GID", "\(plan.gid)", 1)
        case -1 where code == EINVAL:
            unavailable = "imagectl had started a thread before making it, which the kernel refuses (a bug: please report it)"
        case -1:
            unavailable = "the kernel refused to make one (\(reason)): check that user namespaces are allowed for users here"
        case 1:
            throw UserNamespaceError("newuidmap/newgidmap could not map \(plan.user)'s IDs (/etc/subuid \(plan.uids.usermodRange), /etc/subgid \(plan.gids.usermodRange)): \(helperSaid.isEmpty ? "no reason given" : helperSaid)")
        default:
            throw UserNamespaceError("the user namespace's mounts could not be made private: \(reason)")
        }
    }

    /// What entering takes, found before anything is changed.
    struct Plan {
        var user: String
        var uid: uid_t
        var gid: gid_t
        var uids: SubordinateIDs
        var gids: SubordinateIDs
        var newuidmap: String
        var newgidmap: String

        /// The system's own `name`: from the system's directories before PATH's, owned by root,
        /// writable by no one else, and privileged (setuid, or file capabilities as some
        /// distributions give it). Another program of that name on PATH could only fail the
        /// mapping, and would be handed the user's ranges.
        static func privilegedHelper(_ name: String, path: String = ProcessInfo.processInfo.environment["PATH"] ?? "") -> String? {
            for dir in ["/usr/bin", "/bin", "/usr/sbin", "/sbin"] + path.split(separator: ":").map(String.init) where dir.hasPrefix("/") {
                let candidate = dir + "/" + name
                var st = stat()
                guard stat(candidate, &st) == 0, st.st_mode & S_IFMT == S_IFREG, st.st_uid == 0, st.st_mode & 0o022 == 0 else { continue }
                let capabilities = getxattr(candidate, "security.capability", UnsafeMutableRawPointer(bitPattern: 0), 0) > 0
                if st.st_mode & 0o4000 != 0 || capabilities { return candidate }
            }
            return nil
        }

        static func forThisUser() throws -> Plan {
            func sysctl(_ name: String) -> Int? {
                (try? String(contentsOfFile: "/proc/sys/" + name, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            }
            if sysctl("user/max_user_namespaces") == 0 {
                throw UserNamespaceError("user namespaces are turned off (/proc/sys/user/max_user_namespaces is 0): turn them on with `sysctl -w user.max_user_namespaces=15000` (as root)")
            }
            if sysctl("kernel/unprivileged_userns_clone") == 0 {
                throw UserNamespaceError("users may not make user namespaces here (kernel.unprivileged_userns_clone is 0): allow them with `sysctl -w kernel.unprivileged_userns_clone=1` (as root)")
            }
            if sysctl("kernel/apparmor_restrict_unprivileged_userns") == 1 {
                throw UserNamespaceError("AppArmor restricts user namespaces here (kernel.apparmor_restrict_unprivileged_userns is 1): give imagectl an AppArmor profile that allows userns (as root)")
            }
            guard let newuidmap = privilegedHelper("newuidmap"), let newgidmap = privilegedHelper("newgidmap") else {
                throw UserNamespaceError("newuidmap and newgidmap are missing: install them (apt-get install uidmap, as root)")
            }
            let uid = getuid(), gid = getgid()
            let user = getpwuid(uid).map { String(cString: $0.pointee.pw_name) } ?? "\(uid)"
            let subuid = (try? String(contentsOfFile: "/etc/subuid", encoding: .utf8)) ?? ""
            let subgid = (try? String(contentsOfFile: "/etc/subgid", encoding: .utf8)) ?? ""
            let uids = SubordinateIDs.first(in: subuid, user: user, uid: uid)
            let gids = SubordinateIDs.first(in: subgid, user: user, uid: uid)
            guard let uids, let gids else {
                let free = SubordinateIDs.free(after: [subuid, subgid]).usermodRange
                let files = [uids == nil ? "/etc/subuid" : nil, gids == nil ? "/etc/subgid" : nil].compactMap { $0 }
                let flags = [uids == nil ? "--add-subuids \(free)" : nil, gids == nil ? "--add-subgids \(free)" : nil].compactMap { $0 }
                throw UserNamespaceError("\(user) (uid \(uid)) has no range in \(files.joined(separator: " and ")): grant one with `usermod \(flags.joined(separator: " ")) \(user)` (as root)")
            }
            return Plan(user: user, uid: uid, gid: gid, uids: uids, gids: gids, newuidmap: newuidmap, newgidmap: newgidmap)
        }
    }
}

public struct UserNamespaceError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
