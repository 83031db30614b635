import Foundation
import OCI
import Testing

/// Registry and layout JSON is input from elsewhere: malformed or hostile documents are errors, never crashes.
@Suite struct HostileJSONTests {
    @Test(arguments: [
        String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000),
        String(repeating: #"{"a":"#, count: 50_000) + "1" + String(repeating: "}", count: 50_000),
        #"{"schemaVersion":2,"config":{"mediaType":"x","digest":"sha256:../../etc/passwd","size":1},"layers":[]}"#,
        #"{"schemaVersion":2,"config":{"mediaType":"x","digest":"md5:abc","size":1},"layers":[]}"#,
        #"{"schemaVersion":"two"}"#,
        "",
        "\u{0}\u{1}\u{2}",
    ])
    func malformedManifestsAreErrors(_ text: String) {
        #expect(throws: (any Error).self) { try CanonicalJSON.decode(ImageManifest.self, from: Data(text.utf8)) }
    }
}
