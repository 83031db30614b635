import Foundation
import TestSupport
import Testing

/// What a step deletes is gone for every later reader of the stage, whether the layer was just
/// written (its entries) or comes from the cache (its listing kept in the store): COPY --from sees
/// the whiteouts and the opaque directory, never a file named .wh.
@Suite(.serialized) struct RunDeletionsTests {
    static let steps = """
        RUN echo g > /gone && /bin/busybox mkdir -p /d/old && echo o > /d/old/f && echo k > /kept
        RUN /bin/busybox rm /gone && /bin/busybox rm -rf /d && /bin/busybox mkdir /d && echo n > /d/new
        FROM scratch
        COPY --from=0 /d /d
        COPY --from=0 /kept /gone* /

        """

    /// The paths of the last two layers (the COPY --from steps).
    static func copied(_ layout: String) throws -> [String] {
        let index = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: layout + "/index.json"))) as? [String: Any]
        let digest = ((index?["manifests"] as? [[String: Any]])?.first?["digest"] as? String ?? "").dropFirst(7)
        let manifest = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(layout)/blobs/sha256/\(digest)"))) as? [String: Any]
        let layers = (manifest?["layers"] as? [[String: Any]] ?? []).compactMap { ($0["digest"] as? String)?.dropFirst(7) }
        return try layers.flatMap { l in
            String(decoding: try run(["tar", "-tzf", "\(layout)/blobs/sha256/\(l)"]), as: UTF8.self).split(separator: "\n").map(String.init)
        }.sorted()
    }

    @Test func copyFromAStageSeesWhatItsStepsDeleted() throws {
        try CLI.requireFixtures()
        let tmp = try makeTempDir("run-deletions")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        try RunTests.context(tmp + "/ctx", Self.steps)
        let home = tmp + "/store"
        let expected = ["d/new", "kept"]
        let first = try CLI.run(["build", "--progress", "plain", "-o", "type=oci,dest=\(tmp)/one", "-t", "x:1", tmp + "/ctx"], home: home)
        #expect(first.status == 0, "\(first.stderr)")
        #expect(try Self.copied(tmp + "/one") == expected, "in the build that ran the steps")
        // Only the last stage again: the steps come from the cache and their listings from the store.
        let containerfile = try String(contentsOfFile: tmp + "/ctx/Containerfile", encoding: .utf8)
        try write(containerfile.replacingOccurrences(of: "COPY --from=0 /d /d", with: "COPY --from=0 /d /d/"), to: tmp + "/ctx/Containerfile")
        let second = try CLI.run(["build", "--progress", "plain", "-o", "type=oci,dest=\(tmp)/two", "-t", "x:1", tmp + "/ctx"], home: home)
        #expect(second.status == 0, "\(second.stderr)")
        #expect(second.stderr.contains("RUN /bin/busybox rm /gone") && second.stderr.contains("CACHED"), "\(second.stderr)")
        #expect(try Self.copied(tmp + "/two") == expected, "in a rebuild that read the cached steps' listings")
    }
}
