import Build
import Foundation
import OCI
import TestSupport
import Testing

/// BuildKit's COPY rules that need no RUN to observe: where files land, their modes, and how
/// links in the context are followed.
@Suite struct CopyRulesTests {
    /// Mode, owner and path of every entry of every layer, from the system's tar.
    func listing(_ f: Fixture, _ r: BuildResult) throws -> [String] {
        try f.manifest(r.descriptor).layers.flatMap { layer in
            String(decoding: try run(["tar", "--numeric-owner", "-tvzf", f.store.blobPath(layer.digest)]), as: UTF8.self)
                .split(separator: "\n").map { line -> String in
                    let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                    return "\(fields[0]) \(fields[1]) \(fields[5])"
                }
        }
    }

    func contents(_ f: Fixture, _ r: BuildResult, _ path: String) throws -> String {
        for layer in try f.manifest(r.descriptor).layers.reversed() {
            if let data = try? run(["tar", "-xzOf", f.store.blobPath(layer.digest), path]), !data.isEmpty {
                return String(decoding: data, as: UTF8.self)
            }
        }
        return ""
    }

    @Test func aLinkOnTheWayInTheContextIsFollowed() throws {
        let f = try Fixture()
        defer { f.remove() }
        try f.file("sub/foo", "contents")
        try FileManager.default.createSymbolicLink(atPath: f.context + "/link", withDestinationPath: "sub")
        let r = try f.build("FROM scratch\nCOPY link/foo .\n")
        #expect(try contents(f, r, "foo") == "contents")
    }

    /// A link an ADDed archive made is followed inside the root, even one that climbs above it.
    @Test func aDestinationThroughALinkFromAnArchive() throws {
        let f = try Fixture()
        defer { f.remove() }
        try f.file("foo", "content0")
        let staging = try makeTempDir("link-tar")
        defer { try? FileManager.default.removeItem(atPath: staging) }
        try FileManager.default.createSymbolicLink(atPath: staging + "/symlink", withDestinationPath: "../tmp/symlink-target")
        _ = try run(["tar", "-C", staging, "-cf", f.context + "/t.tar", "symlink"])
        let r = try f.build("FROM scratch\nADD t.tar /\nCOPY foo /symlink/\n")
        #expect(try contents(f, r, "tmp/symlink-target/foo") == "content0")
    }

    /// Archives a wildcard matched are unpacked into the destination, --chown owning what they hold.
    @Test func archivesAWildcardMatchedUnpackIntoTheDestination() throws {
        let f = try Fixture()
        defer { f.remove() }
        let staging = try makeTempDir("archives")
        defer { try? FileManager.default.removeItem(atPath: staging) }
        try write("content0", to: staging + "/foo")
        try write("content1", to: staging + "/bar")
        _ = try run(["tar", "-C", staging, "-cf", f.context + "/t.tar", "foo"])
        _ = try run(["tar", "-C", staging, "-cf", f.context + "/b.tar", "bar"])
        let r = try f.build("FROM scratch\nADD *.tar /dest\nADD --chown=100:200 t.tar /out/\n")
        #expect(try contents(f, r, "dest/foo") == "content0")
        #expect(try contents(f, r, "dest/bar") == "content1")
        let entries = try listing(f, r)
        #expect(entries.contains { $0.hasPrefix("d") && $0.hasSuffix(" 100/200 out/") }, "\(entries)")
        #expect(entries.contains { $0.hasSuffix(" 100/200 out/foo") }, "\(entries)")
    }

    @Test func chmodGivesCreatedParentsItsMode() throws {
        let f = try Fixture()
        defer { f.remove() }
        try f.file("foo", "x")
        let r = try f.build("FROM scratch\nCOPY --chmod=777 foo /parent/foo\nCOPY --chmod=770 foo /parent/sub/foo\n")
        #expect(try listing(f, r) == ["drwxrwxrwx 0/0 parent/", "-rwxrwxrwx 0/0 parent/foo",
                                      "drwxrwx--- 0/0 parent/sub/", "-rwxrwx--- 0/0 parent/sub/foo"])
    }

    @Test(arguments: [
        ("go-w", 0o666, false, "-rw-r--r--"), ("u=rw,g=r,o=r", 0o666, false, "-rw-r--r--"), ("a+X", 0o666, false, "-rw-rw-rw-"),
        ("a+X", 0o644, true, "drwxr-xr-x"), ("u+rw,g+r,o-x,o+w", 0o124, true, "drwxrw-rw-"), ("go-w", 0o124, true, "d--x---r--"),
        ("u+s,g=u", 0o711, false, "-rwsrwx--x"), ("=r", 0o777, false, "-r--r--r--"),
    ])
    func symbolicChmodAppliesToEachFilesMode(_ spec: String, _ from: Int, _ isDir: Bool, _ shown: String) throws {
        let f = try Fixture()
        defer { f.remove() }
        let path = f.context + (isDir ? "/d/inner" : "/file")
        try FileManager.default.createDirectory(atPath: f.context + "/d/inner", withIntermediateDirectories: true)
        if !isDir { try f.file("file", "") }
        chmod(path, mode_t(from))
        let r = try f.build("FROM scratch\nCOPY --chmod=\(spec) \(isDir ? "d" : "file") /out\n")
        let entry = try listing(f, r).first { $0.hasSuffix(isDir ? "out/inner/" : "out") }
        #expect(entry?.hasPrefix(shown + " ") == true, "\(entry ?? "none")")
    }

    @Test(arguments: ["64a", "10000", "u+q", "u", "a+rw,"])
    func aBadChmodIsRefused(_ spec: String) throws {
        let f = try Fixture()
        defer { f.remove() }
        try f.file("foo", "x")
        #expect(throws: BuildError.self) { try f.build("FROM scratch\nCOPY --chmod=\(spec) foo /\n") }
    }

    @Test func anEmptyDestinationIsTheWorkingDirectory() throws {
        let f = try Fixture()
        defer { f.remove() }
        try f.file("testfile", "contents0")
        let r = try f.build("FROM scratch\nWORKDIR /var/www\nENV empty=\"\"\nCOPY testfile $empty\n")
        #expect(try contents(f, r, "var/www/testfile") == "contents0")
    }

    @Test func wildcardsAndRelativeDestinations() throws {
        let f = try Fixture()
        defer { f.remove() }
        try f.file("foo.go", "foo")
        try f.file("bar.go", "bar")
        try f.file("sub/dir1/dir2/foo", "deep")
        let r = try f.build("""
            FROM scratch
            COPY *.go /gofiles/
            COPY f*.go foo2.go
            COPY sub/* /subdest/
            COPY sub/*/dir2/foo /subdest3/bar
            COPY sub/dir1/. subdest5
            WORKDIR /test5/test6
            COPY foo.go ../
            """)
        for (path, text) in [("gofiles/foo.go", "foo"), ("gofiles/bar.go", "bar"), ("foo2.go", "foo"), ("subdest/dir2/foo", "deep"),
                             ("subdest3/bar", "deep"), ("subdest5/dir2/foo", "deep"), ("test5/foo.go", "foo")] {
            #expect(try contents(f, r, path) == text, "\(path)")
        }
    }
}
