import Foundation
import OCI
import TestSupport
import Testing

/// A layout whose manifest claims layer sizes that add up past Int64: real blobs, lying sizes.
/// Reading it must stop with one line, never trap while adding the sizes up.
@Suite struct LyingSizesTests {
    static func lyingLayout(_ dir: String) throws {
        func put(_ data: Data) throws -> Digest {
            let d = Digest.sha256(data)
            try FileManager.default.createDirectory(atPath: dir + "/blobs/sha256", withIntermediateDirectories: true)
            try data.write(to: URL(fileURLWithPath: dir + "/blobs/sha256/" + d.hex))
            return d
        }
        let layer = try put(Data("not really a layer".utf8))
        let configJSON = Data(#"{"architecture":"amd64","os":"linux","config":{},"rootfs":{"type":"layers","diff_ids":["\#(layer)","\#(layer)"]}}"#.utf8)
        let config = try put(configJSON)
        let manifest = Data(#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"\#(config)","size":\#(configJSON.count)},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"\#(layer)","size":9223372036854775807},{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"\#(layer)","size":9223372036854775807}]}"#.utf8)
        let m = try put(manifest)
        try write(#"{"imageLayoutVersion":"1.0.0"}"#, to: dir + "/oci-layout")
        try write(#"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"\#(m)","size":\#(manifest.count),"annotations":{"org.opencontainers.image.ref.name":"lie"},"platform":{"architecture":"amd64","os":"linux"}}]}"#,
                  to: dir + "/index.json")
    }

    static func expectOneLine(_ r: CLI.Result) {
        #expect(r.status == 1, "\(r.status): \(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        #expect(r.stderr.contains("sizes add up past"), "\(r.stderr)")
    }

    @Test func inspectOfALyingLayoutIsOneLine() throws {
        let tmp = try makeTempDir("lying")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        try Self.lyingLayout(tmp + "/layout")
        let r = try CLI.run(["inspect", tmp + "/layout:lie"], home: tmp + "/store")
        Self.expectOneLine(r)
        #expect(r.stderr.contains(tmp + "/layout: not a usable OCI image layout"), "\(r.stderr)")
    }

    @Test func aLyingBaseStopsTheBuildBeforeTheJobSummary() throws {
        let tmp = try makeTempDir("lying")
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        try Self.lyingLayout(tmp + "/ctx/base")
        try write("FROM oci-layout://base:lie\nLABEL a=b\n", to: tmp + "/ctx/Containerfile")
        let gh = ["GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": tmp + "/gh-output", "GITHUB_STEP_SUMMARY": tmp + "/gh-summary"]
        let r = try CLI.run(["build", "--progress", "quiet", "--platform", "linux/amd64", tmp + "/ctx"], home: tmp + "/store", environment: gh)
        #expect(r.status == 1, "\(r.status): \(r.stderr)")
        // In Actions the error is also an annotation line; the plain error line is the last.
        #expect(r.stderr.split(separator: "\n").last?.hasPrefix("imagectl: error: ") == true, "\(r.stderr)")
        #expect(r.stderr.contains("sizes add up past"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: tmp + "/gh-summary"))
    }
}
