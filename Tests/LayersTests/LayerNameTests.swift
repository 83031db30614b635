import Foundation
import Layers
import OCI
import TestSupport
import Testing

/// Names reach the layer as the bytes they are on disk, UTF-8 or not, and readers that share no
/// code with imagectl (Python's tarfile, GNU tar) read the same bytes back.
@Suite struct LayerNameTests {
    static let names: [(String, [UInt8])] = [
        ("UTF-8", Array("café.txt".utf8)),
        ("NFD of the same", Array("cafe\u{301}.txt".utf8)),
        ("not UTF-8", [0x62, 0x61, 0x64, 0xff, 0x2e, 0x74]),
        ("Latin-1", [0x6e, 0x61, 0xef, 0x76, 0x65]),
        ("CESU-8 surrogate pair", [0x73, 0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80]),
        ("lone surrogate", [0x6c, 0xed, 0xb0, 0x80]),
        ("long, past ustar's 100 bytes", Array((String(repeating: "x", count: 98) + "é" + String(repeating: "y", count: 40)).utf8)),
    ]

    /// Every entry's name and link target as hex, read by Python's tarfile.
    static func readBack(_ layer: String) throws -> [String] {
        let script = """
            import sys, tarfile
            for m in tarfile.open(sys.argv[1], encoding="utf-8", errors="surrogateescape"):
                hex = lambda s: s.encode("utf-8", "surrogateescape").hex()
                print(m.type.decode(), hex(m.name), hex(m.linkname))
            """
        return String(decoding: try run(["python3", "-c", script, layer]), as: UTF8.self).split(separator: "\n").map(String.init)
    }

    static func hex(_ b: [UInt8]) -> String { b.map { String(format: "%02x", $0) }.joined() }

    @Test(arguments: [false, true])
    func namesTargetsAndLinksRoundTripByteForByte(_ alone: Bool) throws {
        let dir = try makeTempDir("names")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write("hi\n", to: dir + "/content")
        let source = PathBytes(dir + "/content")
        // Each name alone in a layer, and all of them in one (the writer picks its locale per layer).
        let groups = alone ? Self.names.map { [$0] } : [Self.names]
        for group in groups {
            var entries = [LayerEntry(path: "d", kind: .directory, mode: 0o755)]
            var expected = ["5 " + Self.hex(Array("d".utf8)) + " "]
            for (i, (_, name)) in group.enumerated() {
                let file = PathBytes(Array("d/".utf8) + name)
                entries.append(LayerEntry(path: file, kind: .file(source: source, size: 3), mode: 0o644))
                expected.append("0 \(Self.hex(file.bytes)) ")
                let link = PathBytes(Array("d/l\(i)".utf8) + name)
                entries.append(LayerEntry(path: link, kind: .symlink(target: PathBytes(name)), mode: 0o777))
                expected.append("2 \(Self.hex(link.bytes)) \(Self.hex(name))")
                let hard = PathBytes(Array("d/h\(i)".utf8) + name)
                entries.append(LayerEntry(path: hard, kind: .hardlink(target: file), mode: 0o644))
                expected.append("1 \(Self.hex(hard.bytes)) \(Self.hex(file.bytes))")
            }
            entries[1...].sort { $0.path < $1.path }
            let layer = try LayerWriter().write(entries, to: dir + "/layer")
            #expect(layer.size > 0)
            #expect(try Self.readBack(dir + "/layer").sorted() == expected.sorted(), "\(group.map(\.0))")
        }
    }

    /// GNU tar lists the same bytes, and a layer of UTF-8 names carries nothing it does not know
    /// (GNU tar warns about hdrcharset, which only names that are not UTF-8 need).
    @Test func gnuTarListsUTF8NamesWithoutWarnings() throws {
        let dir = try makeTempDir("names")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let entries = [
            LayerEntry(path: "café", kind: .directory, mode: 0o755),
            LayerEntry(path: "café/日本語.txt", kind: .symlink(target: "ü"), mode: 0o777),
            LayerEntry(path: PathBytes([0x62, 0xff]), kind: .directory, mode: 0o755),
        ]
        _ = try LayerWriter().write(Array(entries.prefix(2)), to: dir + "/utf8")
        _ = try LayerWriter().write(entries, to: dir + "/mixed")
        func list(_ layer: String) throws -> String {
            String(decoding: try run(["bash", "-c", "LC_ALL=C tar -tzf \(layer) --quoting-style=c 2>&1"]), as: UTF8.self)
        }
        #expect(try list(dir + "/utf8") == "\"caf\\303\\251/\"\n\"caf\\303\\251/\\346\\227\\245\\346\\234\\254\\350\\252\\236.txt\"\n")
        #expect(try list(dir + "/mixed").contains("\"b\\377/\""))
    }

    @Test func aNULInANameIsAnErrorNotACutName() throws {
        let dir = try makeTempDir("names")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let e = [LayerEntry(path: PathBytes([0x61, 0, 0x62]), kind: .directory, mode: 0o755)]
        #expect(throws: LayerError.self) { try LayerWriter().write(e, to: dir + "/layer") }
    }

    @Test func namesCompareAsBytes() {
        let nfc = PathBytes("café")
        let nfd = PathBytes("cafe\u{301}")
        #expect(nfc != nfd)
        #expect(Set([nfc, nfd]).count == 2)
        #expect(nfd < nfc)
        #expect(PathBytes("a/b") < PathBytes("a0"))
        #expect(PathBytes([0x62, 0xff, 0x0a]).description == "b\\xff\n")
    }

    @Test func dockerignoreMatchesNamesThatAreNotUTF8() throws {
        let ignore = try DockerIgnore(lines: ["junk*", "!junk-keep"])
        #expect(ignore.excludes(PathBytes([0x6a, 0x75, 0x6e, 0x6b, 0xff])))
        #expect(!ignore.excludes(PathBytes([0x6b, 0xff])))
        #expect(!ignore.excludes("junk-keep"))
    }
}
