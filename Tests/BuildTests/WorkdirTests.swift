import Build
import Foundation
import OCI
import TestSupport
import Testing

/// WORKDIR as BuildKit's dispatchWorkdir does it: a mkdir -p in a layer, owned by the USER.
@Suite struct WorkdirTests {
    /// Owner, mode and type of each entry of a layer, from the system's tar.
    func entries(_ f: Fixture, _ layer: Descriptor) throws -> [String] {
        String(decoding: try run(["tar", "--numeric-owner", "-tvzf", f.store.blobPath(layer.digest)]), as: UTF8.self)
            .split(separator: "\n").map { line in
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                return "\(fields[0]) \(fields[1]) \(fields.last!)"
            }
    }

    @Test func missingDirectoriesAreMadeForTheUser() throws {
        let f = try Fixture()
        defer { f.remove() }
        try f.file("passwd", "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001:app:/home/app:/bin/sh\n")
        try f.file("group", "root:x:0:\napp:x:1001:\n")
        let r = try f.build("""
            FROM scratch
            COPY passwd group /etc/
            USER app
            WORKDIR /home/app/data
            """)
        let layers = try f.manifest(r.descriptor).layers
        #expect(layers.count == 2)
        #expect(try entries(f, layers[1]) == ["drwxr-xr-x 1000/1001 home/", "drwxr-xr-x 1000/1001 home/app/",
                                               "drwxr-xr-x 1000/1001 home/app/data/"])
        let c = try f.config(r.descriptor)
        #expect(c.config.workingDir == "/home/app/data")
        #expect(c.history?.last?.createdBy == "WORKDIR /home/app/data")
        #expect(c.history?.last?.emptyLayer == nil)
    }

    @Test func anExistingDirectoryGivesAnEmptyLayerAndKeepsItsOwner() throws {
        let f = try Fixture()
        defer { f.remove() }
        try f.file("app/main.sh", "echo hi\n")
        let r = try f.build("""
            FROM scratch
            COPY --chown=5:6 app/ /srv/app/
            USER 1000:1000
            WORKDIR /srv/app
            WORKDIR /
            """)
        let layers = try f.manifest(r.descriptor).layers
        #expect(layers.count == 2)
        #expect(try entries(f, layers[1]).isEmpty)
        // WORKDIR / makes nothing, as in BuildKit.
        #expect(try f.config(r.descriptor).history?.last?.emptyLayer == true)
    }

    @Test func aLoneUIDOwnsWithTheSameGroup() throws {
        let f = try Fixture()
        defer { f.remove() }
        let r = try f.build("FROM scratch\nUSER 1234\nWORKDIR /w\n")
        #expect(try entries(f, try f.manifest(r.descriptor).layers[0]) == ["drwxr-xr-x 1234/1234 w/"])
    }

    @Test func aFileInTheWayIsOneClearError() throws {
        let f = try Fixture()
        defer { f.remove() }
        try f.file("x", "x")
        #expect(throws: BuildError.self) { try f.build("FROM scratch\nCOPY x /x\nWORKDIR /x/y\n") }
        do { _ = try f.build("FROM scratch\nCOPY x /x\nWORKDIR /x/y\n") } catch {
            #expect("\(error)".contains("Containerfile:3: WORKDIR /x/y: /x exists and is not a directory"))
        }
    }

    @Test func anUnknownUserNameIsOneClearError() throws {
        let f = try Fixture()
        defer { f.remove() }
        do {
            _ = try f.build("FROM scratch\nUSER nobody\nWORKDIR /w\n")
            Issue.record("built")
        } catch {
            #expect("\(error)".contains("Containerfile:3: USER=\"nobody\": no user \"nobody\" in the stage's /etc/passwd"))
        }
    }
}
