import Build
import Foundation
import TestSupport
import Testing

/// Context symlinks that point outside the context are stored as symlinks, never followed: no byte
/// from outside the context reaches a layer, and a path through such a link is not in the context.
@Suite struct SymlinkTests {
    @Test func linksOutOfTheContextAreNeverFollowed() throws {
        let f = try Fixture()
        defer { f.remove() }
        try f.file("a.txt", "hi\n")
        try FileManager.default.createSymbolicLink(atPath: f.context + "/escape", withDestinationPath: "/etc")
        try FileManager.default.createSymbolicLink(atPath: f.context + "/passwd", withDestinationPath: "/etc/passwd")
        try FileManager.default.createSymbolicLink(atPath: f.context + "/up", withDestinationPath: "../../..")
        let r = try f.build("FROM scratch\nCOPY . /\nCOPY passwd /x\n")
        let layers = try f.manifest(r.manifests[0]).layers
        for layer in layers {
            let verbose = String(decoding: try run(["tar", "-tzvf", f.store.blobPath(layer.digest)]), as: UTF8.self)
            #expect(!verbose.contains("etc/hostname"))
            #expect(verbose.split(separator: "\n").filter { $0.contains("passwd") || $0.contains("escape") }.allSatisfy { $0.hasPrefix("l") }, "\(verbose)")
        }
        let passwd = try String(contentsOfFile: "/etc/passwd", encoding: .utf8)
        for layer in layers {
            let bytes = String(decoding: try run(["bash", "-c", "gzip -dc \"$0\"", f.store.blobPath(layer.digest)]), as: UTF8.self)
            #expect(!bytes.contains(passwd.prefix(40)))
        }
        for through in ["escape/passwd", "up/etc/passwd"] {
            #expect(throws: BuildError.self) { try f.build("FROM scratch\nCOPY \(through) /x\n") }
        }
    }
}
