import ArgumentParser
import Foundation
import OCI
import Pipeline

struct BinfmtCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "binfmt",
        abstract: "Show, or register, the qemu emulators RUN steps of other platforms need.",
        discussion: """
        RUN for linux/arm64 on an amd64 machine (and the other way round) runs through qemu-user,
        which the kernel finds through binfmt_misc. `sudo imagectl binfmt --install` registers the
        handlers of Debian's qemu-user-static (apt-get install qemu-user-static) for the whole machine.
        """)

    @Flag(help: "Register every qemu handler that is not registered yet (as root).")
    var install = false

    func run() throws {
        try guarded {
            if install {
                let added = try Pipeline.installBinfmt()
                standardError(added.isEmpty ? "every qemu handler was already registered" : "registered \(added.joined(separator: ", "))")
            }
            for arch in ["amd64", "arm64", "arm/v7", "ppc64le", "s390x", "riscv64"] {
                let platform = try Platform(parsing: "linux/" + arch)
                print("linux/\(arch): " + (Pipeline.binfmtStatus(platform) == nil ? "runs" : "no emulator registered"))
            }
        }
    }
}
