import Foundation
import Layers
import OCI
import TestSupport
import Testing

@Suite struct ArchiveSplicerTests {
    func archive(_ dir: String, _ build: String) throws -> String {
        try run(["bash", "-c", "cd \(dir) && \(build)"])
        return dir + "/a.tar.gz"
    }

    @Test func unpacksUnderTheDestination() throws {
        let dir = try makeTempDir("add")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = try archive(dir, "mkdir -p src/sub && echo hi > src/sub/f && tar -czf a.tar.gz -C src .")
        #expect(ArchiveSplicer.isArchive(a))
        #expect(!ArchiveSplicer.isArchive(dir + "/src/sub/f"))
        let layer = try LayerWriter().write([LayerEntry(path: "opt/x", kind: .archive(source: a), mode: 0o755)], to: dir + "/layer")
        let listing = String(decoding: try run(["tar", "-tzf", dir + "/layer"]), as: UTF8.self)
        #expect(listing.contains("opt/x/sub/f"))
        #expect(layer.size > 0)
    }

    @Test func refusesEntriesThatClimbOut() throws {
        let dir = try makeTempDir("evil")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = try archive(dir, "mkdir -p w/in && echo x > w/evil && tar -czf a.tar.gz -C w/in --absolute-names ../evil")
        #expect(throws: LayerError.self) {
            try LayerWriter().write([LayerEntry(path: "opt", kind: .archive(source: a), mode: 0o755)], to: dir + "/layer")
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/opt"))
    }
}
