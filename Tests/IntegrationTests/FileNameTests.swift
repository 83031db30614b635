import Foundation
import TestSupport
import Testing

/// File names that are not ASCII, or not UTF-8 at all, through the binary: built, written as an OCI
/// layout, unpacked by umoci, and compared byte for byte.
@Suite struct FileNameTests {
    /// Makes a context whose names are given as hex (Swift strings cannot hold names that are not UTF-8).
    static func context(_ dir: String, files: [String: String], links: [String: String] = [:], hardlinks: [String: String] = [:],
                        containerfile: String) throws {
        let script = """
            import json, os, sys
            root = sys.argv[1].encode()
            spec = json.loads(sys.argv[2])
            os.makedirs(root, exist_ok=True)
            for name, text in spec["files"].items():
                path = os.path.join(root, bytes.fromhex(name))
                os.makedirs(os.path.dirname(path), exist_ok=True)
                open(path, "w").write(text)
            for name, target in spec["links"].items():
                os.symlink(bytes.fromhex(target), os.path.join(root, bytes.fromhex(name)))
            for name, target in spec["hardlinks"].items():
                os.link(os.path.join(root, bytes.fromhex(target)), os.path.join(root, bytes.fromhex(name)))
            open(os.path.join(root, b"Containerfile"), "w").write(spec["containerfile"])
            """
        let spec = try JSONSerialization.data(withJSONObject: ["files": files, "links": links, "hardlinks": hardlinks,
                                                               "containerfile": containerfile])
        try run(["python3", "-c", script, dir, String(decoding: spec, as: UTF8.self)])
    }

    /// Every path below `dir` as hex, with `-> target` for symlinks, sorted.
    static func tree(_ dir: String) throws -> [String] {
        let script = """
            import os, sys
            root = sys.argv[1].encode()
            for d, dirs, files in os.walk(root):
                for n in dirs + files:
                    p = os.path.join(d, n)
                    rel = os.path.relpath(p, root).hex()
                    print(rel + (" -> " + os.readlink(p).hex() if os.path.islink(p) else ""))
            """
        return String(decoding: try run(["python3", "-c", script, dir]), as: UTF8.self).split(separator: "\n").map(String.init).sorted()
    }

    static func hex(_ s: String) -> String { Data(s.utf8).map { String(format: "%02x", $0) }.joined() }

    static let bad = "626164ff2e747874"         // bad\xff.txt
    static let badTarget = "746172fe676574"     // tar\xfeget
    static let nfc = hex("café.txt")
    static let nfd = hex("cafe\u{301}.txt")

