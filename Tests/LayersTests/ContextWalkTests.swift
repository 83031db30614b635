import Foundation
import Layers
import TestSupport
import Testing

/// The walk shares subtrees out to several tasks and joins their sorted runs: the result must be
/// every file, in byte order of the whole path, whatever the names around a "/" sort like.
@Suite struct ContextWalkTests {
    @Test func filesComeInByteOrderOfTheirPaths() throws {
        let dir = try makeTempDir("walk")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let root = dir + "/ctx"
        var expected: Set<String> = []
        // More than 32 directories on one level, so the subtrees are shared out; names that sort
        // before and after "/" beside each directory ("a-x", "a.x", "a0" around "a/").
        for i in 0..<40 {
            let d = String(format: "k%02d", i)
            for name in ["\(d)/f", "\(d)/g/h", "\(d)-x", "\(d).x", "\(d)0", "\(d)/g-y", "\(d)/g.y/z"] {
                try write(name, to: root + "/" + name)
                var path = ""
                for part in name.split(separator: "/") {
                    path += (path.isEmpty ? "" : "/") + part
                    expected.insert(path)
                }
            }
        }
        let context = try BuildContext(root: root, statCachePath: nil)
        let paths = context.files.map(\.path)
        #expect(paths == expected.map { PathBytes($0) }.sorted())
        #expect(context.indexes(under: "k07/g").map { context.files[$0].path } == ["k07/g/h"])
        #expect(context.index(of: "k39.x") == paths.firstIndex(of: "k39.x"))
        #expect(context.index(of: "k39.y") == nil)
    }
}
