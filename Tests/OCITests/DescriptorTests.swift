import Foundation
import OCI
import Testing

/// Sizes in manifests come from registries and layouts: they are refused when they could only
/// trap or lie (negative, or adding up past Int64), and summing them never traps.
@Suite struct DescriptorTests {
    static let hex = String(repeating: "a", count: 64)

    static func manifest(configSize: String, layerSizes: [String]) -> Data {
        let layers = layerSizes.map { #"{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:\#(hex)","size":\#($0)}"# }
        return Data(#"{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:\#(hex)","size":\#(configSize)},"layers":[\#(layers.joined(separator: ","))]}"#.utf8)
    }

    @Test(arguments: [
        ("-1", ["1"], #""config.size" is invalid (a size cannot be negative)"#),
        ("1", ["2", "-9223372036854775808"], #""layers[1].size" is invalid (a size cannot be negative)"#),
        ("1", ["9223372036854775807"], #""layers" is invalid (the config and layer sizes add up past 9223372036854775807 bytes)"#),
        ("9223372036854775807", ["9223372036854775807", "9223372036854775807"], #""layers" is invalid (the config and layer sizes add up past 9223372036854775807 bytes)"#),
    ])
    func lyingSizesAreRefusedWhenDecoded(_ config: String, _ layers: [String], _ says: String) {
        do {
            let m = try CanonicalJSON.decode(ImageManifest.self, from: Self.manifest(configSize: config, layerSizes: layers))
            Issue.record("decoded sizes \(m.config.size) \(m.layers.map(\.size))")
        } catch {
            #expect("\(error)" == says)
        }
    }

    @Test func aNegativeSizeInAnIndexIsRefused() {
        let index = #"{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:\#(Self.hex)","size":-5}]}"#
        #expect(throws: (any Error).self) { try CanonicalJSON.decode(ImageIndex.self, from: Data(index.utf8)) }
    }

    @Test func sizesUpToTheLimitDecodeAndAddUp() throws {
        let m = try CanonicalJSON.decode(ImageManifest.self, from: Self.manifest(configSize: "0", layerSizes: ["9223372036854775806", "1"]))
        #expect(m.size == Int64.max)
        let round = try CanonicalJSON.decode(ImageManifest.self, from: try CanonicalJSON.encode(m))
        #expect(round == m)
    }

    @Test func aManifestMadeInCodeSaturatesInsteadOfTrapping() throws {
        let d = Descriptor(mediaType: MediaType.ociLayerGzip, digest: try Digest(parsing: "sha256:" + Self.hex), size: .max)
        #expect(ImageManifest(config: d, layers: [d, d]).size == Int64.max)
    }
}
