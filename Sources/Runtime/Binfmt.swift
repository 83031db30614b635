import Foundation

/// Running programs of another architecture: the kernel hands them to qemu-user through a
/// binfmt_misc handler. The `F` flag of Debian's qemu-user-static handlers opens the emulator
/// when it is registered, so it works inside a step's root filesystem, which has no qemu.
public enum Binfmt {
    static let root = "/proc/sys/fs/binfmt_misc"
    static let configs = "/usr/lib/binfmt.d"

    /// qemu's name for an OCI architecture.
    static func qemuName(_ architecture: String, variant: String?) -> String? {
        switch architecture {
        case "arm64": return "aarch64"
        case "amd64": return "x86_64"
        case "arm": return "arm"
        case "386": return "i386"
        case "ppc64le", "s390x", "riscv64", "mips64le": return architecture == "mips64le" ? "mips64el" : architecture
        default: return nil
        }
    }

    /// Whether a step for `architecture` can run here; one clear error saying how to make it run when not.
    public static func check(architecture: String, variant: String?, host: String) throws {
        if architecture == host || (host == "amd64" && architecture == "386") { return }
        guard let name = qemuName(architecture, variant: variant) else {
            throw RuntimeError("RUN for linux/\(architecture) cannot run on this \(host) machine: qemu has no emulator for it")
        }
        guard let status = try? String(contentsOfFile: "\(root)/qemu-\(name)", encoding: .utf8), status.hasPrefix("enabled") else {
            throw RuntimeError("RUN for linux/\(architecture) needs qemu-\(name) registered with binfmt_misc: "
                + "install qemu-user-static, then run `sudo imagectl binfmt --install` (or build on a \(architecture) machine)")
        }
        guard status.split(separator: "\n").contains(where: { $0.hasPrefix("flags:") && $0.contains("F") }) else {
            throw RuntimeError("qemu-\(name) is registered with binfmt_misc without the F flag, so it cannot run inside a step: "
                + "re-register it with `sudo imagectl binfmt --install`")
        }
    }

    /// Registers every qemu handler Debian's qemu-user-static ships that is not registered yet.
    /// Returns the names registered. Needs root; it changes the whole machine, as Docker's binfmt image does.
    public static func install() throws -> [String] {
        if access("\(root)/register", W_OK) != 0 {
            try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
            guard mount("binfmt_misc", root, "binfmt_misc", 0, nil) == 0 || access("\(root)/register", W_OK) == 0 else {
                throw RuntimeError("cannot mount binfmt_misc at \(root): \(String(cString: strerror(errno))) (run as root)")
            }
        }
        guard let files = try? FileManager.default.contentsOfDirectory(atPath: configs) else {
            throw RuntimeError("\(configs) is missing: install qemu-user-static (apt-get install qemu-user-static)")
        }
        var done: [String] = []
        for file in files.sorted() where file.hasPrefix("qemu-") && file.hasSuffix(".conf") {
            guard let text = try? String(contentsOfFile: "\(configs)/\(file)", encoding: .utf8),
                  let line = text.split(separator: "\n").first(where: { $0.hasPrefix(":") }) else { continue }
            let name = line.split(separator: ":", omittingEmptySubsequences: false).dropFirst().first.map(String.init) ?? ""
            guard !name.isEmpty, access("\(root)/\(name)", F_OK) != 0 else { continue }
            let fd = open("\(root)/register", O_WRONLY | O_CLOEXEC)
            guard fd >= 0 else { throw RuntimeError("\(root)/register: \(String(cString: strerror(errno))) (run as root)") }
            let bytes = Array(line.utf8)
            let n = write(fd, bytes, bytes.count)
            close(fd)
            guard n == bytes.count else { throw RuntimeError("registering \(name): \(String(cString: strerror(errno)))") }
            done.append(name)
        }
        return done
    }
}
