import Foundation
import OCI
import Testing

@Suite struct CanonicalJSONTests {
    @Test func sortedAndStable() throws {
        var config = ImageConfig(platform: Platform(os: "linux", architecture: "arm64"))
        config.config.labels = ["z": "1", "a": "2", "url": "https://example.org/x"]
        config.config.setEnv("B", "1")
        config.config.setEnv("A", "2")
        config.config.setEnv("B", "3")
        let a = try CanonicalJSON.encode(config)
        let b = try CanonicalJSON.encode(try CanonicalJSON.decode(ImageConfig.self, from: a))
        #expect(a == b)
        let text = String(decoding: a, as: UTF8.self)
        #expect(text.contains(#""Labels":{"a":"2","url":"https://example.org/x","z":"1"}"#))
        #expect(text.contains(#""Env":["B=3","A=2"]"#))
        #expect(!text.contains(" "))
    }
}
