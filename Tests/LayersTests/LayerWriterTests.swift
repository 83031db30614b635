import Foundation
import Layers
import OCI
import TestSupport
import Testing

@Suite struct LayerWriterTests {
    /// Some megabytes of mixed data, so a layer spans several compressed chunks.
    static func payload() -> Data {
        var out = Data()
        var x: UInt32 = 12345
        for i in 0..<(6 << 20) {
            x = x &* 1_103_515_245 &+ 12345
            out.append(i % 3 == 0 ? UInt8(truncatingIfNeeded: x >> 16) : UInt8(97 + i % 7))
        }
        return out
    }

    func entries(in dir: String) throws -> [LayerEntry] {
        try Self.payload().write(to: URL(fileURLWithPath: dir + "/big.bin"))
        try write("hello\n", to: dir + "/small.txt")
        return [
            LayerEntry(path: "app", kind: .directory, mode: 0o755),
            LayerEntry(path: "app/big.bin", kind: .file(source: PathBytes(dir + "/big.bin"), size: Int64(6 << 20)), mode: 0o644),
            LayerEntry(path: "app/link", kind: .symlink(target: "small.txt"), mode: 0o777),
            LayerEntry(path: "app/small.txt", kind: .file(source: PathBytes(dir + "/small.txt"), size: 6), mode: 0o600, uid: 1000, gid: 1000),
            LayerEntry(path: "app/small-again.txt", kind: .hardlink(target: "app/small.txt"), mode: 0o600, uid: 1000, gid: 1000),
        ]
    }

    @Test(arguments: [Compression.gzip(level: 6), .zstd(level: 3)])
    func digestsMatchWhatStandardToolsSee(_ compression: Compression) throws {
        let dir = try makeTempDir("layer")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let layer = try LayerWriter(compression: compression).write(try entries(in: dir), to: dir + "/layer")
        #expect(try Digest.sha256(fileAt: dir + "/layer") == layer.digest)
        let tool = compression.description.hasPrefix("gzip") ? ["gzip", "-dc", dir + "/layer"] : ["zstd", "-dcq", dir + "/layer"]
        let tar = try run(tool)
        // The diffID is the digest of the _uncompressed_ layer.
        #expect(Digest.sha256(tar) == layer.diffID)
        #expect(Int64(tar.count) == layer.uncompressedSize)
        let listing = String(decoding: try run(["tar", "-tvf", "-"], stdin: tar), as: UTF8.self)
        #expect(listing.contains("app/link -> small.txt"))
        #expect(listing.contains("app/small-again.txt link to app/small.txt"))
        #expect(listing.contains("-rw------- 1000/1000"))
        #expect(listing.contains("1970-01-01"))
    }

    @Test func sameInputsSameBytes() throws {
        let a = try makeTempDir("a")
        let b = try makeTempDir("b")
        defer {
            try? FileManager.default.removeItem(atPath: a)
            try? FileManager.default.removeItem(atPath: b)
        }
        let first = try LayerWriter().write(try entries(in: a), to: a + "/layer")
        // Other mtimes, other directory, same content: the layer must not change.
        try run(["touch", "-d", "2001-02-03", b])
        let second = try LayerWriter().write(try entries(in: b), to: b + "/layer")
        #expect(first.digest == second.digest)
        #expect(first.diffID == second.diffID)
        let gzip = try run(["gzip", "-6", "-c", a + "/big.bin"])
        // Chunked parallel compression stays within 2 % of gzip -6.
        #expect(Double(first.size) < Double(gzip.count) * 1.02)
    }

    @Test func missingSourceFailsCleanly() throws {
        let dir = try makeTempDir("missing")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let e = [LayerEntry(path: "x", kind: .file(source: PathBytes(dir + "/nope"), size: 3), mode: 0o644)]
        #expect(throws: LayerError.self) { try LayerWriter().write(e, to: dir + "/layer") }
    }

    @Test func fileThatChangedSizeIsCaught() throws {
        let dir = try makeTempDir("changed")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write("12345", to: dir + "/f")
        let e = [LayerEntry(path: "f", kind: .file(source: PathBytes(dir + "/f"), size: 3), mode: 0o644)]
        #expect(throws: LayerError.self) { try LayerWriter().write(e, to: dir + "/layer") }
    }
}
