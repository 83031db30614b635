import Foundation
import Layers
import OCI
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

/// Records of many files are merged in two halves at once: every unchanged file is still trusted
/// and a changed one hashed again.
@Suite struct ManyStatRecordsTests {
    @Test func aLargeRecordFileIsMergedWhole() throws {
        let dir = try makeTempDir("statmany")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Names long enough that the records pass 1 MB, the size from which they are split.
        let count = 12_000
        for i in 0..<count {
            try write("\(i)\n", to: dir + "/ctx/d\(i % 37)/" + String(repeating: "n", count: 40) + "-\(i)")
        }
        // Files changed within the second before a build are not remembered.
        Thread.sleep(forTimeInterval: 1.2)
        let records = dir + "/records"
        let first = try BuildContext(root: dir + "/ctx", statCachePath: records)
        try first.hash(Array(first.files.indices))
        try first.saveStatCache { path, fill in try AtomicFile.write(to: path, tempPath: path + ".tmp", fill) }
        let size = try FileManager.default.attributesOfItem(atPath: records)[.size] as? Int ?? 0
        #expect(size > 1 << 20)

        let changed = "d\(7000 % 37)/" + String(repeating: "n", count: 40) + "-7000"
        try write("changed\n", to: dir + "/ctx/" + changed)
        let second = try BuildContext(root: dir + "/ctx", statCachePath: records)
        try #require(second.files.map(\.path) == first.files.map(\.path))
        let unmatched = second.files.filter { $0.type == .file && $0.digest == nil }.map(\.path)
        #expect(unmatched == [PathBytes(changed)])
        let differing = zip(first.files, second.files).filter { $0.path != PathBytes(changed) && $0.digest != $1.digest }
        #expect(differing.isEmpty)
    }
}
