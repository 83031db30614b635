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
        let r = try f.build("FROM scratch\nCOPY . /\n")
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
        // Named directly, a link is followed as BuildKit follows it, inside the context: /etc/passwd
        // is then the context's etc/passwd, which is not there.
        for through in ["escape/passwd", "up/etc/passwd", "passwd"] {
            #expect(throws: BuildError.self) { try f.build("FROM scratch\nCOPY \(through) /x\n") }
        }
    }

    /// A source named directly that is a link is copied as its target, under its own name; a link
    /// inside a copied directory stays a link.
    @Test func aLinkNamedAsASourceIsFollowedInsideTheContext() throws {
        let f = try Fixture()
        defer { f.remove() }
        try f.file("real/config.yaml", "a: 1\n")
        try FileManager.default.createSymbolicLink(atPath: f.context + "/current.yaml", withDestinationPath: "real/config.yaml")
        try FileManager.default.createSymbolicLink(atPath: f.context + "/real/alias", withDestinationPath: "config.yaml")
        let r = try f.build("FROM scratch\nCOPY current.yaml /etc/app.yaml\nCOPY real /conf/\n")
        let layers = try f.manifest(r.manifests[0]).layers
        let first = String(decoding: try run(["tar", "-tzvf", f.store.blobPath(layers[0].digest)]), as: UTF8.self)
        #expect(first.hasPrefix("-") && first.contains("etc/app.yaml"), "\(first)")
        let second = String(decoding: try run(["tar", "-tzvf", f.store.blobPath(layers[1].digest)]), as: UTF8.self)
        #expect(second.split(separator: "\n").contains { $0.hasPrefix("l") && $0.contains("conf/alias -> config.yaml") }, "\(second)")
    }

    /// A pattern that matches nothing is fine beside one that matches (BuildKit's empty wildcards);
    /// nothing matched at all is still an error.
    @Test func aWildcardMatchingNothingBesideOneThatMatches() throws {
        let f = try Fixture()
        defer { f.remove() }
        try f.file("app/z.md", "z\n")
        let r = try f.build("FROM scratch\nCOPY app/*.none app/z.md /mixed/\n")
        let layer = try f.manifest(r.manifests[0]).layers[0]
        #expect(String(decoding: try run(["tar", "-tzf", f.store.blobPath(layer.digest)]), as: UTF8.self).contains("mixed/z.md"))
        #expect(throws: BuildError.self) { try f.build("FROM scratch\nCOPY app/*.none /mixed/\n") }
    }
}
