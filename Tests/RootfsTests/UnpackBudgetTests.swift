import Foundation
@testable import Rootfs
import TestSupport
import Testing

/// A layer of a few hundred kilobytes that expands to hundreds of megabytes: unpacking stops
/// while the filesystem still has its reserve, and goes through where there is room.
@Suite(.serialized) struct UnpackBudgetTests {
    static let expands = 400 << 20

    /// `body` gets a directory on a tmpfs of `megabytes`.
    func onTmpfs(_ megabytes: Int, _ body: (String) throws -> Void) throws {
        let dir = try makeTempDir("unpack-budget")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = try run(["mount", "-t", "tmpfs", "-o", "size=\(megabytes)m", "tmpfs", dir])
        defer { _ = try? run(["umount", dir]) }
        try body(dir)
    }

    func bomb(_ dir: String) throws -> String {
        try makeLayer(dir, "bomb", """
            class Zeros:
                def read(self, n=-1): return bytes(max(n, 0))
            t = tarfile.TarInfo('zeros'); t.size = \(UnpackBudgetTests.expands); tf.addfile(t, Zeros())
            """)
    }

    @Test func aLayerThatWouldEatTheReserveStops() throws {
        let home = try makeTempDir("bomb-src")
        defer { try? FileManager.default.removeItem(atPath: home) }
        let layer = try bomb(home)
        let compressed = try FileManager.default.attributesOfItem(atPath: layer)[.size] as? Int ?? 0
        #expect(compressed < 2 << 20)
        let reserve = Int(UnpackBudget.reserveBytes >> 20)
        // Room for the reserve and half the layer: it must stop.
        try onTmpfs(reserve + 200) { dir in
            for unpack in [{ try OverlayLayer.unpack(layer, name: "layer bomb", into: dir + "/o") },
                           { try Unpacker.unpack([(layer, "layer bomb")], into: dir + "/u") }] {
                #expect {
                    try unpack()
                } throws: { error in
                    "\(error)".hasPrefix("layer bomb: unpacking stopped with less than 1 GiB free") && !"\(error)".contains("\n")
                }
            }
        }
        // Room for the reserve and the layer: it goes through.
        try onTmpfs(reserve + 480) { dir in
            try OverlayLayer.unpack(layer, name: "layer bomb", into: dir + "/o")
            #expect(try FileManager.default.attributesOfItem(atPath: dir + "/o/zeros")[.size] as? Int == UnpackBudgetTests.expands)
        }
    }
}
