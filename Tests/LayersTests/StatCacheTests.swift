import Foundation
import Layers
import TestSupport
import Testing

/// The stat records live in the store, which a crash, a full disk or a hand can damage: a damaged
/// line is ignored, never trusted and never fatal.
@Suite struct StatCacheTests {
    @Test(arguments: [
        "1 2 3 18446744073709551615 \(String(repeating: "a", count: 64)) a.txt",
        "99999999999999999999 2 3 4 \(String(repeating: "a", count: 64)) a.txt",
        "1 2 3 4 short a.txt",
        "1 2 3 4 \(String(repeating: "a", count: 64))",
        "x y z",
    ])
    func aDamagedRecordIsIgnored(_ line: String) throws {
        let dir = try makeTempDir("statcache")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try write("a\n", to: dir + "/ctx/a.txt")
        try write(line + "\n", to: dir + "/records")
        let context = try BuildContext(root: dir + "/ctx", statCachePath: dir + "/records")
        #expect(context.files.map(\.path) == ["a.txt"])
        #expect(context.files[0].digest == nil)
    }
}