    @Test func namesSurviveABuildAndAnUnpackByteForByte() throws {
        let tmp = try makeTempDir("names")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        try Self.context(tmp + "/ctx",
                         files: [Self.nfc: "nfc\n", Self.nfd: "nfd\n", Self.bad: "bad\n", Self.hex("dir/") + "e8a9a6": "x\n"],
                         links: [Self.hex("link-") + "fe": Self.badTarget], hardlinks: [Self.hex("hard-") + "fd": Self.bad],
                         containerfile: "FROM scratch\nCOPY . /ctx/\nCOPY café.txt /café/x\n")
        // Files changed within the second before a build are not trusted to the stat records: let them age.
        Thread.sleep(forTimeInterval: 1.1)
        let r = try CLI.run(["build", "--progress", "quiet", "-t", "names:1", "--output", "type=oci,dest=\(tmp)/layout", tmp + "/ctx"],
                            home: tmp + "/store")
        #expect(r.status == 0, "\(r.stderr)")
        try run(["umoci", "unpack", "--image", "\(tmp)/layout:1", tmp + "/bundle"])
        let got = try Self.tree(tmp + "/bundle/rootfs")
        let want = [Self.hex("café"), Self.hex("café/x"), Self.hex("ctx"), Self.hex("ctx/Containerfile"), Self.hex("ctx/") + Self.bad,
                    Self.hex("ctx/") + Self.nfc, Self.hex("ctx/") + Self.nfd, Self.hex("ctx/dir"), Self.hex("ctx/dir/") + "e8a9a6",
                    Self.hex("ctx/hard-") + "fd", Self.hex("ctx/link-") + "fe -> " + Self.badTarget].sorted()
        #expect(got == want)
        #expect(try String(contentsOfFile: tmp + "/bundle/rootfs/ctx/cafe\u{301}.txt", encoding: .utf8) == "nfd\n")
        #expect(try String(contentsOfFile: tmp + "/bundle/rootfs/ctx/café.txt", encoding: .utf8) == "nfc\n")

        // An unchanged rebuild finds every file, those named in bytes too, in the stat records.
        let again = try CLI.run(["build", "--progress", "plain", "-t", "names:1", tmp + "/ctx"], home: tmp + "/store")
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stderr.contains("hashed 0 file(s)"), "\(again.stderr)")
    }

    /// The two shapes reported to kill the build with SIGSEGV: a name from the context, a name from the Containerfile.
    @Test(arguments: [("café.txt", "COPY . /\n", "caf\\303\\251.txt"), ("x", "COPY x /café/x\n", "caf\\303\\251/x")])
    func aUTF8NameBuilds(_ file: String, _ copy: String, _ listed: String) throws {
        let tmp = try makeTempDir("names")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        try Self.context(tmp + "/ctx", files: [Self.hex(file): "x\n"], containerfile: "FROM scratch\n" + copy)
        let r = try CLI.run(["build", "--progress", "quiet", "-t", "utf8:1", "--output", "type=oci,dest=\(tmp)/layout", tmp + "/ctx"],
                            home: tmp + "/store")
        #expect(r.status == 0, "\(r.stderr)")
        let listing = String(decoding: try run(["bash", "-c", "for b in \(tmp)/layout/blobs/sha256/*; do LC_ALL=C bsdtar -tf $b 2>/dev/null || true; done"]), as: UTF8.self)
        #expect(listing.contains(listed), "\(listing)")
    }

    @Test func aNameThatIsNotUTF8AndIsExcludedIsNeverRead() throws {
        let tmp = try makeTempDir("names")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        try Self.context(tmp + "/ctx", files: [Self.hex("a.txt"): "a\n", Self.bad: "x\n", Self.hex(".dockerignore"): "bad*\n"],
                         containerfile: "FROM scratch\nCOPY . /app/\n")
        let r = try CLI.run(["build", "--progress", "quiet", tmp + "/ctx"], home: tmp + "/store")
        #expect(r.status == 0, "\(r.stderr)")
    }

    @Test func addUnpacksArchiveNamesByteForByte() throws {
        let tmp = try makeTempDir("names")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        try Self.context(tmp + "/src", files: [Self.nfc: "nfc\n", Self.bad: "bad\n"], links: [Self.hex("l"): Self.badTarget],
                         containerfile: "")
        try run(["tar", "--format=posix", "-czf", tmp + "/ctx.tar.gz", "-C", tmp + "/src", "."])
        try Self.context(tmp + "/ctx", files: [:], containerfile: "FROM scratch\nADD a.tar.gz /opt/\n")
        try run(["mv", tmp + "/ctx.tar.gz", tmp + "/ctx/a.tar.gz"])
        let r = try CLI.run(["build", "--progress", "quiet", "-t", "add:1", "--output", "type=oci,dest=\(tmp)/layout", tmp + "/ctx"],
                            home: tmp + "/store")
        #expect(r.status == 0, "\(r.stderr)")
        try run(["umoci", "unpack", "--image", "\(tmp)/layout:1", tmp + "/bundle"])
        let got = try Self.tree(tmp + "/bundle/rootfs/opt")
        #expect(got == [Self.hex("Containerfile"), Self.bad, Self.nfc, Self.hex("l") + " -> " + Self.badTarget].sorted())
    }
}
