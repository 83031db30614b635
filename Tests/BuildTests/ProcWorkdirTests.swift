import Build
import Foundation
import Testing

/// A step never starts in the runtime's /proc, named or reached through a link in the image
/// (runc's leaked-descriptor escape, CVE-2024-21626), whatever runc is installed.
@Suite struct ProcWorkdirTests {
    @Test(arguments: [
        ("WORKDIR /proc/self/fd/7", "/proc/self/fd/7"),
        ("WORKDIR /proc", "/proc"),
        ("COPY links/ /|WORKDIR /escape/fd/8", "/proc/self/fd/8"),
        ("COPY links/ /|WORKDIR /up", "/proc"),
    ])
    func aWorkingDirectoryInProcIsRefused(_ lines: String, _ real: String) throws {
        let f = try Fixture()
        defer { f.remove() }
        try f.file("true", "#!/bin/true\n")
        // Links in a directory are copied as links.
        try FileManager.default.createDirectory(atPath: f.context + "/links", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: f.context + "/links/escape", withDestinationPath: "/proc/self")
        try FileManager.default.createSymbolicLink(atPath: f.context + "/links/up", withDestinationPath: "../../proc")
        let spec = "FROM scratch\nCOPY true /bin/true\n" + lines.replacingOccurrences(of: "|", with: "\n") + "\nRUN [\"/bin/true\"]\n"
        #expect {
            try f.build(spec)
        } throws: { error in
            let text = "\(error)"
            return !text.contains("\n") && text.contains("RUN: the working directory") && text.contains(" is \(real), in the runtime's /proc")
        }
    }
}
